"""One plan-and-run path for a single edit and for every item of a batch.

`Editor` holds the registry, the Builder and the Executor of one configuration warm across edits, so
`lego-edit edit`, the batch workers (local processes or Ray actors) and the evaluation all plan, run
and write in exactly the same way: `lego-edit edit IMAGE TEXT -o OUT` is `Editor.edit` followed by
`write_outcome`, nothing more.

Failures a user can meet come back as an `EditOutcome` whose `code` is the CLI's `--json` code
(`plan_refused`, `step_failed`, `unreadable_image`, ...), never as an exception; `write_outcome`
raises `EditFailure`, which carries such a code as well.

Plan sharing: the `rules` Builder's plan depends only on the instruction, the feedback, whether a
(non-empty) mask is given and the image's width and height (used for aspect-ratio outpainting) —
never on the pixels. With `share_plans`, an Editor whose Builder is certainly `rules` (backend
`rules`, or `auto` with no model Builder configured) plans once per such key and reuses the plan.
A model Builder looks at the pixels, so with one configured every image is planned.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

PLAN_CACHE_SIZE = 64  # shared plans kept per Editor (distinct instruction / feedback / mask / size keys)
TOO_LARGE_HINT = ("raise max_pixels in the [limits] section of config.toml (limits.max_pixels; "
                  "`lego-edit config` shows the file, --config FILE picks another)")


class EditFailure(Exception):
    """A user-facing failure with its one-word `--json` code (`unreadable_image`, `plan_refused`, ...)."""

    def __init__(self, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Source:
    """An image as read from a file: the RGBA working copy and what the file was (its FormatProfile)."""

    image: np.ndarray
    profile: Any = None  # bricks.imageio.FormatProfile; None: an array given directly (written as 8-bit RGB(A))
    name: str = ""


@dataclass
class EditOutcome:
    """What one edit came to. `status` "done" | "refused" (the Builder could not plan it) | "failed";
    `code` is the CLI's --json error code (None when done)."""

    status: str
    code: str | None = None
    message: str = ""
    plan: dict[str, Any] | None = None  # {"reasoning", "workflow"} as `lego-edit plan --json` prints it
    image: np.ndarray | None = None  # the main result image (the last image among the workflow's results)
    outputs: dict[str, Any] = field(default_factory=dict)  # every step output: "stepN[key]" -> value
    plan_s: float = 0.0
    edit_s: float = 0.0
    backend: str | None = None  # which Builder planned it ("rules", "openai", ...)
    plan_shared: bool = False  # the plan was reused from an earlier item with the same plan key
    result: list[tuple[str, Any]] = field(default_factory=list, repr=False)  # the workflow's result refs, in order
    steps: list[dict[str, Any]] = field(default_factory=list)  # {"step", "brick", "seconds", "cached"}
    seed: int | None = None  # the run's seed, when it was given one (to reproduce the stochastic steps)
    source: Source | None = field(default=None, repr=False)  # the input, for writing the output like it
    workflow: Any = field(default=None, repr=False)
    error: BaseException | None = field(default=None, repr=False)  # the exception behind an "internal" failure

    @property
    def ok(self) -> bool:
        return self.status == "done"


def _failed(code: str, message: str, **extra: Any) -> EditOutcome:
    return EditOutcome("refused" if code == "plan_refused" else "failed", code, message, **extra)


