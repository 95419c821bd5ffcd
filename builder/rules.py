"""The offline `rules` Builder: a deterministic planner for common edits.

`plan_rules("remove the dog and then make the sky orange")` returns a workflow in the reference
Lego-Edit JSON format and a short reasoning; what it cannot plan —
questions, gibberish, vague wishes, operations no brick does — it refuses with `PlanRefused`, whose
message a user can read.

How it works:
1. builder/rules_text.py turns the text into a list of `Edit`s (kind, target, value ...).
2. Each edit has a few *recipes* — ways to do it with bricks, best first (e.g. a removal:
   RES -> FASTINPAINT -> FLUX-INPAINT; or SOS instead of RES; or FASTINPAINT alone). Without
   feedback the first recipe is taken. With feedback constraints (builder/feedback.py) each recipe
   is tried on the plan so far and the first that breaks nothing (preferring those that use a
   required brick) wins; if none does, the plan is refused naming the constraint.
3. Edits chain: each takes the previous edit's image, and its segmentation runs on that image.

Pure Python with no heavy imports. What the planner knows of the bricks (port names, optional
inputs, edit families) is read off the registry it plans for (the built-in catalog by default) via
builder/tables.py, once per registry, so planning costs a fraction of a millisecond. A recipe that
needs a brick the registry lacks is skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lego_edit.bricks.refs import Ref, step_ref
from lego_edit.builder.feedback import ForbidBrick, ForbidOrder, KeepRegion, RequireBrick, result_refs, steps_of
from lego_edit.builder.rules_text import SELECTION, SUBJECT, Edit, TextRefused, parse_instruction
from lego_edit.builder.tables import BrickTables, brick_tables

if TYPE_CHECKING:
    from lego_edit.bricks.registry import Registry


class PlanRefused(ValueError):
    """The rules planner cannot plan this instruction; `reason` says why, for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RulesPlan:
    reasoning: str
    workflow: dict[str, Any]


INIT_IMAGE, INIT_MASK = "init[image]", "init[mask]"
REMOVAL_FILL_PROMPT = "empty background, nothing there"


class _MissingBrick(Exception):
    """A recipe needs a brick that the registry being planned for does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# -- the plan under construction -------------------------------------------------------------------
class _Graph:
    """Steps in order; adding a step identical to an earlier one returns the earlier one, so "output the
    dog's segmentation and remove the dog" segments the dog once."""

    def __init__(self, bricks: BrickTables) -> None:
        self.bricks = bricks
        self.steps: list[tuple[str, dict[str, Any]]] = []
        self._memo: dict[tuple[str, tuple[tuple[str, Any], ...]], int] = {}

    def copy(self) -> _Graph:
        other = _Graph(self.bricks)
        other.steps = list(self.steps)
        other._memo = dict(self._memo)
        return other

    def add(self, model: str, **inputs: Any) -> int:
        names = self.bricks.inputs.get(model)
        if names is None:
            raise _MissingBrick(model)
        unknown = set(inputs) - set(names)
        if unknown:  # a planner bug (or a brick re-declared without a port the planner writes)
            raise AssertionError(f"{model} has no input {sorted(unknown)}")
        full = {name: inputs.get(name) for name in names}
        key = (model, tuple(full.items()))
        if key in self._memo:
            return self._memo[key]
        self.steps.append((model, full))
        number = len(self.steps)
        self._memo[key] = number
        return number

    def models(self) -> list[str]:
        return [model for model, _ in self.steps]

    def to_dict(self, process: str, results: Sequence[str]) -> dict[str, Any]:
        used = {v for _, inputs in self.steps for v in inputs.values() if isinstance(v, str)} | set(results)
        pipeline: list[dict[str, Any]] = []
        for number, (model, inputs) in enumerate(self.steps, start=1):
            outputs: dict[str, Any] = {}
            for name, optional in self.bricks.outputs[model]:
                r = step_ref(number, name)
                if r in used:
                    outputs[name] = r
                elif optional:
                    outputs[name] = None
            pipeline.append({"step": number, "model": model, "input": dict(inputs), "output": outputs})
        pipeline.append({"result": "[" + ", ".join(dict.fromkeys(results)) + "]"})
        return {"process": process, "pipeline": pipeline}


@dataclass(frozen=True)
class _Seg:
    """A mask (and the cut-out, when the segmenter gives one) with how it was made, for the reasoning."""

    mask: str
    cutout: str | None
    how: str


