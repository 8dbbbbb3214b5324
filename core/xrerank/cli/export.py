"""``xrerank export``: write a cross-encoder as ONNX or OpenVINO (fp32 or int8) for fast CPU serving."""

from __future__ import annotations

import argparse
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    check_int_flag,
    output_dir,
    user_errors,
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="Export a cross-encoder to ONNX or OpenVINO (optionally int8).",
        description=(
            "Export MODEL (hub name or directory) to OUT for ONNX Runtime or OpenVINO, checking the "
            "export's scores against torch. Load the result with Reranker(OUT) or "
            "`xrerank score --model OUT`. "
            'Needs pip install "xrerank[onnx]" (or "xrerank[openvino]").'
        ),
    )
    parser.add_argument("model", help="Hub name or local directory of the cross-encoder.")
    parser.add_argument("out", help="Directory to write (must not exist or be empty, unless --overwrite).")
    parser.add_argument(
        "--backend",
        default="onnx",
        help="onnx (default), openvino, or auto: measure every path this CPU runs (torch, onnx and "
        "openvino in fp32/int8, bf16 compute where the CPU has it), keep the fastest whose scores and "
        "ranking match torch fp32 on sample queries, and record it in OUT's serving recipe.",
    )
    parser.add_argument("--quantize", default=None, help="int8: dynamic int8 quantisation (default: fp32).")
    parser.add_argument("--max-length", type=int, default=None, help="Token limit stored with the export.")
    parser.add_argument("--overwrite", action="store_true", help="Replace OUT if it exists.")
    add_allow_pickle_weights(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank import ModelLoadError
    from xrerank.models.export import export_model

    check_int_flag(args.max_length, "--max-length", optional=True, expected="a positive token count")
    output_dir(args.out, "OUT")  # a model directory never replaces a file
    if args.backend not in ("onnx", "openvino", "auto"):
        raise CommandError(
            f"--backend {args.backend}: expected onnx or openvino "
            "(or auto: the fastest path that keeps the ranking)."
        )
    if args.backend == "auto":
        return _run_auto(args)
    if args.quantize not in (None, "int8"):
        raise CommandError(f"--quantize {args.quantize}: expected int8 (or leave it out for fp32).")
    with user_errors(ImportError, ModelLoadError, ValueError):
        out = export_model(
            args.model,
            args.out,
            backend=args.backend,
            quantize=args.quantize,
            max_length=args.max_length,
            overwrite=args.overwrite,
            allow_pickle_weights=args.allow_pickle_weights,
        )
    print(f"exported {args.model} -> {out} ({args.backend}, {args.quantize or 'fp32'})")
    return 0


def _run_auto(args: argparse.Namespace) -> int:
    from xrerank import ModelLoadError
    from xrerank.models.backend_choice import export_fastest

    if args.quantize is not None:
        raise CommandError("--quantize: --backend auto measures fp32 and int8 itself; leave --quantize out.")
    with user_errors(ImportError, ModelLoadError, ValueError):
        out, choice = export_fastest(
            args.model,
            args.out,
            max_length=args.max_length,
            overwrite=args.overwrite,
            allow_pickle_weights=args.allow_pickle_weights,
        )
    print(choice.summary())
    print(
        f"exported {args.model} -> {out} ({choice.chosen.candidate.label}, {choice.threads} threads, "
        f"batch size {choice.batch_size}; recorded in its serving recipe)"
    )
    return 0