class Editor:
    """The registry, Builder and Executor of `config` (a lego_edit.daemon.config.Config), kept across edits.

    `builder` overrides config.builder.backend (auto | rules | local | openai). Not thread-safe: one
    Editor per worker thread or process."""

    def __init__(self, config: Any, builder: str | None = None, *, share_plans: bool = False) -> None:
        from lego_edit.bricks import default_registry
        from lego_edit.builder import Builder

        self.config = config
        config.configure_models()  # the catalog's availability reads the model settings
        self.registry = default_registry()
        settings = config.builder_config()
        if builder:
            settings.backend = builder
        self.builder = Builder(self.registry, settings)
        self.executor = config.make_executor(self.registry)
        self.max_pixels = int(config.limits.max_pixels)
        self.share_plans = share_plans
        self._plans: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.plans_made = 0  # Builder calls (shared plans are not counted again)

    # -- inputs ---------------------------------------------------------------------------------
    def read(self, image: str | Path | bytes | np.ndarray | Source, mask: str | Path | bytes | np.ndarray | None = None,
             *, name: str | None = None) -> tuple[Source, np.ndarray | None]:
        """(the image as a Source, the mask as a uint8 array or None), read under limits.max_pixels; EditFailure
        (no_such_file, unreadable_image, too_large, mask_size) otherwise."""
        from lego_edit.bricks.imageio import ImageReadError, ImageTooLarge, load_mask, read_image
        from lego_edit.bricks.values import to_rgba

        label = name or (str(image) if isinstance(image, (str, Path)) else "the image")
        try:
            if isinstance(image, Source):
                source = image
            elif isinstance(image, np.ndarray):
                source = Source(to_rgba(image), None, label)
            else:
                pixels, profile = read_image(image, max_pixels=self.max_pixels)
                source = Source(pixels, profile, label)
            if mask is None or isinstance(mask, np.ndarray):
                mask_array = mask
            else:
                mask_array = load_mask(mask, max_pixels=self.max_pixels)
        except ImageTooLarge as exc:
            raise EditFailure(f"{_named(str(exc), image, name)}: {TOO_LARGE_HINT}", exc.code) from None
        except ImageReadError as exc:
            raise EditFailure(_named(str(exc), image, name), exc.code) from None
        if mask_array is not None and mask_array.shape != source.image.shape[:2]:
            mask_name = str(mask) if isinstance(mask, (str, Path)) else "the mask"
            raise EditFailure(f"{mask_name} is {mask_array.shape[1]}x{mask_array.shape[0]} but {source.name} is "
                              f"{source.image.shape[1]}x{source.image.shape[0]}: the mask must match the image",
                              "mask_size")
        return source, mask_array

    # -- planning -------------------------------------------------------------------------------
    def plans_depend_on_pixels(self) -> bool:
        """Whether this Editor's Builder may look at the image (a model Builder), so no plan can be shared."""
        backend = self.builder.config.backend
        if backend == "rules":
            return False
        if backend == "auto":
            return any(self.builder.configured(name)[0] for name in ("local", "openai"))
        return True

    def plan_key(self, image: np.ndarray | None, mask: np.ndarray | None, instruction: str,
                 feedback: Sequence[str] = ()) -> tuple[Any, ...] | None:
        """What the plan depends on when it does not depend on the pixels; None when it does."""
        if self.plans_depend_on_pixels():
            return None
        has_mask = mask is not None and bool(np.asarray(mask).any())
        size = tuple(image.shape[:2]) if isinstance(image, np.ndarray) else None
        return ((instruction or "").strip(), tuple(t for t in feedback if t and t.strip()), has_mask, size)

    def plan(self, image: Any, instruction: str, mask: Any = None, feedback: Sequence[str] = ()):
        """The Builder's Plan for `instruction` on `image` (an array, a Source or None), or EditFailure
        plan_refused (invalid_workflow when a model Builder kept writing broken workflows)."""
        return self._plan(image, instruction, mask, feedback)[0]

    def _plan(self, image: Any, instruction: str, mask: Any, feedback: Sequence[str]) -> tuple[Any, bool]:
        from lego_edit.builder import PlanError

        pixels = image.image if isinstance(image, Source) else image
        key = self.plan_key(pixels, mask, instruction, feedback) if self.share_plans else None
        if key is not None and key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key], True
        try:
            plan = self.builder.plan(instruction, image=pixels, mask=mask, feedback=list(feedback or []))
        except PlanError as exc:
            raise EditFailure(f"cannot plan {instruction!r}: {exc}", "plan_refused") from None
        self.plans_made += 1
        if key is not None:
            self._plans[key] = plan
            while len(self._plans) > PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan, False

    # -- one edit -------------------------------------------------------------------------------
    def edit(self, image: str | Path | bytes | np.ndarray | Source, instruction: str, mask: Any = None,
             feedback: Sequence[str] = (), *, workflow: Any = None,
             on_event: Callable[[Any], None] | None = None, cancel: Any = None,
             seed: int | None = None) -> EditOutcome:
        """Read (a path or bytes), plan (unless `workflow`: a Plan, a Workflow or its dict, is given) and run.
        `seed`: the run's seed (the stochastic steps' seeds derive from it); None: each backend's configured one.

        Never raises for what a user can meet: the outcome says what happened. Anything unexpected is
        a "failed" outcome with code "internal" and the exception in `error`."""
        from lego_edit.bricks.checker import InvalidWorkflow
        from lego_edit.bricks.executor import StepFailed

        try:
            source, mask_array = self.read(image, mask)
        except EditFailure as exc:
            return _failed(exc.code, str(exc))
        started = time.perf_counter()
        shared = False
        try:
            if workflow is None:
                plan, shared = self._plan(source, instruction, mask_array, feedback)
            else:
                plan = _as_plan(workflow)
        except EditFailure as exc:
            return _failed(exc.code, str(exc), plan_s=time.perf_counter() - started)
        except Exception as exc:  # a Builder bug: reported, the batch goes on
            return _failed("internal", f"{type(exc).__name__}: {exc}", error=exc,
                           plan_s=time.perf_counter() - started)
        plan_s = time.perf_counter() - started
        planned = {"reasoning": plan.reasoning, "workflow": plan.workflow.to_dict()}
        common: dict[str, Any] = {"plan": planned, "plan_s": plan_s, "backend": plan.backend, "plan_shared": shared,
                                  "source": source, "workflow": plan.workflow}
        started = time.perf_counter()
        try:
            result = self.executor.run(plan.workflow, {"image": source.image, "mask": mask_array},
                                       on_event=on_event, cancel=cancel, seed=seed)
        except InvalidWorkflow as exc:
            return _failed("invalid_workflow", str(exc), edit_s=time.perf_counter() - started, **common)
        except StepFailed as exc:
            return _failed("step_failed", str(exc), edit_s=time.perf_counter() - started, **common)
        except Exception as exc:
            return _failed("internal", f"{type(exc).__name__}: {exc}", error=exc,
                           edit_s=time.perf_counter() - started, **common)
        edit_s = time.perf_counter() - started
        arrays = [(ref, v) for ref, v in result.result if isinstance(v, np.ndarray)]
        images = [item for item in arrays if item[1].ndim == 3]
        main = (images or arrays)[-1][1] if arrays else None
        steps = [{"step": n, "brick": brick_name(plan.workflow, n), "seconds": round(result.seconds[n], 4),
                  "cached": n in result.cached} for n in sorted(result.seconds)]
        return EditOutcome("done", None, "", image=main, outputs=dict(result.outputs), edit_s=edit_s,
                           result=list(result.result), steps=steps, seed=result.seed, **common)

    def close(self) -> None:
        self.executor.close()

    def __enter__(self) -> Editor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _named(message: str, image: Any, name: str | None) -> str:
    """An imageio message about bytes ("the data ...") names the file they came from."""
    if name and isinstance(image, (bytes, bytearray, memoryview)) and message.startswith("the data"):
        return name + message[len("the data"):]
    return message