@dataclass(frozen=True)
class _Outcome:
    image: str
    results: tuple[str, ...] = ()
    how: str = ""


Segmenter = Callable[[_Graph, str], _Seg]
Recipe = Callable[[_Graph, str], _Outcome]


@dataclass
class _Policy:
    """What the caller and the feedback allow."""

    has_mask: bool
    constraints: Sequence[Any] = ()
    required: frozenset[str] = frozenset()  # "use X": plans with X win
    wanted: frozenset[str] = frozenset()  # "don't use A before B": B is still wanted, only not after A
    res_restricted: bool = False  # RES forbidden outright or before something: SOS may stand in for it
    keep: tuple[KeepRegion, ...] = ()

    def local_violations(self, workflow: dict[str, Any]) -> list[str]:
        """Violations that a single edit can cause (all but 'use brick X', which the whole plan answers)."""
        found: list[str] = []
        for c in self.constraints:
            if not isinstance(c, RequireBrick):
                found.extend(c.violations(workflow))
        return found


# -- segmentation options ---------------------------------------------------------------------------
def _seg_res(prompt: str) -> Segmenter:
    def run(g: _Graph, image: str) -> _Seg:
        n = g.add("RES", image=image, prompt=prompt)
        return _Seg(step_ref(n, "mask"), step_ref(n, "image"), f"RES segments '{prompt}'")
    return run


def _seg_sos(label: str) -> Segmenter:
    def run(g: _Graph, image: str) -> _Seg:
        n = g.add("SOS", image=image)
        return _Seg(step_ref(n, "mask"), step_ref(n, "image"), f"SOS finds {label}")
    return run


def _seg_user_refined(g: _Graph, image: str) -> _Seg:
    n = g.add("MASK-SEG", image=image, mask=INIT_MASK)
    return _Seg(step_ref(n, "mask"), step_ref(n, "image"), "MASK-SEG finds the object inside the user's selection")


def _seg_user_direct(g: _Graph, image: str) -> _Seg:
    return _Seg(INIT_MASK, None, "the user's selection is the mask")


def _refined(inner: Segmenter) -> Segmenter:
    """`inner`, then MASK-SEG on its mask: a tighter mask (and what 'use MASK-SEG' asks for)."""
    def run(g: _Graph, image: str) -> _Seg:
        s = inner(g, image)
        n = g.add("MASK-SEG", image=image, mask=s.mask)
        return _Seg(step_ref(n, "mask"), step_ref(n, "image"), f"{s.how}, MASK-SEG refines the mask")
    return run


def _boxed(inner: Segmenter) -> Segmenter:
    def run(g: _Graph, image: str) -> _Seg:
        s = inner(g, image)
        n = g.add("BBOX", mask=s.mask)
        return _Seg(step_ref(n, "mask"), None, f"{s.how}, BBOX takes its bounding box")
    return run


def _segmenters(target: str | None, policy: _Policy, *, object_edit: bool) -> list[Segmenter]:
    """Ways to get the mask of `target`, best first. `object_edit`: the edit needs the object's exact
    outline (removal, recolour, extraction), so a user's rough selection is refined with MASK-SEG first;
    otherwise (style, fill, background) the selection is used as drawn."""
    if target == SELECTION:
        base: list[Segmenter] = [_seg_user_refined, _seg_user_direct] if object_edit else [_seg_user_direct, _seg_user_refined]
        return base + [_boxed(_seg_user_refined)]
    if target == SUBJECT:
        base = [_seg_sos("the main subject"), _seg_res("foreground")]
    else:
        base = [_seg_res(str(target))]
        if policy.has_mask:
            base += [_seg_user_refined, _seg_user_direct]
        if policy.res_restricted:
            base.append(_seg_sos(f"the main subject (standing in for '{target}', as RES may not be used)"))
    refined = [_refined(s) for s in base if s not in (_seg_user_refined, _seg_user_direct)]
    boxed = [_boxed(base[0])]
    return base + refined + boxed


def _with_cutout(segs: list[Segmenter], g: _Graph, image: str) -> list[Segmenter]:
    found: list[Segmenter] = []
    missing: _MissingBrick | None = None
    for s in segs:
        try:
            if s(g.copy(), image).cutout is not None:
                found.append(s)
        except _MissingBrick as exc:
            missing = missing or exc
    if not found and missing is not None:
        raise missing
    return found


