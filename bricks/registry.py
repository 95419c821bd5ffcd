"""Brick descriptions and the registry the Builder and the Executor share.

A brick is declared once as a `BrickSpec` — name, purpose, typed ports, constraints, role, family:
frozen, and pure Python, so the Builder can read the catalog (bricks/builtin/catalog.py) without the
image stack. A `Brick` is a spec with its backends in order of preference; the Executor runs it.
The built-in bricks are built by `lego_edit.bricks.builtin.builtin_bricks(settings)`, fresh on each
call, so registries built from different model settings live side by side.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from lego_edit.bricks.valuetype import ValueType

log = logging.getLogger("lego_edit.bricks")

ENTRY_POINT_GROUP = "lego_edit.bricks"


class BrickError(Exception):
    """A brick could not do what it was asked; the message is meant for the user."""


class BrickUnavailable(BrickError):
    """No backend of the brick can run here; the message says what fixes it."""


class NeedsSelection(BrickError):
    """The brick cannot tell offline which part of the image is meant; the user's selection (given as
    the mask) or the segmentation model would. Front ends ask for a selection instead of guessing;
    `subject` is what to select, when the brick was told ('red box')."""

    def __init__(self, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class Cancelled(Exception):
    """Raised inside a brick (via `ctx.raise_if_cancelled`) when its job was cancelled."""


class BrickRole(str, enum.Enum):
    """What a brick does to a workflow, for the planner and the feedback rules (not for execution)."""

    SEGMENT = "segment"  # image (+ hint) -> mask of an object or region: RES, SOS, MASK-SEG
    MASK = "mask"  # reshapes or combines masks (and, given images, images): BBOX, INVERSE, COMPOSE, RESIZE
    PREDICT = "predict"  # looks at the image and proposes: where to add (ADD-PRED), a caption / canvas (CMI-PRED)
    EDIT = "edit"  # changes the pixels of the image it is given

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Port:
    name: str
    type: ValueType
    optional: bool = False
    doc: str = ""


def _always_available() -> str | None:
    return None


def _no_stamp() -> object:
    return None


@dataclass
class Backend:
    """One way of running a brick. `fn(ctx, **inputs) -> {output: value}`.

    `check()` returns None when the backend can run, else the reason it cannot; `fix` is the
    command that makes it available. `exclusive` backends (GPU models) run one at a time. The
    answer of `check()` is kept for a few seconds, and forgotten at once when `stamp()` (e.g. the
    model settings in force) changes. `stochastic` backends draw random numbers (a diffusion
    sampler), so their output depends on `BrickContext.seed`: the executor gives them a seed and
    keys their cached outputs by it; every other backend gets no seed and is cached by its inputs
    alone (another seed could not change what it makes).
    """

    name: str
    fn: Callable[..., dict[str, Any]]
    kind: str = "classical"  # "classical" | "model"
    check: Callable[[], str | None] = _always_available
    fix: str = ""
    exclusive: bool = False
    notes: str = ""
    stochastic: bool = False
    stamp: Callable[[], object] = field(default=_no_stamp, repr=False, compare=False)
    _checked: tuple[float, object, str | None] | None = field(default=None, repr=False, compare=False)

    CHECK_TTL = 5.0  # seconds: probes look at the disk (model caches); the catalog is read often

    def unavailable_reason(self) -> str | None:
        now, stamp = time.monotonic(), self.stamp()
        checked = self._checked
        if checked is not None and now - checked[0] < self.CHECK_TTL and checked[1] is stamp:
            return checked[2]
        try:
            reason = self.check()
        except Exception as exc:  # a broken availability probe must not take the catalog down
            reason = f"availability check failed: {exc}"
        self._checked = (now, stamp, reason)
        return reason

    def recheck(self) -> None:
        """Forget the cached availability (after `models pull`, a config change)."""
        self._checked = None


@dataclass(frozen=True)
class BrickSpec:
    """What a brick is, without how it runs: the catalog's declarations."""

    name: str
    purpose: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    constraints: str = ""
    examples: tuple[str, ...] = ()
    role: BrickRole = BrickRole.EDIT
    # The kind of edit it makes ("remove", "recolor", "style" ...), shared by bricks that do the same
    # job in different ways (FASTINPAINT and FLUX-INPAINT both "remove"); None for helpers.
    family: str | None = None

    def input(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)


