"""`lego-edit batch INPUT -o OUTDIR`: many images through the same plan-and-run path as `lego-edit edit`,
on a pool of local worker processes or on Ray actors (`--ray auto` or `--ray ray://HOST:PORT`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lego_edit.daemon.cli.common import add_config, load_config
from lego_edit.daemon.cli.edit import CodedError


def cmd_batch(args: argparse.Namespace) -> int:
    from lego_edit.batch.items import BatchInputError, collect
    from lego_edit.batch.runner import MANIFEST, BatchOptions, run_batch, summary_table

    if args.workers is not None and args.workers < 1:
        raise CodedError(f"--workers {args.workers}: give at least 1", "bad_argument")
    config = load_config(args)
    outdir = Path(args.output)
    try:
        collected = collect(args.input, args.instruction, args.feedback, exclude=outdir)
    except BatchInputError as exc:
        raise CodedError(str(exc), "bad_input") from None
    if outdir.exists() and not outdir.is_dir():
        raise CodedError(f"{outdir} is a file: -o names the output folder", "bad_argument")
    if Path(args.input).is_dir() and outdir.resolve() == Path(args.input).resolve():
        raise CodedError("-o must not be the input folder: the batch never overwrites its inputs", "bad_argument")
    options = BatchOptions(outdir, builder=args.builder, workers=args.workers, ray=args.ray, resume=args.resume,
                           masks=args.masks, progress=not args.quiet)
    done: list[int] = []
    try:
        summary = run_batch(config, collected, options, on_record=lambda r: done.append(1))
    except KeyboardInterrupt:
        print(f"lego-edit: interrupted after {len(done)} item(s); the manifest keeps them: run again with "
              f"--resume to do the rest", file=sys.stderr)
        return 130
    except ImportError as exc:
        if getattr(exc, "name", None) != "ray":
            raise
        raise CodedError(f"--ray: {exc}", "missing_package") from None
    except ConnectionError as exc:
        raise CodedError(f"--ray {args.ray}: cannot reach the Ray cluster ({exc})", "ray_unreachable") from None
    print(summary_table(summary, outdir / MANIFEST))
    return 0 if summary.ok else 1


def register(sub: Any) -> None:
    p = sub.add_parser("batch", help="edit a folder of images (one instruction) or a JSONL of items, in parallel")
    p.add_argument("input", help='a folder of images, or a JSONL file of {"id","image","instruction","mask"?}')
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                   help="the output folder: each output keeps its input's name and format; manifest.jsonl beside")
    p.add_argument("--instruction", metavar="TEXT", help="the instruction for every image (a folder needs it)")
    p.add_argument("--feedback", action="append", default=[], metavar="TEXT", help="a correction; repeatable")
    p.add_argument("--builder", choices=("auto", "rules", "local", "openai"))
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes or Ray actors (default: one per CPU core; one when models use the GPU)")
    p.add_argument("--ray", metavar="ADDRESS",
                   help="run on Ray: 'auto' (this machine's Ray, else a new local one) or ray://HOST:PORT")
    p.add_argument("--resume", action="store_true", help="keep the items the manifest says are done; redo the rest")
    p.add_argument("--masks", action="store_true", help="also write each result's other images and masks beside it")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_config(p)
    p.set_defaults(func=cmd_batch)