# -- recipes per edit kind ---------------------------------------------------------------------------
def _remove_tails() -> list[Callable[[_Graph, str, _Seg], _Outcome]]:
    def full(g: _Graph, image: str, s: _Seg) -> _Outcome:
        fast = g.add("FASTINPAINT", image=image, mask=s.mask)
        n = g.add("FLUX-INPAINT", image=image, mask=s.mask, preimage=step_ref(fast, "image"), score=step_ref(fast, "score"))
        return _Outcome(step_ref(n, "image"), how="FASTINPAINT fills it in quickly and FLUX-INPAINT refines the fill")

    def fast_only(g: _Graph, image: str, s: _Seg) -> _Outcome:
        fast = g.add("FASTINPAINT", image=image, mask=s.mask)
        return _Outcome(step_ref(fast, "image"), how="FASTINPAINT fills it in")

    def fill(g: _Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=REMOVAL_FILL_PROMPT)
        return _Outcome(step_ref(n, "image"), how="FLUX-FILL paints the background over it")

    return [full, fast_only, fill]


def _combine(segs: Sequence[Segmenter], tails: Sequence[Callable[[_Graph, str, _Seg], _Outcome]],
             results: Callable[[_Seg], tuple[str, ...]] = lambda s: ()) -> list[Recipe]:
    """Every segmenter with every tail, segmenter-major (a different mask is a smaller change than a
    different edit brick)."""
    recipes: list[Recipe] = []
    for seg in segs:
        for tail in tails:
            def recipe(g: _Graph, image: str, seg: Segmenter = seg, tail=tail) -> _Outcome:
                s = seg(g, image)
                out = tail(g, image, s)
                return _Outcome(out.image, results(s) + out.results, f"{s.how}; {out.how}")
            recipes.append(recipe)
    return recipes


