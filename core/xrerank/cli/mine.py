"""``xrerank mine``: retriever log + the user's vector store -> training examples with hard negatives."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    add_config_option,
    add_no_progress,
    existing_file,
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
    parser.add_argument("--report-json", help="Also write the mining report as JSON here.")
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import LogFormatError
    from xrerank.examples import save_examples
    from xrerank.mining.log_reader import DEFAULT_MAX_LINE_BYTES, read_log
    from xrerank.mining.miner import iter_hard_negatives, mine_hard_negatives

    config, option = config_from_args(MiningConfig, args, command_defaults=_COMMAND_DEFAULTS)
    fields = _parse_fields(args.field)
    for path in args.log:
        existing_file(path, "--log")
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
    try:
        if args.no_merge:
            from xrerank.mining.mining_report import MiningReport

            report = MiningReport()
            stream = iter_hard_negatives(
                records, source, config, teacher=teacher, report=report, show_progress=not args.no_progress
            )
            count = save_examples(stream, args.output)
        else:
            examples, report = mine_hard_negatives(
                records, source, config, teacher=teacher, show_progress=not args.no_progress
            )
            count = save_examples(examples, args.output)
    except LogFormatError as exc:
        raise CommandError(f"{exc} (use --on-error skip to count and skip bad lines)") from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise CommandError(str(exc)) from exc
    except OSError as exc:
        raise CommandError(f"--output {args.output}: {exc.strerror or exc}.") from exc

    for reader, path in zip(readers, args.log, strict=True):
        print(f"log {path}: {reader.stats.summary()}")
        for error in reader.stats.errors[:5]:
            print(f"  bad record: {error}")
    print(report.summary())
    print(f"wrote {count:,} examples to {args.output}")
    if args.report_json:
        data = report.to_dict()
        data["logs"] = {
            p: {
                "records": r.stats.records,
                "skipped": r.stats.skipped,
                "errors": [str(e) for e in r.stats.errors],
            }
            for r, p in zip(readers, args.log, strict=True)
        }
        Path(args.report_json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if count == 0:
        raise CommandError(
            "no training examples were mined; see the report above (positives not retrieved? "
            "try a larger --range-max or --relative-margin none)."
        )
    return 0


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


def _load_teacher(name: str | None, *, allow_pickle_weights: bool) -> Any:
    if name is None:
        return None
    from xrerank import Reranker

    with user_errors(OSError, ValueError, prefix=f"--teacher {name}: "):  # ModelLoadError is an OSError
        teacher = Reranker(name, allow_pickle_weights=allow_pickle_weights).load()
    return teacher