@dataclass
class Brick:
    """A brick that can run: its declaration's fields and its backends, most preferred first.

    Built-in bricks come from `builtin_bricks(settings)`; a third-party brick is made by hand and
    given backends with the `backend` decorator.
    """

    name: str
    purpose: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    constraints: str = ""
    backends: list[Backend] = field(default_factory=list)
    examples: tuple[str, ...] = ()
    role: BrickRole = BrickRole.EDIT
    # The kind of edit it makes ("remove", "recolor", "style" ...), shared by bricks that do the same
    # job in different ways (FASTINPAINT and FLUX-INPAINT both "remove"); None for helpers.
    family: str | None = None

    @classmethod
    def from_spec(cls, spec: BrickSpec, backends: Iterable[Backend] = ()) -> Brick:
        """A new brick declared by `spec`, running on `backends` (most preferred first)."""
        return cls(**{f.name: getattr(spec, f.name) for f in fields(BrickSpec)}, backends=list(backends))

    @property
    def spec(self) -> BrickSpec:
        return BrickSpec(**{f.name: getattr(self, f.name) for f in fields(BrickSpec)})

    def input(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)

    def backend(self, name: str, **options: Any) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
        """Decorator adding a backend (in order of preference: first added, first tried)."""

        def register(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
            self.backends.append(Backend(name=name, fn=fn, **options))
            return fn

        return register

    def active_backend(self, prefer: str | None = None) -> Backend | None:
        """The backend that runs: `prefer` if it is usable, else the first usable one."""
        usable = [b for b in self.backends if b.unavailable_reason() is None]
        if prefer:
            for b in usable:
                if b.name == prefer:
                    return b
        return usable[0] if usable else None

    def status(self) -> dict[str, Any]:
        """Catalog entry: which backend is active and why the others are not."""
        backends = []
        for b in self.backends:
            reason = b.unavailable_reason()
            backends.append({"name": b.name, "kind": b.kind, "available": reason is None,
                             "reason": reason, "fix": b.fix if reason else "", "stochastic": b.stochastic})
        active = self.active_backend()
        return {
            "name": self.name,
            "purpose": self.purpose,
            "inputs": [{"name": p.name, "type": str(p.type), "optional": p.optional, "doc": p.doc} for p in self.inputs],
            "outputs": [{"name": p.name, "type": str(p.type), "optional": p.optional, "doc": p.doc} for p in self.outputs],
            "constraints": self.constraints,
            "role": str(self.role),
            "family": self.family,
            "available": active is not None,
            "active_backend": active.name if active else None,
            "stochastic": bool(active and active.stochastic),
            "backends": backends,
        }

    def unavailable_message(self) -> str:
        parts = []
        for b in self.backends:
            reason = b.unavailable_reason()
            fix = f" (fix: {b.fix})" if b.fix else ""
            parts.append(f"{b.name}: {reason}{fix}")
        detail = "; ".join(parts) if parts else "it has no backend"
        return f"{self.name} cannot run here — {detail}"


def _no_progress(fraction: float, message: str = "") -> None:
    return None


def check_pixels(width: int, height: int, limit: int | None, what: str) -> None:
    """BrickError("<what> would be W×H = N pixels, above the limit of M (limits.max_pixels)") when a
    result of that size is over `limit` (None: no limit)."""
    if limit is not None and width * height > limit:
        raise BrickError(f"{what} would be {width}\u00d7{height} = {width * height} pixels, above the limit of "
                         f"{limit} (limits.max_pixels)")


@dataclass
class BrickContext:
    """What a running brick may use: progress reporting, cancellation, models, device, log."""

    progress: Callable[[float, str], None] = _no_progress
    cancelled: Callable[[], bool] = lambda: False
    models: Any = None
    device: str = "cpu"
    log: logging.Logger = log
    # The most pixels an image or mask a brick makes may have (the daemon's limits.max_pixels, which
    # bounds inputs too); None: no limit. Bricks that grow an image check it before allocating.
    max_pixels: int | None = None
    # The seed for this step's random draws (the executor derives it from the job's seed and the step
    # id, so steps differ and a job is reproducible); None: the backend's configured seed.
    seed: int | None = None

    def raise_if_cancelled(self) -> None:
        if self.cancelled():
            raise Cancelled()

    def check_pixels(self, width: int, height: int, what: str) -> None:
        """BrickError unless a `width` x `height` result fits `max_pixels`; call it before allocating."""
        check_pixels(width, height, self.max_pixels, what)


class Registry:
    """Name -> Brick. Thread-safe for reads; registration normally happens at start-up."""

    def __init__(self, bricks: Iterable[Brick] = ()) -> None:
        self._bricks: dict[str, Brick] = {}
        self._lock = threading.Lock()
        for b in bricks:
            self.register(b)

    def register(self, brick: Brick, *, replace: bool = False) -> Brick:
        with self._lock:
            if brick.name in self._bricks and not replace:
                raise ValueError(f"a brick named {brick.name} is already registered")
            self._bricks[brick.name] = brick
        return brick

    def get(self, name: str) -> Brick | None:
        return self._bricks.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._bricks

    def __iter__(self) -> Iterator[Brick]:
        return iter(list(self._bricks.values()))

    def names(self) -> list[str]:
        return list(self._bricks)

    def catalog(self) -> list[dict[str, Any]]:
        return [b.status() for b in self]

    def recheck(self) -> None:
        """Probe every backend's availability afresh on the next look."""
        for brick in self:
            for backend in brick.backends:
                backend.recheck()

    def load_entry_points(self) -> list[str]:
        """Register third-party bricks from the `lego_edit.bricks` entry-point group.

        An entry point may name a Brick, an iterable of Bricks, or a callable taking the registry.
        A plug-in that fails to load is logged and skipped: one broken package must not take the
        daemon down.
        """
        from importlib.metadata import entry_points

        loaded = []
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                obj = ep.load()
                if isinstance(obj, Brick):
                    self.register(obj)
                elif callable(obj):
                    obj(self)
                else:
                    for b in obj:
                        self.register(b)
                loaded.append(ep.name)
            except Exception:
                log.exception("could not load brick entry point %s", ep.name)
        return loaded


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The built-in bricks (following the process-wide model settings, `bricks.models.configure`)
    plus installed third-party ones, built once per process."""
    global _default
    with _default_lock:
        if _default is None:
            from lego_edit.bricks.builtin import builtin_bricks

            reg = Registry(builtin_bricks())
            reg.load_entry_points()
            _default = reg
        return _default


def recheck_default() -> None:
    """`recheck()` the process-wide registry if it was built (after a pull or a remove)."""
    with _default_lock:
        reg = _default
    if reg is not None:
        reg.recheck()
