"""Edit -> bricks: the plan graph, ways to segment, recipes per edit kind, and the choice under feedback."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lego_edit.bricks.refs import step_ref
from lego_edit.builder.feedback import ForbidBrick, ForbidOrder, KeepRegion, RequireBrick
from lego_edit.builder.rules.edits import SELECTION, SUBJECT, Edit, PlanRefused
from lego_edit.builder.rules.phrases import check_findable
from lego_edit.builder.tables import BrickTables

INIT_IMAGE, INIT_MASK = "init[image]", "init[mask]"
REMOVAL_FILL_PROMPT = "empty background, nothing there"


class _MissingBrick(Exception):
    """A recipe needs a brick that the registry being planned for does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# -- the plan under construction -------------------------------------------------------------------
class Graph:
    """Steps in order; adding a step identical to an earlier one returns the earlier one, so "output the
    dog's segmentation and remove the dog" segments the dog once."""

    def __init__(self, bricks: BrickTables) -> None:
        self.bricks = bricks
        self.steps: list[tuple[str, dict[str, Any]]] = []
        self._memo: dict[tuple[str, tuple[tuple[str, Any], ...]], int] = {}

    def copy(self) -> Graph:
        other = Graph(self.bricks)
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


Segmenter = Callable[[Graph, str], _Seg]
Recipe = Callable[[Graph, str], _Outcome]


@dataclass
class Policy:
    """What the caller and the feedback allow."""

    has_mask: bool
    constraints: Sequence[Any] = ()
    required: frozenset[str] = frozenset()  # "use X": plans with X win
    wanted: frozenset[str] = frozenset()  # "don't use A before B": B is still wanted, only not after A
    res_restricted: bool = False  # RES forbidden outright or before something: SOS may stand in for it
    keep: tuple[KeepRegion, ...] = ()
    general_edit: bool = False  # the EDIT brick runs here: what no specialised brick (or only an unavailable one) does goes to it

    def local_violations(self, workflow: dict[str, Any]) -> list[str]:
        """Violations that a single edit can cause (all but 'use brick X', which the whole plan answers)."""
        found: list[str] = []
        for c in self.constraints:
            if not isinstance(c, RequireBrick):
                found.extend(c.violations(workflow))
        return found


# -- segmentation options ---------------------------------------------------------------------------
def _seg_res(prompt: str) -> Segmenter:
    def run(g: Graph, image: str) -> _Seg:
        n = g.add("RES", image=image, prompt=prompt)
        return _Seg(step_ref(n, "mask"), step_ref(n, "image"), f"RES segments '{prompt}'")
    return run


def _seg_sos(label: str) -> Segmenter:
    def run(g: Graph, image: str) -> _Seg:
        n = g.add("SOS", image=image)
        return _Seg(step_ref(n, "mask"), step_ref(n, "image"), f"SOS finds {label}")
    return run


def _seg_user_refined(g: Graph, image: str) -> _Seg:
    n = g.add("MASK-SEG", image=image, mask=INIT_MASK)
    return _Seg(step_ref(n, "mask"), step_ref(n, "image"), "MASK-SEG finds the object inside the user's selection")


def _seg_user_direct(g: Graph, image: str) -> _Seg:
    return _Seg(INIT_MASK, None, "the user's selection is the mask")


def _refined(inner: Segmenter) -> Segmenter:
    """`inner`, then MASK-SEG on its mask: a tighter mask (and what 'use MASK-SEG' asks for)."""
    def run(g: Graph, image: str) -> _Seg:
        s = inner(g, image)
        n = g.add("MASK-SEG", image=image, mask=s.mask)
        return _Seg(step_ref(n, "mask"), step_ref(n, "image"), f"{s.how}, MASK-SEG refines the mask")
    return run


def _boxed(inner: Segmenter) -> Segmenter:
    def run(g: Graph, image: str) -> _Seg:
        s = inner(g, image)
        n = g.add("BBOX", mask=s.mask)
        return _Seg(step_ref(n, "mask"), None, f"{s.how}, BBOX takes its bounding box")
    return run


