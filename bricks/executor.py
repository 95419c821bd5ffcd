"""Runs a checked workflow: dependency order, overlapping branches, events, caching, cancellation.

The caller's thread schedules; bricks run in a thread pool (numpy and OpenCV release the GIL).
Backends marked `exclusive` (GPU models) take one process-wide lock, so they run one at a time.
A run may be given a seed: each step on a `stochastic` backend gets its own seed derived from it
(`cache.step_seed`), in its BrickContext and in its cache key; the other steps get none, so their
cached outputs serve every seed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lego_edit.bricks.cache import SEED_LIMIT, StepCache, content_key, step_key, step_seed
from lego_edit.bricks.checker import InvalidWorkflow, check
from lego_edit.bricks.imageops import mask_size_problem
from lego_edit.bricks.registry import (
    Brick,
    BrickContext,
    BrickError,
    BrickUnavailable,
    Cancelled,
    NeedsSelection,
    Registry,
    check_pixels,
)
from lego_edit.bricks.values import ValueType, conforms, type_of
from lego_edit.bricks.workflow import Ref, Step, Workflow

DEFAULT_MAX_PIXELS = 8192 * 8192  # the daemon config's limits.max_pixels default (bricks/imageio.py says the same)

log = logging.getLogger("lego_edit.executor")

EXCLUSIVE_LOCK = threading.Lock()


@dataclass
class Event:
    """`step_started` (seed: the step's own, for a stochastic step of a seeded run), `progress`,
    `step_finished` (seconds, cached) or `output` (key, value)."""

    kind: str
    step: int | None = None
    brick: str | None = None
    fraction: float = 0.0
    message: str = ""
    seconds: float | None = None
    cached: bool = False
    key: str | None = None
    value: Any = None
    seed: int | None = None


@dataclass
class RunResult:
    outputs: dict[str, Any]  # "stepN[key]" -> value
    result: list[tuple[str, Any]]  # the workflow's result refs with their values, in order
    seconds: dict[int, float] = field(default_factory=dict)
    executed: list[int] = field(default_factory=list)
    cached: list[int] = field(default_factory=list)
    seed: int | None = None  # the run's seed, as given
    stochastic: list[int] = field(default_factory=list)  # steps whose backend draws random numbers
    seeds: dict[int, int] = field(default_factory=dict)  # stochastic step -> its seed (a seeded run only)

    @property
    def variation(self) -> bool:
        """Whether another seed could give other pixels: some step ran on a stochastic backend."""
        return bool(self.stochastic)


class StepFailed(Exception):
    """`needs_selection`: the step could not tell which part of the image was meant (a selection would)."""

    def __init__(self, step: int, brick: str, cause: str, unavailable: bool = False,
                 needs_selection: bool = False, subject: str | None = None) -> None:
        self.step, self.brick, self.cause, self.unavailable = step, brick, cause, unavailable
        self.needs_selection, self.subject = needs_selection, subject
        super().__init__(f"step {step} ({brick}) failed: {cause}")


class RunCancelled(Exception):
    pass


def _frozen(value: Any) -> Any:
    """Read-only view: no brick can modify a caller's pixels or a cached output in place."""
    if isinstance(value, np.ndarray) and value.flags.writeable:
        value = value.view()
        value.flags.writeable = False
    return value


def check_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    image = inputs.get("image")
    mask = inputs.get("mask")
    if not isinstance(image, np.ndarray) or not conforms(image, ValueType.IMAGE):
        raise ValueError("init[image] must be an RGBA uint8 image (H x W x 4)")
    if mask is not None:
        if not conforms(mask, ValueType.MASK):
            raise ValueError("init[mask] must be a uint8 mask (H x W)")
        problem = mask_size_problem(image, mask)
        if problem is not None:
            raise ValueError(problem)
    return {"image": _frozen(image), "mask": _frozen(mask)}


class Executor:
    def __init__(self, registry: Registry, *, cache: StepCache | None = None, max_workers: int = 4,
                 backend_prefs: Mapping[str, str] | None = None, models: Any = None, device: str = "cpu",
                 max_pixels: int | None = DEFAULT_MAX_PIXELS) -> None:
        self.registry = registry
        # The most pixels an image or mask a step makes may have: given to every brick (BrickContext.
        # max_pixels, checked before a brick grows an image) and checked on every output. None: no limit.
        self.max_pixels = max_pixels
        self.cache = cache if cache is not None else StepCache()
        self.backend_prefs = dict(backend_prefs or {})
        self.models = models
        self.device = device
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="brick")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(self, workflow: Workflow, inputs: Mapping[str, Any], *, on_event: Callable[[Event], None] | None = None,
            cancel: threading.Event | None = None, seed: int | None = None) -> RunResult:
        """`seed` (0 <= seed < 2**63): the stochastic steps' seeds derive from it; None: each backend's
        configured seed, and their cached outputs are reused as for any step."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT):
            raise ValueError(f"seed must be an integer from 0 to 2**63 - 1, not {seed!r}")
        inputs = check_inputs(inputs)
        present = [k for k, v in inputs.items() if v is not None]
        report = check(workflow, self.registry, inits=present)
        if not report.ok:
            raise InvalidWorkflow(report)
        for step in workflow.steps:  # fail before spending time on the steps that could run
            brick = self.registry.get(step.model)
            assert brick is not None  # check() passed: every step's brick is registered
            if brick.active_backend(self.backend_prefs.get(brick.name)) is None:
                raise StepFailed(step.number, brick.name, brick.unavailable_message(), unavailable=True)
        return _Run(self, workflow, inputs, on_event, cancel or threading.Event(), seed).execute()


class _Run:
    """State of one execution; lives only for the duration of `Executor.run`."""

    def __init__(self, executor: Executor, workflow: Workflow, inputs: dict[str, Any],
                 on_event: Callable[[Event], None] | None, cancel: threading.Event, seed: int | None) -> None:
        self.ex, self.wf, self.cancel, self.seed = executor, workflow, cancel, seed
        self.values: dict[Ref, Any] = {Ref(None, k): v for k, v in inputs.items()}
        self.keys: dict[Ref, str] = {}
        self.inputs = inputs
        self._emit_lock = threading.Lock()
        self._on_event = on_event
        self.result = RunResult(outputs={}, result=[], seed=seed)
        self._abort = threading.Event()  # set when a step fails: its running siblings stop early
        self.stochastic: set[int] = set()

    def emit(self, event: Event) -> None:
        if self._on_event is not None:
            with self._emit_lock:
                self._on_event(event)

    def key_of(self, ref: Ref) -> str:
        if ref not in self.keys:  # caller inputs are hashed lazily: a zero-step run hashes nothing
            self.keys[ref] = content_key(self.values.get(ref))
        return self.keys[ref]

    def execute(self) -> RunResult:
        steps = {s.number: s for s in self.wf.steps}
        waiting = {n: {r.step for _, r in s.refs() if r.step is not None} for n, s in steps.items()}
        dependents: dict[int, list[int]] = {n: [] for n in steps}
        for n, deps in waiting.items():
            for d in deps:
                dependents[d].append(n)
        ready = [n for n, deps in waiting.items() if not deps]
        running: dict[Future, tuple[int, str]] = {}
        step_seeds: dict[int, int | None] = {}
        failure: BaseException | None = None

        while ready or running:
            while ready and failure is None and not self.cancel.is_set():
                step = steps[ready.pop(0)]
                brick, backend, key, seed = self._prepare(step)
                step_seeds[step.number] = seed
                cached = self.ex.cache.get(key)
                if cached is not None:
                    self._finish(step, brick.name, key, cached, seconds=0.0, was_cached=True)
                    ready.extend(self._release(step.number, waiting, dependents))
                else:
                    running[self.ex._pool.submit(self._call, step, brick, backend, seed)] = (step.number, key)
            if not running:
                break
            done, _ = wait(list(running), timeout=0.05, return_when=FIRST_COMPLETED)
            for fut in done:
                n, key = running.pop(fut)
                try:
                    outputs, seconds = fut.result()
                except BaseException as exc:  # noqa: BLE001 - raised below, once running steps stop
                    failure = failure or exc
                    self._abort.set()
                    continue
                self.ex.cache.put(key, outputs)  # a finished step is worth keeping even if a sibling failed
                if failure is None:
                    self._finish(steps[n], steps[n].model, key, outputs, seconds=seconds, was_cached=False)
                    ready.extend(self._release(n, waiting, dependents))
        if isinstance(failure, Cancelled) or (failure is None and self.cancel.is_set()):
            raise RunCancelled()
        if failure is not None:
            raise failure
        self.result.result = [(str(r), self.values.get(r)) for r in self.wf.result]
        self.result.stochastic = sorted(self.stochastic)
        self.result.seeds = {n: s for n, s in sorted(step_seeds.items()) if s is not None}
        return self.result

    def _stopping(self) -> bool:
        return self.cancel.is_set() or self._abort.is_set()

    def _release(self, n: int, waiting: dict[int, set[int]], dependents: dict[int, list[int]]) -> list[int]:
        freed = []
        for d in dependents[n]:
            waiting[d].discard(n)
            if not waiting[d]:
                freed.append(d)
        return freed

    def _prepare(self, step: Step):
        brick = self.ex.registry.get(step.model)
        assert brick is not None  # run() checked the workflow: every step's brick is registered
        backend = brick.active_backend(self.ex.backend_prefs.get(brick.name))
        backend_name = backend.name if backend else "-"
        literals = {k: v for k, v in step.literals().items()}
        input_keys = {name: self.key_of(ref) for name, ref in step.refs()}
        seed = None
        if backend is not None and backend.stochastic:
            self.stochastic.add(step.number)
            if self.seed is not None:
                seed = step_seed(self.seed, step.number)
        return brick, backend, step_key(brick.name, backend_name, literals, input_keys, seed), seed

    def _arguments(self, step: Step, brick: Brick) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for port in brick.inputs:
            if port.name not in step.inputs:
                continue
            raw = step.inputs[port.name]
            value = self.values.get(raw) if isinstance(raw, Ref) else raw
            if value is None and not port.optional:
                raise StepFailed(step.number, brick.name, f"input {port.name!r} is empty ({raw} produced nothing)")
            if value is not None and port.type is ValueType.FLOAT:
                value = float(value)
            args[port.name] = value
        return args

    def _call(self, step: Step, brick: Brick, backend, seed: int | None) -> tuple[dict[str, Any], float]:
        n = step.number
        if backend is None:
            raise StepFailed(n, brick.name, brick.unavailable_message(), unavailable=True)
        args = self._arguments(step, brick)
        self.emit(Event("step_started", step=n, brick=brick.name, message=backend.name, seed=seed))

        def progress(fraction: float, message: str = "") -> None:
            self.emit(Event("progress", step=n, brick=brick.name, fraction=float(fraction), message=message))

        ctx = BrickContext(progress=progress, cancelled=self._stopping, models=self.ex.models,
                           device=self.ex.device, log=logging.getLogger(f"lego_edit.brick.{brick.name}"),
                           max_pixels=self.ex.max_pixels, seed=seed)
        start = time.perf_counter()
        try:
            if backend.exclusive:
                with EXCLUSIVE_LOCK:
                    ctx.raise_if_cancelled()
                    outputs = backend.fn(ctx, **args)
            else:
                outputs = backend.fn(ctx, **args)
        except (Cancelled, StepFailed):
            raise
        except BrickUnavailable as exc:
            raise StepFailed(n, brick.name, str(exc), unavailable=True) from exc
        except BrickError as exc:
            raise StepFailed(n, brick.name, str(exc), needs_selection=isinstance(exc, NeedsSelection),
                             subject=getattr(exc, "subject", None)) from exc
        except Exception as exc:
            log.exception("step %s (%s) raised", n, brick.name)
            raise StepFailed(n, brick.name, f"{type(exc).__name__}: {exc}") from exc
        seconds = time.perf_counter() - start
        return self._checked_outputs(step, brick, outputs), seconds

    def _checked_outputs(self, step: Step, brick: Brick, outputs: Any) -> dict[str, Any]:
        if not isinstance(outputs, dict):
            raise StepFailed(step.number, brick.name, "the brick returned no outputs")
        checked = {}
        for port in brick.outputs:
            value = outputs.get(port.name)
            if value is None:
                if not port.optional:
                    raise StepFailed(step.number, brick.name, f"the brick produced no {port.name!r}")
            else:
                try:
                    actual = type_of(value)
                except TypeError as exc:
                    raise StepFailed(step.number, brick.name, f"output {port.name!r}: {exc}") from exc
                if actual is not port.type:
                    raise StepFailed(step.number, brick.name, f"output {port.name!r} is a {actual}, not a {port.type}")
                if isinstance(value, np.ndarray) and value.ndim >= 2:  # a brick that did not check before growing
                    try:
                        check_pixels(value.shape[1], value.shape[0], self.ex.max_pixels, f"output {port.name!r}")
                    except BrickError as exc:
                        raise StepFailed(step.number, brick.name, str(exc)) from None
            checked[port.name] = _frozen(value)
        return checked

    def _finish(self, step: Step, brick: str, key: str, outputs: dict[str, Any], *, seconds: float,
                was_cached: bool) -> None:
        n = step.number
        for name, value in outputs.items():
            ref = Ref(n, name)
            self.values[ref] = value
            self.keys[ref] = f"{key}:{name}"
            self.result.outputs[str(ref)] = value
        (self.result.cached if was_cached else self.result.executed).append(n)
        self.result.seconds[n] = seconds
        for name, value in outputs.items():
            if value is not None:
                self.emit(Event("output", step=n, brick=brick, key=name, value=value))
        self.emit(Event("step_finished", step=n, brick=brick, seconds=seconds, cached=was_cached, fraction=1.0))
