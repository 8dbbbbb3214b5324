"""``xrerank mine``: retriever log + the user's vector store -> training examples with hard negatives."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xrerank.cli.common import CommandError, add_allow_pickle_weights, load_config_file
from xrerank.cli.inputs import add_store_arguments, build_source, read_corpus

# Option name -> default, for options that a --config file may also set.
_DEFAULTS: dict[str, Any] = {
    "num_negatives": 5,
    "range_min": 0,
    "range_max": None,
    "sampling": "top",
    "seed": 0,
    "random_share": 0.0,
    "relative_margin": 0.05,
    "absolute_margin": None,
    "max_score": None,
    "min_score": None,
    "teacher": None,
    "teacher_margin": 0.0,
    "min_negatives": 1,
    "batch_size": 64,
    "on_error": "raise",
    "text_template": "{text}",
    "max_line_bytes": None,
}


_UNSET: Any = object()  # an option not given on the command line


def _optional_float(text: str) -> float | None:
    if text.lower() in ("none", "off"):
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from exc


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "mine",
        help="Mine hard negatives for logged queries from your vector store.",
        description=(
            "Read a retriever log (JSONL/CSV, schema in docs/retriever-logs.md), search each query in "
            "your existing FAISS index (or, for small corpora, an in-memory embedding of --corpus), drop "
            "known positives and likely false negatives, and write training examples as JSONL. Only the "
            "queries are embedded when --faiss-index is given."
        ),
    )
    parser.add_argument("--log", action="append", required=True, help="Retriever log file (repeatable).")
    add_store_arguments(parser)
    parser.add_argument("--output", "-o", required=True, help="Where to write the examples (JSONL).")
    parser.add_argument("--text-template", help="Passage text from a corpus line, e.g. '{title}. {text}'.")
    add_allow_pickle_weights(parser, models="--encoder/--teacher models")
    group = parser.add_argument_group("mining")
    group.add_argument("--num-negatives", type=int, help="Negatives per query (default 5).")
    group.add_argument("--range-min", type=int, help="Skip the best-ranked N candidates (default 0).")
    group.add_argument("--range-max", type=int, help="Consider candidates up to this rank.")
    group.add_argument("--sampling", choices=("top", "random"), help="Take the top survivors or sample.")
    group.add_argument("--seed", type=int, help="Seed for random sampling.")
    group.add_argument("--random-share", type=float, help="Share of easy negatives (0..1).")
    group.add_argument("--relative-margin", type=_optional_float, help="Default 0.05; 'none' turns it off.")
    group.add_argument("--absolute-margin", type=_optional_float, help="Keep negatives this far below.")
    group.add_argument("--max-score", type=_optional_float, help="Drop candidates scoring above this.")
    group.add_argument("--min-score", type=_optional_float, help="Drop candidates scoring below this.")
    group.add_argument("--teacher", help="Cross-encoder that rescores candidates (denoising).")
    group.add_argument("--teacher-margin", type=float, help="Teacher margin below the positive.")
    group.add_argument("--use-skipped", action="store_true", help="Use skip-above results as negatives.")
    group.add_argument("--no-judged-negatives", action="store_true", help="Ignore judged negatives.")
    group.add_argument("--min-negatives", type=int, help="Drop queries left with fewer negatives.")
    group.add_argument("--batch-size", type=int, help="Queries per search batch.")
    group.add_argument("--no-merge", action="store_true", help="Do not merge repeated queries (streams).")
    logs = parser.add_argument_group("log reading")
    logs.add_argument("--on-error", choices=("raise", "skip"), help="Stop at a bad log line or skip it.")
    logs.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="Your column for a schema field, e.g. positive_ids=clicked (repeatable).",
    )
    logs.add_argument("--max-line-bytes", type=int, help="Longest accepted log line.")
    parser.add_argument("--report-json", help="Also write the mining report as JSON here.")
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
    parser.add_argument("--config", help="JSON/YAML file with defaults for these options.")
    parser.set_defaults(handler=run, **dict.fromkeys(_DEFAULTS, _UNSET))


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import LogFormatError
    from xrerank.examples import save_examples
    from xrerank.mining.logs import DEFAULT_MAX_LINE_BYTES, read_log
    from xrerank.mining.miner import MiningConfig, iter_hard_negatives, mine_hard_negatives

    config_file = load_config_file(args.config)
    unknown = set(config_file) - set(_DEFAULTS)
    if unknown:
        raise CommandError(f"--config: unknown options {sorted(unknown)}; known: {sorted(_DEFAULTS)}.")
    option = {name: _pick(args, config_file, name) for name in _DEFAULTS}
    fields = _parse_fields(args.field)
    try:
        config = MiningConfig(
            num_negatives=option["num_negatives"],
            range_min=option["range_min"],
            range_max=option["range_max"],
            sampling=option["sampling"],
            seed=option["seed"],
            random_share=option["random_share"],
            relative_margin=option["relative_margin"],
            absolute_margin=option["absolute_margin"],
            max_score=option["max_score"],
            min_score=option["min_score"],
            teacher_margin=option["teacher_margin"],
            use_judged_negatives=not args.no_judged_negatives,
            use_skipped=args.use_skipped,
            min_negatives=option["min_negatives"],
            batch_size=option["batch_size"],
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    for path in args.log:
        if not Path(path).is_file():
            raise CommandError(f"--log {path}: no such file.")
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
            from xrerank.mining.miner import MiningReport

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


def _pick(args: argparse.Namespace, config_file: dict[str, Any], name: str) -> Any:
    value = getattr(args, name, _UNSET)
    if value is not _UNSET:
        return value
    return config_file.get(name, _DEFAULTS[name])


def _parse_fields(items: list[str]) -> dict[str, str]:
    fields = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise CommandError(f"--field {item!r}: expected NAME=COLUMN, e.g. positive_ids=clicked.")
        fields[name.strip()] = column.strip()
    from xrerank.mining.logs import LOG_FIELDS

    unknown = set(fields) - set(LOG_FIELDS)
    if unknown:
        raise CommandError(f"--field: unknown schema names {sorted(unknown)}; known: {list(LOG_FIELDS)}.")
    return fields


def _load_teacher(name: str | None, *, allow_pickle_weights: bool) -> Any:
    if name is None:
        return None
    from xrerank import ModelLoadError, Reranker

    try:
        return Reranker(name, allow_pickle_weights=allow_pickle_weights).load()
    except (ModelLoadError, OSError, ValueError) as exc:
        raise CommandError(f"--teacher {name}: {exc}") from exc
