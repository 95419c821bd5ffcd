"""`lego-edit run | validate | bricks | plan | edit | sample`: editing on this machine, no daemon involved.

Each command imports the bricks and the Builder when it runs, never at import, so the parser stays
light for the commands that only talk to the daemon.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lego_edit.daemon.cli.common import add_config, load_config
from lego_edit.daemon.cli.errors import CliError


class CodedError(CliError):
    """A CliError with a one-word code, which `--json` prints as {"error": {"code", "message"}}."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _registry(config=None):
    """The brick registry, with the model manager set up from the config's [models] (availability reads it)."""
    from lego_edit.bricks import default_registry

    if config is not None:
        config.configure_models()
    return default_registry()


def _config(args: argparse.Namespace):
    return load_config(args)


def _read_workflow(path: str):
    from lego_edit.bricks.workflow import WorkflowSyntaxError, parse_workflow

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodedError(f"{path}: no such file", "no_such_file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CodedError(f"{path}: cannot read the workflow ({exc})", "bad_workflow") from None
    try:
        return parse_workflow(text)
    except WorkflowSyntaxError as exc:
        raise CodedError(f"{path}: {exc}", "bad_workflow") from None


def _editor(config, builder: str | None = None):
    from lego_edit.batch.editor import Editor

    return Editor(config, builder)


def _read_inputs(editor, image_path: str, mask_path: str | None):
    """(the image as a Source, the mask or None), read under the config's limits.max_pixels."""
    from lego_edit.batch.editor import EditFailure

    try:
        return editor.read(image_path, mask_path)
    except EditFailure as exc:
        raise CodedError(str(exc), exc.code) from None


def _check_output(out: str) -> str:
    """The format `-o OUT` asks for, checked before any work: one line naming the supported ones otherwise."""
    from lego_edit.bricks.imageio import ImageWriteError, output_format

    try:
        return output_format(out)
    except ImageWriteError as exc:
        raise CodedError(str(exc), exc.code) from None


class _Progress:
    """A progress bar on a terminal (tqdm), nothing otherwise; one tick per finished step."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled and total and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="step", file=sys.stderr, leave=False)

    def __call__(self, event) -> None:
        if self.bar is None:
            return
        if event.kind == "step_started":
            self.bar.set_description(f"step {event.step} {event.brick}")
        elif event.kind == "progress" and event.message:
            self.bar.set_postfix_str(event.message[:40])
        elif event.kind == "step_finished":
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _check_seed(seed: int | None) -> int | None:
    from lego_edit.bricks.cache import SEED_LIMIT

    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise CodedError(f"--seed {seed}: a seed is an integer from 0 to 2**63 - 1", "bad_argument")
    return seed


def _run(editor, source, mask, workflow, *, quiet: bool = False, seed: int | None = None):
    """The outcome of running `workflow` (a Plan or a Workflow), with a progress bar on a terminal; CodedError
    for a failure (an unexpected one re-raised as it was, for `--debug`)."""
    progress = _Progress(len(_workflow_of(workflow).steps), enabled=not quiet)
    try:
        outcome = editor.edit(source, "", mask, workflow=workflow, on_event=progress, seed=seed)
    finally:
        progress.close()
    if outcome.code == "internal" and outcome.error is not None:
        raise outcome.error
    if not outcome.ok:
        raise CodedError(outcome.message, outcome.code or "error")
    return outcome


def _workflow_of(plan):
    return getattr(plan, "workflow", plan)


def _write_outputs(outcome, out: str, intermediates: str | None) -> dict[str, Any]:
    """The final image to `out` (its extension's format, following the input), other result items beside it,
    intermediates into a folder: exactly what batch items get (lego_edit.batch.editor.write_outcome)."""
    from lego_edit.batch.editor import EditFailure, write_outcome

    try:
        return write_outcome(outcome, out, intermediates)
    except EditFailure as exc:
        raise CodedError(str(exc), exc.code) from None


# -- commands -----------------------------------------------------------------------------------

def _with_seed(summary: dict[str, Any], outcome) -> dict[str, Any]:
    if outcome.seed is not None:
        summary["seed"] = outcome.seed
    return summary


def cmd_run(args: argparse.Namespace) -> int:
    _check_output(args.output)
    seed = _check_seed(args.seed)
    config = _config(args)
    workflow = _read_workflow(args.workflow)
    with _editor(config) as editor:
        source, mask = _read_inputs(editor, args.image, args.mask)
        outcome = _run(editor, source, mask, workflow, quiet=args.json, seed=seed)
    summary = _with_seed(_write_outputs(outcome, args.output, args.save_intermediates), outcome)
    _report(summary, args.json)
    return 0


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    for item in summary["result"]:
        print(f"wrote {item['path']} ({item['ref']})")
        for note in item.get("notes", []):
            print(f"  note: {note}")
    for ref, value in summary["values"].items():
        print(f"{ref} = {value}")
    if summary["intermediates"]:
        print(f"saved {len(summary['intermediates'])} intermediate(s)")


def cmd_validate(args: argparse.Namespace) -> int:
    from lego_edit.bricks.checker import check

    config = _config(args)
    workflow = _read_workflow(args.workflow)
    report = check(workflow, _registry(config), report_unavailable=True)
    if args.json:
        print(json.dumps({"ok": report.ok, "problems": [
            {**p.to_dict(), "step": p.step} for p in report.problems]}, indent=2, ensure_ascii=False, default=str))
    else:
        for p in report.problems:
            print(f"{p.severity}: {p}")
        if report.ok:
            print(f"{args.workflow}: OK ({len(workflow.steps)} steps)")
    return 0 if report.ok else 1


def cmd_bricks(args: argparse.Namespace) -> int:
    catalog = _registry(_config(args)).catalog()
    if args.json:
        print(json.dumps(catalog, indent=2, ensure_ascii=False))
        return 0
    width = max(len(b["name"]) for b in catalog)
    for b in catalog:
        if b["available"]:
            state = f"{b['active_backend']}"
        else:
            fixes = [x["fix"] for x in b["backends"] if x["fix"]]
            state = "unavailable" + (f" — {fixes[0]}" if fixes else "")
        print(f"{b['name']:<{width}}  {state:<40} {b['purpose']}")
    return 0


def _plan(builder, image, mask, instruction: str, feedback: Sequence[str]):
    from lego_edit.builder import PlanError

    try:
        return builder.plan(instruction, image=image, mask=mask, feedback=list(feedback or []))
    except PlanError as exc:
        raise CodedError(f"cannot plan {instruction!r}: {exc}", "plan_refused") from None


def _plan_json(plan) -> dict[str, Any]:
    return {"reasoning": plan.reasoning, "workflow": plan.workflow.to_dict()}


def cmd_plan(args: argparse.Namespace) -> int:
    if args.batch:
        if args.image or args.instruction:
            raise CliError("give either --batch FILE or IMAGE INSTRUCTION, not both")
        return _plan_batch(args)
    if not (args.image and args.instruction):
        raise CliError("plan needs IMAGE and INSTRUCTION (or --batch FILE.jsonl)")
    config = _config(args)
    with _editor(config, args.builder) as editor:
        source, mask = _read_inputs(editor, args.image, args.mask)
        plan = _plan(editor.builder, source.image, mask, args.instruction, args.feedback)
    if args.json:
        print(json.dumps(_plan_json(plan), ensure_ascii=False))
    else:
        print(f"reasoning: {plan.reasoning}")
        print(plan.workflow.to_json())
    return 0


def _plan_batch(args: argparse.Namespace) -> int:
    """One JSON line out per line in; a refused or broken line is reported on its own line."""
    from lego_edit.builder import PlanError

    config = _config(args)
    editor = _editor(config, args.builder)
    builder = editor.builder
    try:
        lines = Path(args.batch).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CliError(f"{args.batch}: {exc.strerror or exc}") from None
    base = Path(args.batch).parent
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id: Any = number
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("each line must be a JSON object")
            item_id = item.get("id", number)
            image_path = item.get("image")
            inputs: dict[str, Any] = {"image": None, "mask": None}
            if image_path:
                mask_path = item.get("mask")
                source, mask = _read_inputs(editor, str(base / image_path),
                                            str(base / mask_path) if mask_path else None)
                inputs = {"image": source.image, "mask": mask}
            feedback = item.get("feedback") or []
            feedback = [feedback] if isinstance(feedback, str) else feedback
            plan = builder.plan(str(item.get("instruction", "")), image=inputs["image"], mask=inputs["mask"],
                                feedback=feedback)
            out = {"id": item_id, **_plan_json(plan)}
        except (PlanError, CliError, ValueError) as exc:
            out = {"id": item_id, "error": str(exc)}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    """Plan and run one edit: the Editor every batch item goes through (lego_edit.batch.editor)."""
    from lego_edit.batch.editor import EditFailure

    _check_output(args.output)
    seed = _check_seed(args.seed)
    config = _config(args)
    with _editor(config, args.builder) as editor:
        source, mask = _read_inputs(editor, args.image, args.mask)
        try:
            plan = editor.plan(source, args.instruction, mask, args.feedback)
        except EditFailure as exc:
            raise CodedError(str(exc), exc.code) from None
        if args.show_plan:
            print(f"reasoning: {plan.reasoning}", file=sys.stderr)
            print(plan.workflow.to_json(), file=sys.stderr)
        outcome = _run(editor, source, mask, plan, quiet=args.json, seed=seed)
    summary = _with_seed(_write_outputs(outcome, args.output, args.save_intermediates), outcome)
    summary["plan"] = outcome.plan
    _report(summary, args.json)
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """A demo photo: scikit-image's rocket photo (a real photo, its aspect ratio kept) with a red ball painted on it."""
    _check_output(args.output)
    if args.size < 16:
        raise CodedError(f"--size {args.size}: the long side must be at least 16 pixels", "bad_argument")
    from lego_edit.bricks.imageio import ImageWriteError, write_image
    from lego_edit.bricks.samples import red_ball_sample

    try:
        image, _ = red_ball_sample(args.size)
    except ImportError as exc:
        raise CodedError(f"the sample photo needs scikit-image (pip install 'lego-edit[dev]'): {exc}",
                         "missing_package") from None
    try:
        write_image(image, args.output)
    except ImageWriteError as exc:
        raise CodedError(str(exc), exc.code) from None
    height, width = image.shape[:2]
    print(f"wrote {args.output} ({width}x{height}): try  lego-edit edit {args.output} \"remove the red ball\" -o edited.png")
    return 0


# -- parser -------------------------------------------------------------------------------------

OUTPUT_HELP = ("where to write the result: .png, .jpg/.jpeg, .webp or .tif/.tiff (it keeps the input's mode and, "
               "in PNG and TIFF, its bit depth)")

def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run a workflow file on an image")
    p.add_argument("workflow")
    p.add_argument("image")
    p.add_argument("-o", "--output", required=True, help=OUTPUT_HELP)
    p.add_argument("--mask", help="a mask file (init[mask]); same size as the image")
    p.add_argument("--save-intermediates", metavar="DIR", help="write every intermediate image and mask here")
    p.add_argument("--seed", type=int, help="the seed of the model steps (same seed, same result); default: config's")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    add_config(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check a workflow file; exit 0 only if it is valid as written")
    p.add_argument("workflow")
    p.add_argument("--json", action="store_true")
    add_config(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("bricks", help="list the bricks and their active backends")
    p.add_argument("--json", action="store_true")
    add_config(p)
    p.set_defaults(func=cmd_bricks)

    builders = ("auto", "rules", "local", "openai")
    p = sub.add_parser("plan", help="turn an instruction into a workflow (prints reasoning and workflow)")
    p.add_argument("image", nargs="?")
    p.add_argument("instruction", nargs="?")
    p.add_argument("--mask", help="the user's mask (init[mask])")
    p.add_argument("--feedback", action="append", default=[], metavar="TEXT", help="a correction; repeatable")
    p.add_argument("--builder", choices=builders, help="builder backend (default: config, else auto)")
    p.add_argument("--batch", metavar="FILE.jsonl", help='lines {"id","image","instruction","mask"?,"feedback"?}')
    p.add_argument("--json", action="store_true")
    add_config(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("edit", help="plan an instruction and run it on an image")
    p.add_argument("image")
    p.add_argument("instruction")
    p.add_argument("-o", "--output", required=True, help=OUTPUT_HELP)
    p.add_argument("--mask", help="the user's mask (init[mask])")
    p.add_argument("--feedback", action="append", default=[], metavar="TEXT", help="a correction; repeatable")
    p.add_argument("--builder", choices=builders)
    p.add_argument("--show-plan", action="store_true", help="print the reasoning and workflow to stderr")
    p.add_argument("--save-intermediates", metavar="DIR")
    p.add_argument("--seed", type=int, help="the seed of the model steps (same seed, same result); default: config's")
    p.add_argument("--json", action="store_true")
    add_config(p)
    p.set_defaults(func=cmd_edit)

    p = sub.add_parser("sample", help="write a demo photo (needs scikit-image)")
    p.add_argument("output", nargs="?", default="sample.png")
    p.add_argument("--size", type=int, default=1024, help="the long side in pixels (the photo keeps its shape)")
    p.set_defaults(func=cmd_sample)