def _segmenters(target: str | None, policy: Policy, *, object_edit: bool) -> list[Segmenter]:
    """Ways to get the mask of `target`, best first. `object_edit`: the edit needs the object's exact
    outline (removal, recolour, extraction), so a user's rough selection is refined with MASK-SEG first;
    otherwise (style, fill, background) the selection is used as drawn."""
    if target == SELECTION:
        base: list[Segmenter] = [_seg_user_refined, _seg_user_direct] if object_edit else [_seg_user_direct, _seg_user_refined]
        return base + [_boxed(_seg_user_refined)]
    if target == SUBJECT:
        base = [_seg_sos("the main subject"), _seg_res("foreground")]
    else:
        check_findable(str(target))
        base = [_seg_res(str(target))]
        if policy.has_mask:
            base += [_seg_user_refined, _seg_user_direct]
        if policy.res_restricted:
            base.append(_seg_sos(f"the main subject (standing in for '{target}', as RES may not be used)"))
    refined = [_refined(s) for s in base if s not in (_seg_user_refined, _seg_user_direct)]
    boxed = [_boxed(base[0])]
    return base + refined + boxed


def _with_cutout(segs: list[Segmenter], g: Graph, image: str) -> list[Segmenter]:
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
def _remove_tails() -> list[Callable[[Graph, str, _Seg], _Outcome]]:
    def full(g: Graph, image: str, s: _Seg) -> _Outcome:
        fast = g.add("FASTINPAINT", image=image, mask=s.mask)
        n = g.add("FLUX-INPAINT", image=image, mask=s.mask, preimage=step_ref(fast, "image"), score=step_ref(fast, "score"))
        return _Outcome(step_ref(n, "image"), how="FASTINPAINT fills it in quickly and FLUX-INPAINT refines the fill")

    def fast_only(g: Graph, image: str, s: _Seg) -> _Outcome:
        fast = g.add("FASTINPAINT", image=image, mask=s.mask)
        return _Outcome(step_ref(fast, "image"), how="FASTINPAINT fills it in")

    def fill(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=REMOVAL_FILL_PROMPT)
        return _Outcome(step_ref(n, "image"), how="FLUX-FILL paints the background over it")

    return [full, fast_only, fill]


def _combine(segs: Sequence[Segmenter], tails: Sequence[Callable[[Graph, str, _Seg], _Outcome]],
             results: Callable[[_Seg], tuple[str, ...]] = lambda s: ()) -> list[Recipe]:
    """Every segmenter with every tail, segmenter-major (a different mask is a smaller change than a
    different edit brick)."""
    recipes: list[Recipe] = []
    for seg in segs:
        for tail in tails:
            def recipe(g: Graph, image: str, seg: Segmenter = seg, tail=tail) -> _Outcome:
                s = seg(g, image)
                out = tail(g, image, s)
                return _Outcome(out.image, results(s) + out.results, f"{s.how}; {out.how}")
            recipes.append(recipe)
    return recipes