def _recipes_remove(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    return _combine(_segmenters(edit.target, policy, object_edit=True), _remove_tails())


def _recipes_recolor(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    def rcm(g: _Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-RCM", image=image, mask=s.mask, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-RCM makes it {edit.value}")

    def fill(g: _Graph, image: str, s: _Seg) -> _Outcome:
        what = edit.target if edit.target not in (SELECTION, SUBJECT) else "object"
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=f"{edit.value} {what}")
        return _Outcome(step_ref(n, "image"), how=f"FLUX-FILL redraws it {edit.value}")

    return _combine(_segmenters(edit.target, policy, object_edit=True), [rcm, fill])


def _background_segs(edit: Edit, policy: _Policy) -> list[Segmenter]:
    """The mask of what changes: a named region, everything but a kept subject, or the background."""
    if edit.keep is not None:
        return [_inverted(s) for s in _segmenters(edit.keep, policy, object_edit=True)]
    if edit.target is not None:
        return _segmenters(edit.target, policy, object_edit=False)
    return [_inverted(_seg_sos("the main subject")), _seg_res("background"), _refined(_seg_res("background"))]


def _inverted(inner: Segmenter) -> Segmenter:
    def run(g: _Graph, image: str) -> _Seg:
        s = inner(g, image)
        n = g.add("INVERSE", mask1=None, mask2=s.mask)
        return _Seg(step_ref(n, "mask"), None, f"{s.how}, INVERSE takes everything else")
    return run


def _recipes_background(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    prompt = edit.value or "blurred"

    def cbg(g: _Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-CBG", image=image, mask=s.mask, prompt=prompt)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-CBG turns it into '{prompt}'")

    def fill(g: _Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=prompt)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-FILL paints '{prompt}' there")

    tails = [cbg] if edit.kind == "blur" else [cbg, fill]
    segs = _background_segs(edit, policy) if edit.kind == "background" else \
        _segmenters(edit.target, policy, object_edit=False)
    return _combine(segs, tails)


def _caption(g: _Graph, image: str) -> str:
    n = g.add("CMI-PRED", image=image)
    return step_ref(n, "caption")


def _recipes_style(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    def styled(g: _Graph, image: str, mask: str | None, caption: bool) -> int:
        prompt = _caption(g, image) if caption else (edit.target if edit.target not in (None, SELECTION, SUBJECT)
                                                    else "the image")
        return g.add("FLUX-STYLE", image=image, mask=mask, prompt=prompt, style=edit.value)

    recipes: list[Recipe] = []
    for caption in (True, False):
        how = "CMI-PRED captions the image, " if caption else ""
        if edit.target is None:
            def whole(g: _Graph, image: str, caption: bool = caption, how: str = how) -> _Outcome:
                n = styled(g, image, None, caption)
                return _Outcome(step_ref(n, "image"), how=f"{how}FLUX-STYLE renders it in {edit.value}")
            recipes.append(whole)
            continue
        for seg in _segmenters(edit.target, policy, object_edit=False):
            def local(g: _Graph, image: str, seg: Segmenter = seg, caption: bool = caption, how: str = how) -> _Outcome:
                s = seg(g, image)
                n = styled(g, image, s.mask, caption)
                return _Outcome(step_ref(n, "image"), how=f"{s.how}; {how}FLUX-STYLE renders that part in {edit.value}")
            recipes.append(local)
    return recipes


def _recipes_bright(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    ratio = edit.ratio if edit.ratio is not None else 0.6
    if edit.target is None:
        def whole(g: _Graph, image: str) -> _Outcome:
            n = g.add("FLUX-BRIGHT", image=image, ratio=ratio)
            return _Outcome(step_ref(n, "image"), how=f"FLUX-BRIGHT with ratio {ratio:g} (0.5 = unchanged)")
        return [whole]
    recipes: list[Recipe] = []
    probe = g.copy()
    bright_probe = step_ref(probe.add("FLUX-BRIGHT", image=image, ratio=ratio), "image")
    for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), probe, bright_probe):
        def local(g: _Graph, image: str, seg: Segmenter = seg) -> _Outcome:
            bright = step_ref(g.add("FLUX-BRIGHT", image=image, ratio=ratio), "image")
            s = seg(g, bright)
            n = g.add("COMPOSE", mask1=None, mask2=None, image1=image, image2=s.cutout)
            return _Outcome(step_ref(n, "image"), how=f"FLUX-BRIGHT (ratio {ratio:g}) brightens a copy, {s.how} in it, "
                                                  "COMPOSE lays that part over the image")
        recipes.append(local)
    return recipes


def _recipes_env(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    def env(g: _Graph, image: str) -> _Outcome:
        n = g.add("FLUX-ENV", image=image, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-ENV sets the scene {edit.value}")
    return [env]


def _recipes_add(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    where = edit.where or edit.value
    user_mask = INIT_MASK if edit.target == SELECTION else None

    def predicted(g: _Graph, image: str) -> _Outcome:
        spot = g.add("ADD-PRED", image=image, prompt=where, mask=user_mask)
        n = g.add("FLUX-FILL", image=image, mask=step_ref(spot, "mask"), prompt=edit.value)
        inside = " inside the selection" if user_mask else ""
        return _Outcome(step_ref(n, "image"), how=f"ADD-PRED picks where '{where}' goes{inside}; FLUX-FILL paints it there")

    def in_selection(g: _Graph, image: str) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=INIT_MASK, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how="FLUX-FILL paints it inside the user's selection")

    return [predicted, in_selection] if user_mask else [predicted]


def _recipes_extract(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    recipes: list[Recipe] = []
    for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), g, image):
        def cut(g: _Graph, image: str, seg: Segmenter = seg) -> _Outcome:
            s = seg(g, image)
            results = (s.cutout, s.mask) if edit.want_mask else (s.cutout,)
            return _Outcome(image, tuple(r for r in results if r), f"{s.how}; the cut-out is a result")
        recipes.append(cut)
    return recipes


def _recipes_outpaint(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    left, right, top, bottom = edit.ratios or (None, None, None, None)

    def expand(g: _Graph, image: str) -> _Outcome:
        n = g.add("CMI-PRED", image=image, left_ratio=left, right_ratio=right, top_ratio=top, bottom_ratio=bottom)
        fill = g.add("FLUX-FILL", image=step_ref(n, "image"), mask=step_ref(n, "mask"), prompt=step_ref(n, "caption"))
        return _Outcome(step_ref(fill, "image"), how="CMI-PRED captions the image and widens the canvas; FLUX-FILL paints "
                                                 "the new area from the caption")
    return [expand]


def _recipes_replace(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    def fill(g: _Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-FILL paints '{edit.value}' there")

    def prefilled(g: _Graph, image: str, s: _Seg) -> _Outcome:
        fast = g.add("FASTINPAINT", image=image, mask=s.mask)
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=edit.value, preimage=step_ref(fast, "image"))
        return _Outcome(step_ref(n, "image"), how=f"FASTINPAINT clears it and FLUX-FILL paints '{edit.value}' there")

    return _combine(_segmenters(edit.target, policy, object_edit=False), [fill, prefilled])


def _recipes_pose(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    def pose(g: _Graph, image: str) -> _Outcome:
        n = g.add("FLUX-POSE", image=image, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-POSE: '{edit.value}'")
    return [pose]


def _recipes_resize(edit: Edit, policy: _Policy, g: _Graph, image: str) -> list[Recipe]:
    ratio = edit.ratio or 1.3
    recipes: list[Recipe] = []
    for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), g, image):
        for clear in (True, False) if ratio > 1 else (True,):
            def scaled(g: _Graph, image: str, seg: Segmenter = seg, clear: bool = clear) -> _Outcome:
                s = seg(g, image)
                bigger = g.add("RESIZE", mask=None, image=s.cutout, ratio=ratio)
                base = step_ref(g.add("FASTINPAINT", image=image, mask=s.mask), "image") if clear else image
                n = g.add("COMPOSE", mask1=None, mask2=None, image1=base, image2=step_ref(bigger, "image"))
                how = "FASTINPAINT clears the original, " if clear else ""
                return _Outcome(step_ref(n, "image"), how=f"{s.how}; RESIZE scales the cut-out by {ratio:g}, {how}"
                                                      "COMPOSE lays the scaled cut-out over the image")
            recipes.append(scaled)
    return recipes


_RECIPES: dict[str, Callable[[Edit, _Policy, _Graph, str], list[Recipe]]] = {
    "remove": _recipes_remove,
    "recolor": _recipes_recolor,
    "background": _recipes_background,
    "blur": _recipes_background,
    "style": _recipes_style,
    "bright": _recipes_bright,
    "env": _recipes_env,
    "add": _recipes_add,
    "extract": _recipes_extract,
    "outpaint": _recipes_outpaint,
    "replace": _recipes_replace,
    "regenerate": _recipes_replace,
    "pose": _recipes_pose,
    "resize": _recipes_resize,
}


# -- choosing recipes under constraints ---------------------------------------------------------------
def _choose(g: _Graph, edit: Edit, image: str, results: list[str], policy: _Policy) -> tuple[_Graph, _Outcome]:
    """The first recipe that breaks no constraint, preferring those that use a required brick."""
    for keep in policy.keep:
        if edit.target not in (None, SELECTION, SUBJECT) and keep.names(edit.target):
            raise PlanRefused(f"the instruction asks to {edit.describe()}, but the feedback says: {keep.describe()}")
    try:
        recipes = _RECIPES[edit.kind](edit, policy, g, image)
    except _MissingBrick as exc:
        raise _no_brick(edit, exc.name) from None
    if not recipes:
        raise PlanRefused(f"cannot {edit.describe()}: the constraints leave no way to get a cut-out of it")
    best: tuple[tuple[int, int, int], _Graph, _Outcome] | None = None
    first_problem: str | None = None
    missing: str | None = None
    for index, recipe in enumerate(recipes):
        trial = g.copy()
        try:
            out = recipe(trial, image)
        except _MissingBrick as exc:
            missing = missing or exc.name
            continue
        if not policy.constraints:
            return trial, out
        problems = policy.local_violations(trial.to_dict("", [*results, *out.results, out.image]))
        if problems:
            first_problem = first_problem or problems[0]
            continue
        models = trial.models()
        key = (-sum(name in models for name in policy.required), -sum(name in models for name in policy.wanted), index)
        if best is None or key < best[0]:
            best = (key, trial, out)
    if best is None:
        if first_problem is None and missing is not None:
            raise _no_brick(edit, missing)
        raise PlanRefused(f"cannot {edit.describe()} without breaking the feedback: {first_problem}")
    return best[1], best[2]


def _no_brick(edit: Edit, name: str) -> PlanRefused:
    return PlanRefused(f"cannot {edit.describe()}: every way to do it needs a brick the catalog lacks ({name})")


def _policy(constraints: Sequence[Any], has_mask: bool) -> _Policy:
    for c in constraints:
        if not callable(getattr(c, "violations", None)):
            raise TypeError(f"a constraint must have violations(workflow_dict), got {type(c).__name__}")
    return _Policy(
        has_mask=has_mask,
        constraints=tuple(constraints),
        required=frozenset(c.name for c in constraints if isinstance(c, RequireBrick)),
        wanted=frozenset(c.then for c in constraints if isinstance(c, ForbidOrder)),
        res_restricted=any(isinstance(c, ForbidBrick) and c.name == "RES" or isinstance(c, ForbidOrder)
                           and c.first == "RES" for c in constraints),
        keep=tuple(c for c in constraints if isinstance(c, KeepRegion)),
    )


# -- reuse of a previous plan --------------------------------------------------------------------------
def _families(workflow: dict[str, Any], bricks: BrickTables) -> list[str]:
    found: list[str] = []
    for s in steps_of(workflow):
        family = bricks.families.get(s.model)
        if family and (not found or found[-1] != family):
            found.append(family)
    return found


def well_formed(workflow: dict[str, Any], has_mask: bool, registry: Registry | BrickTables | None = None) -> list[str]:
    """Light structural check (known bricks and ports, required inputs, refs to earlier steps and
    declared outputs, a result): what the planner guarantees of its own output, and what a previous
    plan must pass to be reused. bricks.checker does the full check. Bricks are `registry`'s (the
    built-in catalog when None)."""
    bricks = brick_tables(registry)
    problems: list[str] = []
    produced: set[Ref] = {Ref(None, "image")} | ({Ref(None, "mask")} if has_mask else set())
    for entry in workflow.get("pipeline") or ():
        if not isinstance(entry, dict) or "model" not in entry:
            continue
        number, model, inputs = entry.get("step"), entry.get("model"), entry.get("input") or {}
        if model not in bricks or not isinstance(model, str) or not isinstance(number, int) or not isinstance(inputs, dict):
            problems.append(f"step {number}: unknown brick {model!r}, bad step number or bad inputs")
            continue
        names, optional = bricks.inputs[model], bricks.optional_inputs[model]
        for name, value in inputs.items():
            if name not in names:
                problems.append(f"step {number}: {model} has no input {name!r}")
            r = Ref.parse(value)
            if r is not None and r not in produced:
                problems.append(f"step {number}: {value} is not an earlier output")
            if value is None and name not in optional:
                problems.append(f"step {number}: required input {name!r} is null")
        for name in names:
            if name not in inputs and name not in optional:
                problems.append(f"step {number}: missing input {name!r}")
        raw_outputs = entry.get("output")
        outputs = raw_outputs if isinstance(raw_outputs, dict) else {}
        produced |= {Ref(number, name) for name, _ in bricks.outputs[model]
                     if not (name in outputs and outputs[name] is None)}
    results = result_refs(workflow)
    if not results:
        problems.append("the result names nothing")
    problems += [f"result {r} is not an output" for r in results if r not in produced]
    return problems


def _same_step(old: dict[str, Any], new: dict[str, Any], mapping: dict[int, int]) -> bool:
    if old.get("model") != new["model"]:
        return False
    old_inputs = {k: v for k, v in (old.get("input") or {}).items() if v is not None}
    new_inputs = {}
    for k, v in new["input"].items():
        if v is None:
            continue
        r = Ref.parse(v)
        new_inputs[k] = step_ref(mapping[r.step], r.key) if r is not None and r.step is not None else v
    return old_inputs == new_inputs


def _renumber(workflow: dict[str, Any], mapping: dict[int, int]) -> dict[str, Any]:
    """The planner's own workflow (every value a reference, a literal or null; the result a list of
    references) with its step numbers mapped."""
    def moved(r: Ref) -> Ref:
        return r if r.step is None else Ref(mapping.get(r.step, r.step), r.key)

    def fix(value: Any) -> Any:
        r = Ref.parse(value)
        return value if r is None else str(moved(r))

    pipeline = []
    for entry in workflow["pipeline"]:
        if "model" in entry:
            entry = {"step": mapping[entry["step"]], "model": entry["model"],
                     "input": {k: fix(v) for k, v in entry["input"].items()},
                     "output": {k: fix(v) for k, v in entry["output"].items()}}
        else:
            entry = {"result": "[" + ", ".join(str(moved(r)) for r in Ref.find_all(entry["result"])) + "]"}
        pipeline.append(entry)
    return {"process": workflow["process"], "pipeline": pipeline}


def _reuse_previous(previous: dict[str, Any], fresh: dict[str, Any], policy: _Policy,
                    bricks: BrickTables) -> tuple[dict[str, Any], str]:
    """Keep what the previous plan got right, so the executor's cache recomputes only what changed.

    - If the previous plan is well formed, breaks none of the constraints and does the same kinds of
      edit as the fresh plan, it is returned unchanged: the feedback asks for nothing it lacks.
    - Otherwise the fresh plan is returned with its leading steps that equal the previous plan's (same
      brick, same inputs) renumbered as they were there, and the rest numbered after them.
    """
    try:
        usable = not well_formed(previous, policy.has_mask, bricks) and \
            not any(c.violations(previous) for c in policy.constraints) and \
            _families(previous, bricks) == _families(fresh, bricks)
    except (KeyError, TypeError, AttributeError):
        usable = False
    if usable:
        return copy.deepcopy(previous), ("The previous plan already honours the feedback and does the same edits; it "
                                         "is reused unchanged.")
    old_steps = [e for e in previous.get("pipeline") or () if isinstance(e, dict) and "model" in e]
    new_steps = [e for e in fresh["pipeline"] if "model" in e]
    mapping: dict[int, int] = {}
    for old, new in zip(old_steps, new_steps, strict=False):
        if not isinstance(old.get("step"), int) or not _same_step(old, new, mapping):
            break
        mapping[new["step"]] = old["step"]
    if not mapping:
        return fresh, "Nothing of the previous plan could be kept."
    kept = len(mapping)
    following = max(mapping.values()) + 1
    for entry in new_steps[kept:]:
        mapping[entry["step"]] = following
        following += 1
    numbers = [str(mapping[e["step"]]) for e in new_steps[:kept]]
    which = f"Step {numbers[0]} is" if kept == 1 else f"Steps {', '.join(numbers)} are"
    return _renumber(fresh, mapping), f"{which} unchanged from the previous plan, so cached results are reused."


# -- the planner ---------------------------------------------------------------------------------------
def plan_rules(instruction: str, *, has_mask: bool = False, constraints: Sequence[Any] = (),
               previous: dict[str, Any] | None = None, registry: Registry | BrickTables | None = None) -> RulesPlan:
    """Plan `instruction` as a workflow dict (reference format), or raise PlanRefused with the reason.
    The plan uses `registry`'s bricks (the built-in catalog's when None)."""
    bricks = brick_tables(registry)
    try:
        edits, notes = parse_instruction(instruction, has_mask)
    except TextRefused as exc:
        raise PlanRefused(exc.reason) from None
    policy = _policy(constraints, has_mask)
    g = _Graph(bricks)
    image = INIT_IMAGE
    results: list[str] = []
    lines: list[str] = []
    for index, edit in enumerate(edits, start=1):
        g, out = _choose(g, edit, image, results, policy)
        image = out.image
        results.extend(out.results)
        lines.append(f"({index}) {edit.describe()}: {out.how}.")
    process = ", then ".join(e.describe() for e in edits)
    workflow = g.to_dict(process, [*results, image] if image != INIT_IMAGE or not results else results)
    missing = [p for c in policy.constraints for p in c.violations(workflow)]
    if missing:
        raise PlanRefused(f"this instruction cannot be planned to honour the feedback: {missing[0]}")
    reasoning = _reasoning(edits, lines, notes, policy)
    if previous is not None:
        reused, reuse_note = _reuse_previous(previous, workflow, policy, bricks)
        if reused == previous and reused != workflow:  # its own steps, not the lines above, describe it
            honoured = " ".join(c.describe() for c in policy.constraints)
            reasoning = f"{reuse_note} Feedback honoured: {honoured}" if honoured else reuse_note
        else:
            reasoning += " " + reuse_note
        workflow = reused
    return RulesPlan(reasoning, workflow)


def _reasoning(edits: Sequence[Edit], lines: Sequence[str], notes: Sequence[str], policy: _Policy) -> str:
    count = "one edit" if len(edits) == 1 else f"{len(edits)} edits, each working on the result of the one before"
    parts = [f"The instruction asks for {count}.", *lines]
    if policy.constraints:
        parts.append("Feedback honoured: " + " ".join(c.describe() for c in policy.constraints))
    if policy.has_mask and not any(SELECTION in (e.target, e.keep) for e in edits):
        parts.append("The user's mask is not needed: the instruction names what to edit.")
    parts.extend(f"Note: {n}." for n in notes)
    return " ".join(parts)