def _as_plan(workflow: Any):
    """A Plan from a Plan, a Workflow or a workflow dict / JSON text (reasoning from the workflow's `process`)."""
    from lego_edit.bricks.workflow import Workflow, parse_workflow
    from lego_edit.builder import Plan

    if isinstance(workflow, Plan):
        return workflow
    if isinstance(workflow, Mapping) and "workflow" in workflow and "pipeline" not in workflow:
        reasoning = str(workflow.get("reasoning", ""))
        workflow = workflow["workflow"]
    else:
        reasoning = ""
    if isinstance(workflow, str):
        workflow = parse_workflow(workflow)
    elif isinstance(workflow, Mapping):
        workflow = Workflow.from_dict(dict(workflow))
    return Plan(reasoning or workflow.process, workflow, "given")


def brick_name(workflow: Any, number: int | None) -> str:
    step = workflow.step(number) if number is not None else None
    return step.model if step else "?"


def _slug(ref: str) -> str:
    return ref.replace("[", "-").replace("]", "")


def output_files(outcome: EditOutcome, out: str | Path) -> list[Path]:
    """The paths `write_outcome(outcome, out)` writes: `out`, then each other result array beside it."""
    out_path = Path(out)
    arrays = [(ref, v) for ref, v in outcome.result if isinstance(v, np.ndarray)]
    images = [item for item in arrays if item[1].ndim == 3]
    main_ref = (images or arrays)[-1][0] if arrays else None
    return [out_path if ref == main_ref else out_path.with_name(f"{out_path.stem}.{_slug(ref)}.png")
            for ref, _ in arrays]


def write_outcome(outcome: EditOutcome, out: str | Path, intermediates: str | Path | None = None,
                  *, main_only: bool = False) -> dict[str, Any]:
    """Write a done outcome as `lego-edit edit -o OUT` does: the main result image to `out` in its extension's
    format, following the input's profile (pixels the edit left alone keep a 16-bit source's values); the
    other result items beside it (`OUT.step1-image.png`, unless `main_only`); every intermediate image and
    mask into `intermediates` (PNG). Returns the `--json` summary; EditFailure when it cannot write."""
    from lego_edit.bricks.imageio import ImageWriteError, save, write_image
    from lego_edit.bricks.refs import Ref

    if not outcome.ok:
        raise EditFailure(outcome.message, outcome.code or "error")
    arrays = [(ref, v) for ref, v in outcome.result if isinstance(v, np.ndarray)]
    if not arrays:
        raise EditFailure("the workflow's result holds no image or mask to write", "error")
    source = outcome.source
    profile = source.profile if source is not None else None
    original = source.image if source is not None else None
    paths = output_files(outcome, out)
    main_path = Path(out)
    written = []
    for (ref, value), path in zip(arrays, paths, strict=True):
        item: dict[str, Any] = {"ref": ref, "kind": "image" if value.ndim == 3 else "mask"}
        if path == main_path:
            try:
                done = write_image(value, path, profile, original)
            except ImageWriteError as exc:
                raise EditFailure(str(exc), exc.code) from None
            item.update(path=str(path), **done.to_dict())
        elif main_only:
            continue
        else:
            save(value, path)
            item["path"] = str(path)
        written.append(item)
    scalars = {ref: v for ref, v in outcome.result if not isinstance(v, np.ndarray)}
    saved = []
    if intermediates:
        folder = Path(intermediates)
        for ref, value in outcome.outputs.items():
            parsed = Ref.parse(ref)
            if isinstance(value, np.ndarray) and parsed is not None:
                path = folder / f"{_slug(ref)}-{brick_name(outcome.workflow, parsed.step)}.png"
                save(value, path)
                saved.append(str(path))
    return {"result": written, "values": scalars, "intermediates": saved, "steps": list(outcome.steps)}