def _recipes_remove(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    if edit.keep is not None:  # "remove everyone except the bride": the people's mask less hers
        return _combine([_less(t, k) for t in _segmenters(edit.target, policy, object_edit=True)[:2]
                         for k in _segmenters(edit.keep, policy, object_edit=True)[:2]], _remove_tails())
    return _combine(_segmenters(edit.target, policy, object_edit=True), _remove_tails())


def _less(whole: Segmenter, kept: Segmenter) -> Segmenter:
    def run(g: Graph, image: str) -> _Seg:
        a, b = whole(g, image), kept(g, image)
        n = g.add("INVERSE", mask1=a.mask, mask2=b.mask)
        return _Seg(step_ref(n, "mask"), None, f"{a.how}, {b.how}, INVERSE takes the second out of the first")
    return run


def _recipes_recolor(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    def rcm(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-RCM", image=image, mask=s.mask, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-RCM makes it {edit.value}")

    def fill(g: Graph, image: str, s: _Seg) -> _Outcome:
        what = edit.target if edit.target not in (SELECTION, SUBJECT) else "object"
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=f"{edit.value} {what}")
        return _Outcome(step_ref(n, "image"), how=f"FLUX-FILL redraws it {edit.value}")

    return _combine(_segmenters(edit.target, policy, object_edit=True), [rcm, fill])


def _background_segs(edit: Edit, policy: Policy) -> list[Segmenter]:
    """The mask of what changes: a named region, everything but a kept subject, or the background."""
    if edit.keep is not None:
        return [_inverted(s) for s in _segmenters(edit.keep, policy, object_edit=True)]
    if edit.target is not None:
        return _segmenters(edit.target, policy, object_edit=False)
    return [_inverted(_seg_sos("the main subject")), _seg_res("background"), _refined(_seg_res("background"))]


def _inverted(inner: Segmenter) -> Segmenter:
    def run(g: Graph, image: str) -> _Seg:
        s = inner(g, image)
        n = g.add("INVERSE", mask1=None, mask2=s.mask)
        return _Seg(step_ref(n, "mask"), None, f"{s.how}, INVERSE takes everything else")
    return run


def _recipes_background(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    prompt = edit.value or "blurred"

    def cbg(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-CBG", image=image, mask=s.mask, prompt=prompt)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-CBG turns it into '{prompt}'")

    def fill(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=prompt)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-FILL paints '{prompt}' there")

    # a background gets a lens's strong blur (radius ~4 % of the long side); a face or a plate a lighter one
    strength = 1.0 if edit.kind == "background" else 0.6

    def blur(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("BLUR", image=image, amount=strength, mask=s.mask)
        return _Outcome(step_ref(n, "image"), how="BLUR blurs it from its own pixels")

    def pixelate(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("PIXELATE", image=image, amount=0.6, mask=s.mask)
        return _Outcome(step_ref(n, "image"), how="PIXELATE covers it with blocks of its own colours")

    if edit.kind == "blur" and prompt == "pixelated":  # hidden under a mosaic, every pixel of the mask covered
        tails = [pixelate, blur]
    elif edit.kind == "blur" or prompt == "blurred":
        # BLUR softens the real pixels (a portrait-mode background keeps its content); FLUX-CBG repaints it blurred
        tails = [blur, cbg]
    else:
        tails = [cbg, fill]
    segs = _background_segs(edit, policy) if edit.kind == "background" else \
        _segmenters(edit.target, policy, object_edit=False)
    return _combine(segs, tails)


def _caption(g: Graph, image: str) -> str:
    n = g.add("CMI-PRED", image=image)
    return step_ref(n, "caption")


def _recipes_style(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    def styled(g: Graph, image: str, mask: str | None, caption: bool) -> int:
        prompt = _caption(g, image) if caption else (edit.target if edit.target not in (None, SELECTION, SUBJECT)
                                                    else "the image")
        return g.add("FLUX-STYLE", image=image, mask=mask, prompt=prompt, style=edit.value)

    recipes: list[Recipe] = []
    for caption in (True, False):
        how = "CMI-PRED captions the image, " if caption else ""
        if edit.target is None:
            def whole(g: Graph, image: str, caption: bool = caption, how: str = how) -> _Outcome:
                n = styled(g, image, None, caption)
                return _Outcome(step_ref(n, "image"), how=f"{how}FLUX-STYLE renders it in {edit.value}")
            recipes.append(whole)
            continue
        for seg in _segmenters(edit.target, policy, object_edit=False):
            def local(g: Graph, image: str, seg: Segmenter = seg, caption: bool = caption, how: str = how) -> _Outcome:
                s = seg(g, image)
                n = styled(g, image, s.mask, caption)
                return _Outcome(step_ref(n, "image"), how=f"{s.how}; {how}FLUX-STYLE renders that part in {edit.value}")
            recipes.append(local)
    return recipes


def _recipes_bright(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    ratio = edit.ratio if edit.ratio is not None else 0.6
    if edit.target is None:
        def whole(g: Graph, image: str) -> _Outcome:
            n = g.add("FLUX-BRIGHT", image=image, ratio=ratio)
            return _Outcome(step_ref(n, "image"), how=f"FLUX-BRIGHT with ratio {ratio:g} (0.5 = unchanged)")
        return [whole]
    recipes: list[Recipe] = []
    probe = g.copy()
    bright_probe = step_ref(probe.add("FLUX-BRIGHT", image=image, ratio=ratio), "image")
    for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), probe, bright_probe):
        def local(g: Graph, image: str, seg: Segmenter = seg) -> _Outcome:
            bright = step_ref(g.add("FLUX-BRIGHT", image=image, ratio=ratio), "image")
            s = seg(g, bright)
            n = g.add("COMPOSE", mask1=None, mask2=None, image1=image, image2=s.cutout)
            return _Outcome(step_ref(n, "image"), how=f"FLUX-BRIGHT (ratio {ratio:g}) brightens a copy, {s.how} in it, "
                                                  "COMPOSE lays that part over the image")
        recipes.append(local)
    return recipes


def _recipes_env(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    def env(g: Graph, image: str) -> _Outcome:
        n = g.add("FLUX-ENV", image=image, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-ENV sets the scene {edit.value}")
    return [env]


def _recipes_add(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    where = edit.where or edit.value
    user_mask = INIT_MASK if edit.target == SELECTION else None

    def predicted(g: Graph, image: str) -> _Outcome:
        spot = g.add("ADD-PRED", image=image, prompt=where, mask=user_mask)
        n = g.add("FLUX-FILL", image=image, mask=step_ref(spot, "mask"), prompt=edit.value)
        inside = " inside the selection" if user_mask else ""
        return _Outcome(step_ref(n, "image"), how=f"ADD-PRED picks where '{where}' goes{inside}; FLUX-FILL paints it there")

    def in_selection(g: Graph, image: str) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=INIT_MASK, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how="FLUX-FILL paints it inside the user's selection")

    return [predicted, in_selection] if user_mask else [predicted]


def _recipes_extract(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    recipes: list[Recipe] = []
    for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), g, image):
        def cut(g: Graph, image: str, seg: Segmenter = seg) -> _Outcome:
            s = seg(g, image)
            results = (s.cutout, s.mask) if edit.want_mask else (s.cutout,)
            return _Outcome(image, tuple(r for r in results if r), f"{s.how}; the cut-out is a result")
        recipes.append(cut)
    return recipes


def _canvas_ratios(fractions: tuple[float | None, ...] | None) -> tuple[float | None, ...]:
    """CMI-PRED's ratios (the reference's: 1.0 = a side unchanged; all four or none) for the fractions of
    the width / height to add on each side. The brick turns four equal ratios r into 0.5 r + 0.5 each (r
    times as large overall), so four equal sides are written as 1 + 2 f to add f on each."""
    if not fractions or all(f is None for f in fractions):
        return (None, None, None, None)
    ratios = [round(1.0 + (f or 0.0), 4) for f in fractions]
    if len(set(ratios)) == 1 and ratios[0] != 1.0:
        ratios = [round(2 * ratios[0] - 1, 4)] * 4
    return tuple(ratios)


def _recipes_outpaint(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    left, right, top, bottom = _canvas_ratios(edit.ratios)

    def expand(g: Graph, image: str) -> _Outcome:
        n = g.add("CMI-PRED", image=image, left_ratio=left, right_ratio=right, top_ratio=top, bottom_ratio=bottom)
        fill = g.add("FLUX-FILL", image=step_ref(n, "image"), mask=step_ref(n, "mask"), prompt=step_ref(n, "caption"))
        return _Outcome(step_ref(fill, "image"), how="CMI-PRED captions the image and widens the canvas; FLUX-FILL paints "
                                                 "the new area from the caption")
    return [expand]


def _recipes_replace(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    def fill(g: Graph, image: str, s: _Seg) -> _Outcome:
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-FILL paints '{edit.value}' there")

    def prefilled(g: Graph, image: str, s: _Seg) -> _Outcome:
        fast = g.add("FASTINPAINT", image=image, mask=s.mask)
        n = g.add("FLUX-FILL", image=image, mask=s.mask, prompt=edit.value, preimage=step_ref(fast, "image"))
        return _Outcome(step_ref(n, "image"), how=f"FASTINPAINT clears it and FLUX-FILL paints '{edit.value}' there")

    return _combine(_segmenters(edit.target, policy, object_edit=False), [fill, prefilled])


def _recipes_pose(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    def pose(g: Graph, image: str) -> _Outcome:
        n = g.add("FLUX-POSE", image=image, prompt=edit.value)
        return _Outcome(step_ref(n, "image"), how=f"FLUX-POSE: '{edit.value}'")
    return [pose]


def _recipes_resize(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    ratio = edit.ratio or 1.3
    recipes: list[Recipe] = []
    for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), g, image):
        for clear in (True, False) if ratio > 1 else (True,):
            def scaled(g: Graph, image: str, seg: Segmenter = seg, clear: bool = clear) -> _Outcome:
                s = seg(g, image)
                bigger = g.add("RESIZE", mask=None, image=s.cutout, ratio=ratio)
                base = step_ref(g.add("FASTINPAINT", image=image, mask=s.mask), "image") if clear else image
                n = g.add("COMPOSE", mask1=None, mask2=None, image1=base, image2=step_ref(bigger, "image"))
                how = "FASTINPAINT clears the original, " if clear else ""
                return _Outcome(step_ref(n, "image"), how=f"{s.how}; RESIZE scales the cut-out by {ratio:g}, {how}"
                                                      "COMPOSE lays the scaled cut-out over the image")
            recipes.append(scaled)
    return recipes


def _recipes_crop_to(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    """"Zoom in on the dog": the object's mask, then CROP-TO keeps the window around it."""
    if "CROP-TO" not in g.bricks.names:
        raise _MissingBrick("CROP-TO")
    recipes: list[Recipe] = []
    for seg in _segmenters(edit.target, policy, object_edit=False):
        def cropped(g: Graph, image: str, seg: Segmenter = seg) -> _Outcome:
            s = seg(g, image)
            n = g.add("CROP-TO", image=image, mask=s.mask, margin=edit.ratio)
            return _Outcome(step_ref(n, "image"), how=f"{s.how}; CROP-TO keeps the window around it")
        recipes.append(cropped)
    return recipes


def _recipes_look(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    """The classical steps in order, each on the previous one's image; "except X" limits them to everything
    but X (RES -> INVERSE -> the steps with that mask). Without the bricks, the FLUX-ENV fallback if any."""
    def chained(seg: Segmenter | None) -> Recipe:
        def run(g: Graph, image: str) -> _Outcome:
            mask, how = None, ""
            if seg is not None:
                s = seg(g, image)
                mask, how = s.mask, f"{s.how}; "
            current = image
            names = []
            for brick, args in edit.ops:
                inputs = dict(args)
                if mask is not None and "mask" in g.bricks.optional_inputs.get(brick, ()):
                    inputs["mask"] = mask
                current = step_ref(g.add(brick, image=current, **inputs), "image")
                names.append(brick + "(" + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                                     for k, v in args) + ")")
            return _Outcome(current, how=how + " then ".join(names))
        return run

    if edit.keep is not None:
        recipes = [chained(_inverted(s)) for s in _segmenters(edit.keep, policy, object_edit=True)]
    elif edit.target is not None:
        # "make the sky more vivid": the steps on a copy, the object found in it, COMPOSE lays that part over the
        # image (as a local brightness change does), so it works for steps without a mask input too.
        probe = g.copy()
        probe_image = chained(None)(probe, image).image
        recipes = []
        for seg in _with_cutout(_segmenters(edit.target, policy, object_edit=True), probe, probe_image):
            def local(g: Graph, image: str, seg: Segmenter = seg) -> _Outcome:
                done = chained(None)(g, image)
                s = seg(g, done.image)
                n = g.add("COMPOSE", mask1=None, mask2=None, image1=image, image2=s.cutout)
                return _Outcome(step_ref(n, "image"), how=f"{done.how} on a copy, {s.how} in it, COMPOSE lays that part "
                                                          "over the image")
            recipes.append(local)
        return recipes
    else:
        recipes = [chained(None)]
    if edit.value:
        recipes += _recipes_env(edit, policy, g, image)
    return recipes


def _recipes_edit(edit: Edit, policy: Policy, g: Graph, image: str) -> list[Recipe]:
    """The general EDIT brick with the user's words: limited to the object's mask when one is named and a
    segmenter finds it, else on the whole image."""
    prompt = edit.value or edit.text
    why = f"{edit.instead_of} cannot run here" if edit.instead_of else "no specialised brick does this"

    def whole(g: Graph, image: str) -> _Outcome:
        n = g.add("EDIT", image=image, prompt=prompt, mask=None)
        return _Outcome(step_ref(n, "image"), how=f"{why}, so EDIT (the general instruction-editing model) edits "
                                                  "the whole image")

    if edit.target is None:
        return [whole]
    recipes: list[Recipe] = []
    for seg in _segmenters(edit.target, policy, object_edit=False):
        def local(g: Graph, image: str, seg: Segmenter = seg) -> _Outcome:
            s = seg(g, image)
            n = g.add("EDIT", image=image, prompt=prompt, mask=s.mask)
            return _Outcome(step_ref(n, "image"), how=f"{why}, so {s.how} and EDIT (the general instruction-editing "
                                                      "model) edits inside that mask")
        recipes.append(local)
    return [*recipes, whole]


_RECIPES: dict[str, Callable[[Edit, Policy, Graph, str], list[Recipe]]] = {
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
    "crop_to": _recipes_crop_to,
    "look": _recipes_look,
    "edit": _recipes_edit,
}


# -- choosing recipes under constraints ---------------------------------------------------------------
def choose(g: Graph, edit: Edit, image: str, results: list[str], policy: Policy) -> tuple[Graph, _Outcome]:
    """The first recipe that breaks no constraint, preferring those that use a required brick."""
    for keep in policy.keep:
        if edit.target not in (None, SELECTION, SUBJECT) and keep.names(edit.target):
            raise PlanRefused(f"the instruction asks to {edit.describe()}, but the feedback says: {keep.describe()}")
    try:
        recipes = _RECIPES[edit.kind](edit, policy, g, image)
    except _MissingBrick as exc:
        if policy.general_edit and edit.kind != "edit" and "EDIT" in g.bricks.names:  # e.g. FLUX-POSE not available here
            return choose(g, Edit("edit", edit.target, edit.text or edit.describe(), text=edit.text,
                                  instead_of=exc.name), image, results, policy)
        raise _no_brick(edit, exc.name) from None
    if not recipes:
        raise PlanRefused(f"cannot {edit.describe()}: the constraints leave no way to get a cut-out of it")
    best: tuple[tuple[int, int, int], Graph, _Outcome] | None = None
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
            if policy.general_edit and edit.kind != "edit" and "EDIT" in g.bricks.names:
                return choose(g, Edit("edit", edit.target, edit.text or edit.describe(), text=edit.text,
                                      instead_of=missing), image, results, policy)
            raise _no_brick(edit, missing)
        raise PlanRefused(f"cannot {edit.describe()} without breaking the feedback: {first_problem}")
    return best[1], best[2]


_WHAT_BRICKS_DO = {"CONTRAST": "contrast", "SATURATION": "saturation", "TEMPERATURE": "white balance",
                   "WHITE-BALANCE": "white balance", "EXPOSURE": "exposure", "SHADOWS-HIGHLIGHTS": "shadows/highlights",
                   "VIGNETTE": "vignetting", "SHARPEN": "sharpening", "DENOISE": "noise reduction",
                   "DEHAZE": "dehazing", "BLUR": "blurring", "CROP": "cropping", "ROTATE": "rotation",
                   "FLIP": "flipping"}


def _no_brick(edit: Edit, name: str) -> PlanRefused:
    if name in _WHAT_BRICKS_DO:
        return PlanRefused(f"cannot {edit.describe()}: there is no brick for {_WHAT_BRICKS_DO[name]} in this "
                           f"catalog ({name})")
    return PlanRefused(f"cannot {edit.describe()}: every way to do it needs a brick the catalog lacks ({name})")


def make_policy(constraints: Sequence[Any], has_mask: bool, general_edit: bool = False) -> Policy:
    for c in constraints:
        if not callable(getattr(c, "violations", None)):
            raise TypeError(f"a constraint must have violations(workflow_dict), got {type(c).__name__}")
    return Policy(
        has_mask=has_mask,
        constraints=tuple(constraints),
        required=frozenset(c.name for c in constraints if isinstance(c, RequireBrick)),
        wanted=frozenset(c.then for c in constraints if isinstance(c, ForbidOrder)),
        res_restricted=any(isinstance(c, ForbidBrick) and c.name == "RES" or isinstance(c, ForbidOrder)
                           and c.first == "RES" for c in constraints),
        keep=tuple(c for c in constraints if isinstance(c, KeepRegion)),
        general_edit=general_edit,
    )

