"""`lego-edit train data | sft | grpo | grpo-critic`: build the Builder's training set and train it.

`data` needs only the base install; the stages need the `train` extra (torch, transformers, trl,
peft, datasets), imported only when a stage runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lego_edit.daemon.cli.errors import CliError

TRAIN_HINT = "pip install 'lego-edit[train]'"


def register(sub: Any) -> None:
    p = sub.add_parser("train", help="build training data for the Builder and train it (SFT, GRPO, GRPO with a critic)")
    tsub = p.add_subparsers(dest="train_command", required=True, metavar="STAGE")

    d = tsub.add_parser("data", help="write a training set (JSONL) from the sources named")
    d.add_argument("--images", required=True, help="a folder of images, given to instructions by a hash of the text")
    d.add_argument("-o", "--out", required=True, help="the dataset JSONL to write")
    d.add_argument("--examples", action="store_true", help="the prompt's worked examples")
    d.add_argument("--rules", action="append", default=[], metavar="LIST",
                   help="an instruction list (JSONL with \"instruction\", or text) planned by the rules Builder")
    d.add_argument("--history", action="append", default=[], metavar="FILE",
                   help="accepted edits: JSONL lines {instruction, image, mask?, feedback?, workflow}")
    d.add_argument("--instructions", action="append", default=[], metavar="LIST",
                   help="an instruction list without targets (for grpo-critic)")
    d.add_argument("--no-refusals", action="store_true", help="leave out what the rules Builder refuses")
    d.add_argument("--heldout", type=float, default=10.0, metavar="PERCENT", help="held-out share (default 10)")
    d.add_argument("--bricks", default="", help="comma-separated bricks to plan with (default: the whole catalog)")
    d.add_argument("--json", action="store_true", help="print the counts as JSON")
    d.set_defaults(func=cmd_data)

    for stage, what in (("sft", "stage 1: supervised fine-tuning on the dataset's targets"),
                        ("grpo", "stage 2: GRPO with rewards against the ground truth"),
                        ("grpo-critic", "stage 3: GRPO with a vision-language critic of the executed result")):
        s = tsub.add_parser(stage, help=what)
        s.add_argument("--config", required=True, help="train.toml")
        s.add_argument("--max-steps", type=int, default=None, help="override train.max_steps")
        s.add_argument("--output", default=None, help="override train.output")
        s.add_argument("--json", action="store_true", help="print the result as JSON")
        s.set_defaults(func=cmd_stage, stage=stage)


def _registry(bricks: str):
    from lego_edit.bricks import default_registry
    from lego_edit.bricks.registry import Registry

    full = default_registry()
    names = [n.strip() for n in bricks.split(",") if n.strip()]
    if not names:
        return full
    unknown = [n for n in names if full.get(n) is None]
    if unknown:
        raise CliError(f"unknown bricks: {', '.join(unknown)} (`lego-edit bricks` lists them)")
    return Registry([b for b in map(full.get, names) if b is not None])


def cmd_data(args: argparse.Namespace) -> int:
    from lego_edit.training import data

    if not (args.examples or args.rules or args.history or args.instructions):
        raise CliError("name at least one source: --examples, --rules LIST, --history FILE or --instructions LIST")
    if not 0 <= args.heldout < 100:
        raise CliError("--heldout is a percentage from 0 to below 100")
    out = Path(args.out)
    registry = _registry(args.bricks)
    counts: dict[str, Any] = {}
    try:
        images = data.image_files(args.images)
        records: list[data.Record] = []
        for path in args.history:
            found, c = data.from_history(path, registry)
            records += found
            counts[f"history {path}"] = c
        if args.examples:
            found = data.from_examples(images, out.parent / (out.stem + "-masks"), registry)
            records += found
            counts["examples"] = {"kept": len(found)}
        for path in args.rules:
            found, c = data.distill_rules(data.read_instructions(path), images, registry,
                                          refusals=not args.no_refusals)
            records += found
            counts[f"rules {path}"] = c
        for path in args.instructions:
            found = data.unannotated(data.read_instructions(path), images)
            records += found
            counts[f"instructions {path}"] = {"kept": len(found)}
    except data.DataError as exc:
        raise CliError(str(exc)) from None
    records, dropped = data.deduplicate(records)
    records = data.assign_splits(records, args.heldout)
    data.save(data.relative_to(records, out.parent), out)
    summary = {"out": str(out), "records": len(records), "duplicates_dropped": dropped,
               "train": sum(r.split == data.TRAIN for r in records),
               "heldout": sum(r.split == data.HELDOUT for r in records),
               "with_target": sum(r.has_target for r in records), "sources": counts}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{out}: {summary['records']} records ({summary['train']} train, {summary['heldout']} held out; "
              f"{summary['with_target']} with a target), {dropped} duplicates dropped")
        for name, c in counts.items():
            print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    from lego_edit.training.config import ConfigError, TrainConfig

    try:
        cfg = TrainConfig.load(args.config)
        if args.max_steps is not None:
            cfg.train.max_steps = args.max_steps
        if args.output:
            cfg.train.output = str(Path(args.output).resolve())
        cfg.require()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    try:
        from lego_edit.training.stages import run
    except ImportError as exc:
        raise CliError(f"training needs the train extra ({exc.name} is missing): {TRAIN_HINT}") from None
    from lego_edit.training.data import DataError

    try:
        result = run(args.stage, cfg)
    except (ConfigError, DataError) as exc:
        raise CliError(str(exc)) from None
    summary = {"stage": result.stage, "steps": result.steps, "lora": str(result.lora), "metrics": str(result.metrics),
               "merged": str(result.merged) if result.merged else None}
    if args.json:
        print(json.dumps(summary))
    else:
        use = (f"builder.local_model = {result.merged} plans with it" if result.merged else
               "train.merge = true also writes a checkpoint folder for builder.local_model")
        print(f"{result.stage}: {result.steps} steps; LoRA in {result.lora} ({use}); metrics in {result.metrics}")
    return 0
