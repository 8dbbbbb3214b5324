"""``xrerank mine``: retriever log + the user's vector store -> training examples with hard negatives."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    add_config_option,
    add_no_progress,
    check_int_flag,
    existing_file,
    output_file,
    user_errors,
)
from xrerank.cli.config_flags import add_config_flags, config_from_args
from xrerank.cli.inputs import add_store_arguments, build_source, read_corpus
from xrerank.mining import MiningConfig

# Options mine handles itself that a --config file may also set, with their defaults.
_COMMAND_DEFAULTS: dict[str, Any] = {
    "teacher": None,
    "on_error": "raise",
    "text_template": "{text}",
    "max_line_bytes": None,
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mine",
        help="Mine hard negatives for logged queries from your vector store.",
        description=(
            "Read a retriever log (JSONL/CSV, schema in docs/retriever-logs.md), search each query in "
            "your existing FAISS index (or, for small corpora, an in-memory embedding of --corpus), drop "
            "known positives and likely false negatives, and write training examples as JSONL. Only the "
            "queries are embedded when --faiss-index is given. Options not given fall back to --config, "
            "then to the defaults shown."
        ),
    )
    parser.add_argument("--log", action="append", required=True, help="Retriever log file (repeatable).")
    add_store_arguments(parser)
    parser.add_argument("--output", "-o", required=True, help="Where to write the examples (JSONL).")
    unset = argparse.SUPPRESS  # absent unless given, so a --config file can set these too
    parser.add_argument(
        "--text-template",
        default=unset,
        help="Passage text from a corpus line, e.g. '{title}. {text}' (default: {text}).",
    )
    add_allow_pickle_weights(parser, models="--encoder/--teacher models")
    group = parser.add_argument_group("mining options (MiningConfig)")
    add_config_flags(group, MiningConfig, off_switches={"use_judged_negatives": "--no-judged-negatives"})
    group.add_argument("--teacher", default=unset, help="Cross-encoder that rescores candidates (denoising).")
    group.add_argument("--no-merge", action="store_true", help="Do not merge repeated queries (streams).")
    group.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="Mine in this process, or the same batches on Ray Data actors (xrerank[ray]; same examples).",
    )
    group.add_argument("--ray-actors", type=int, default=2, help="Actors for --engine ray (default 2).")
    logs = parser.add_argument_group("log reading")
    logs.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default=unset,
        help="Stop at a bad log line or skip it (default: raise).",
    )
    logs.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="Your column for a schema field, e.g. positive_ids=clicked (repeatable).",
    )
    logs.add_argument("--max-line-bytes", type=int, default=unset, help="Longest accepted log line.")
    parser.add_argument("--report-json", metavar="PATH", help="Also write the mining report as JSON here.")
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import LogFormatError
    from xrerank.examples import write_examples
    from xrerank.mining.log_reader import DEFAULT_MAX_LINE_BYTES, read_log
    from xrerank.mining.miner import iter_hard_negatives, mine_hard_negatives
    from xrerank.mining.mining_report import MiningReport
    from xrerank.output_files import atomic_output, atomic_write_text

    started = time.perf_counter()  # the report's time includes reading and embedding the corpus
    config, option = config_from_args(MiningConfig, args, command_defaults=_COMMAND_DEFAULTS)
    check_int_flag(option["max_line_bytes"], "--max-line-bytes", optional=True, expected="a positive number")
    if option["on_error"] not in ("raise", "skip"):
        raise CommandError(f"--on-error {option['on_error']}: expected raise or skip.")
    fields = _parse_fields(args.field)
    for path in args.log:
        existing_file(path, "--log")
    # Output paths are checked before any work: a typo must not cost the minutes of mining.
    output = output_file(args.output, "--output")
    report_json = output_file(args.report_json, "--report-json")
    assert output is not None
    readers = [
        read_log(
            path,
            on_error=option["on_error"],
            fields=fields,
            max_line_bytes=option["max_line_bytes"] or DEFAULT_MAX_LINE_BYTES,
        )
        for path in args.log
    ]
    source = build_source(args, *read_corpus(args.corpus, option["text_template"]))
    teacher = _load_teacher(option["teacher"], allow_pickle_weights=args.allow_pickle_weights)
    records = (record for reader in readers for record in reader)
    progress = not args.no_progress
    # The previous --output is replaced only once every example is written, and never by an empty file.
    try:
        with atomic_output(output) as handle:
            if args.engine == "ray":
                examples, report = _mine_on_ray(args, records, source, config, teacher, option)
                count = write_examples(examples, handle)
            elif args.no_merge:
                report = MiningReport()
                stream = iter_hard_negatives(
                    records, source, config, teacher=teacher, report=report, show_progress=progress
                )
                count = write_examples(stream, handle)
            else:
                examples, report = mine_hard_negatives(
                    records, source, config, teacher=teacher, show_progress=progress
                )
                count = write_examples(examples, handle)
            report.seconds = time.perf_counter() - started
            _print_report(readers, args.log, report)
            if count == 0:
                empty = next((p for r, p in zip(readers, args.log, strict=True) if not r.stats.records), None)
                if empty is not None:
                    raise CommandError(
                        f"--log {empty}: no records in it; give a log with one search per line "
                        f"({output} left as it was)."
                    )
                raise CommandError(
                    "no training examples were mined; see the report above (positives not retrieved? "
                    f"try a larger --range-max or --relative-margin none); {output} left as it was."
                )
    except LogFormatError as exc:
        raise CommandError(f"{exc} (use --on-error skip to count and skip bad lines)") from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise CommandError(str(exc)) from exc
    except OSError as exc:
        raise CommandError(f"--output {output}: {exc.strerror or exc}.") from exc
    print(f"wrote {count:,} examples to {output}")
    if report_json is not None:
        data = report.to_dict()
        data["logs"] = {
            p: {
                "records": r.stats.records,
                "skipped": r.stats.skipped,
                "errors": [str(e) for e in r.stats.errors],
            }
            for r, p in zip(readers, args.log, strict=True)
        }
        atomic_write_text(report_json, json.dumps(data, indent=2) + "\n")
    return 0


def _print_report(readers: list[Any], logs: list[str], report: Any) -> None:
    for reader, path in zip(readers, logs, strict=True):
        print(f"log {path}: {reader.stats.summary()}")
        for error in reader.stats.errors[:5]:
            print(f"  bad record: {error}")
    print(report.summary())


def _parse_fields(items: list[str]) -> dict[str, str]:
    fields = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise CommandError(f"--field {item!r}: expected NAME=COLUMN, e.g. positive_ids=clicked.")
        fields[name.strip()] = column.strip()
    from xrerank.mining.log_fields import LOG_FIELDS

    unknown = set(fields) - set(LOG_FIELDS)
    if unknown:
        raise CommandError(f"--field: unknown schema names {sorted(unknown)}; known: {list(LOG_FIELDS)}.")
    return fields


def _mine_on_ray(
    args: argparse.Namespace, records: Any, source: Any, config: Any, teacher: Any, option: Any
) -> Any:
    """``--engine ray``: the same batches on Ray Data actors (each reads --faiss-index itself)."""
    from functools import partial

    from xrerank._optional import require

    check_int_flag(args.ray_actors, "--ray-actors", expected="a positive number")
    with user_errors(ImportError):
        require("ray", purpose="--engine ray")
    from xrerank.distributed.ray_mining import mine_on_ray

    if args.faiss_index:  # each actor reads the index from its file instead of receiving a copy
        source = partial(_rebuilt_source, args, option["text_template"])
    return mine_on_ray(
        records,
        source,
        config,
        teacher=teacher,
        merge=not args.no_merge,
        concurrency=args.ray_actors,
        show_progress=not args.no_progress,
    )


def _rebuilt_source(args: argparse.Namespace, template: str) -> Any:
    return build_source(args, *read_corpus(args.corpus, template))


def _load_teacher(name: str | None, *, allow_pickle_weights: bool) -> Any:
    if name is None:
        return None
    from xrerank import Reranker

    with user_errors(OSError, ValueError, prefix=f"--teacher {name}: "):  # ModelLoadError is an OSError
        teacher = Reranker(name, allow_pickle_weights=allow_pickle_weights).load()
    return teacher
