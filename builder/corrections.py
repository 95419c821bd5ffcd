"""Feedback about the RESULT, in plain words, as a concrete change to the previous plan.

builder/feedback.py understands feedback about the plan's bricks ("don't use SOS"). A painter says
what is wrong with the picture instead; each such sentence becomes a `Correction`, and
`Correction.apply(workflow)` returns a new workflow dict (the reference JSON form) that differs from
the previous plan only where the correction needs it. Steps before the change keep their numbers and
inputs, steps after it keep their inputs (renumbered), so the executor's cache, keyed by what a step
computes from, re-runs only what changed.

| the user says | what changes |
|---|---|
| "there's still a smudge", "still visible", "traces left", "ghosting", "the edges are visible" | `Residue`: the removal's mask is grown (GROW-MASK before the inpaint; a second time, more); without GROW-MASK, RESIZE (or MASK-SEG) stands in; a FASTINPAINT-only removal gets FLUX-INPAINT after it |
| "you missed the handle", "forgot its shadow", "the reflection is still there", "remove the shadow too", "what about the shadow?", "also the handle" | `MissedPart`: RES("<object>'s handle" / "shadow of <object>") COMPOSEd into the edit's mask |
| "too strong", "overdone", "tone it down" / "not enough", "stronger", "more" | `Strength`: every strength literal (amount, shadows, highlights, FLUX-BRIGHT's and RESIZE's ratio) moves halfway toward neutral / half again away from it |
| "only the left one", "just the one on the right", "the left dog only", "the right one, not the left" | `Spatial`: the relation is put in front of the object's RES prompt ("left red ball") |
| "keep her face", "don't touch the sky" (a KeepRegion constraint too) | `Exclude`: RES(region) is taken away from each edit's mask with INVERSE (a whole-image edit with a mask port gets "everything but the region") |
| "wrong object", "not that one", "not the right one", "the other guy" | `WrongObject`: refused, asking the user to select the object and use the selection |

Everything is a pure function of plain dicts; what is known of the bricks comes from the registry
(builder/tables.py). A correction that cannot apply to a plan raises `CorrectionError` with a
sentence for the user.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lego_edit.bricks.refs import Ref, step_ref
from lego_edit.builder.feedback import (
    MAX_CLAUSE_CHARS,
    Constraint,
    KeepRegion,
    clause_constraints,
    normalize_space,
    result_refs,
    shorten,
    split_clauses,
    unknown_brick,
)
from lego_edit.builder.tables import BrickTables, brick_tables

if TYPE_CHECKING:
    from lego_edit.bricks.registry import Registry

GROW = "GROW-MASK"
GROW_FIRST = 0.02  # a fraction of the long side (GROW-MASK's convention for |pixels| < 1): 2 %
GROW_FACTOR = 1.5  # each further "still a smudge" grows by half again
GROW_MAX = 0.15
RESIZE_FIRST, RESIZE_MAX = 1.15, 2.0  # the RESIZE stand-in for GROW-MASK: scale the mask, its bottom edge kept

# Strength literals: (brick or None for any brick, port) -> (neutral, lowest, highest).
STRENGTH: dict[tuple[str | None, str], tuple[float, float, float]] = {
    (None, "amount"): (0.0, -1.0, 1.0),
    (None, "shadows"): (0.0, -1.0, 1.0),
    (None, "highlights"): (0.0, -1.0, 1.0),
    (None, "strength"): (0.0, 0.0, 1.0),
    ("FLUX-BRIGHT", "ratio"): (0.5, 0.0, 1.0),
    ("RESIZE", "ratio"): (1.0, 0.01, 100.0),
}
LOWER, RAISE = 0.5, 1.5  # the distance from neutral is multiplied by these

# Parts named "X of <object>" (the rest are "<object>'s X").
_OF_PARTS = frozenset({"shadow", "shadows", "reflection", "reflections", "outline", "silhouette", "smoke", "glow",
                       "trail", "splash", "footprints", "marks"})
# Parts that make "the X is still there" a missed part rather than a left-over smudge.
_ATTACHED = _OF_PARTS - {"outline", "marks"} | {"handle", "strap", "string", "cord", "cable", "leash", "stand", "base",
                                                 "stick", "stem", "lid", "label", "wire", "rope", "legs", "tail"}
_SPATIAL_WORDS = {"left": "left", "right": "right", "top": "top", "upper": "top", "bottom": "bottom",
                  "lower": "bottom", "middle": "middle", "centre": "middle", "center": "middle",
                  "leftmost": "leftmost", "rightmost": "rightmost", "topmost": "top", "front": "front",
                  "back": "back", "near": "near", "far": "far", "big": "big", "bigger": "bigger",
                  "biggest": "biggest", "large": "large", "larger": "larger", "largest": "largest",
                  "small": "small", "smaller": "smaller", "smallest": "smallest"}
_PRONOUNS = r"(?:the|its|his|her|their|my|our|your|a|an|that|this)"

SELECT_IT = ("say which one by selecting it: select it and use the selection (with a selection the Builder "
             "edits exactly that object)")
EXAMPLES = ("\"there's still a smudge\", \"you missed the shadow\", \"too strong\", \"only the left one\", "
            "\"keep her face\"")


class CorrectionError(ValueError):
    """A correction that cannot be made to this plan; the message says why, for the user."""


# -- the plan as steps -------------------------------------------------------------------------------
class _Plan:
    """A workflow dict as a list of step dicts (deep copies) and the result's references, with the
    edits corrections make: insert a step, rewire an input, renumber."""

    def __init__(self, workflow: dict[str, Any], tables: BrickTables) -> None:
        if not isinstance(workflow, dict) or not isinstance(workflow.get("pipeline"), list):
            raise CorrectionError("the previous plan is not a workflow a correction can change")
        self.tables = tables
        self.process = workflow.get("process", "")
        self.steps: list[dict[str, Any]] = []
        for entry in workflow["pipeline"]:
            if isinstance(entry, dict) and isinstance(entry.get("model"), str):
                if not isinstance(entry.get("step"), int) or isinstance(entry.get("step"), bool):
                    raise CorrectionError(f"the previous plan has a step numbered {shorten(repr(entry.get('step')), 40)}; "
                                          "a correction needs numbered steps")
                step = copy.deepcopy(entry)
                step["input"] = step.get("input") if isinstance(step.get("input"), dict) else {}
                step["output"] = step.get("output") if isinstance(step.get("output"), dict) else {}
                self.steps.append(step)
        self.result = [str(r) for r in result_refs(workflow)]

    def to_dict(self, process: str | None = None) -> dict[str, Any]:
        pipeline = [*copy.deepcopy(self.steps), {"result": "[" + ", ".join(self.result) + "]"}]
        return {"process": process or self.process, "pipeline": pipeline}

    def step(self, number: Any) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["step"] == number), None)

    def producer(self, value: Any) -> dict[str, Any] | None:
        r = Ref.parse(value)
        return self.step(r.step) if r is not None and r.step is not None else None

    def index(self, step: dict[str, Any]) -> int:
        return next(i for i, s in enumerate(self.steps) if s is step)

    def mask_inputs(self, step: dict[str, Any]) -> list[str]:
        known = self.tables.mask_inputs.get(step["model"])
        names = self.tables.inputs.get(step["model"], tuple(step["input"]))
        return [n for n in names if (n in known if known is not None else n.startswith("mask"))]

    def consumers(self, ref: str) -> list[tuple[dict[str, Any], str]]:
        return [(s, name) for s in self.steps for name, v in s["input"].items() if v == ref]

    # -- edits ---------------------------------------------------------------------------------
    def insert(self, before: dict[str, Any] | None, model: str, inputs: dict[str, Any]) -> int:
        """A new step just before `before` (at the end when None), taking its number; it and every
        later step move up by one. Returns the new step's number."""
        if model not in self.tables:
            raise CorrectionError(f"the registry has no {model} brick, which this correction needs")
        if before is None:
            number = max((s["step"] for s in self.steps), default=0) + 1
            at = len(self.steps)
        else:
            number, at = before["step"], self.index(before)
            self._shift(number)
        full = {name: inputs.get(name) for name in self.tables.inputs[model]}
        outputs = {name: (None if optional else step_ref(number, name)) for name, optional in self.tables.outputs[model]}
        self.steps.insert(at, {"step": number, "model": model, "input": full, "output": outputs})
        return number

    def _shift(self, start: int) -> None:
        def moved(value: Any) -> Any:
            r = Ref.parse(value)
            if r is None or r.step is None or r.step < start:
                return value
            return step_ref(r.step + 1, r.key)

        for s in self.steps:
            if s["step"] >= start:
                s["step"] += 1
            s["input"] = {k: moved(v) for k, v in s["input"].items()}
            s["output"] = {k: moved(v) for k, v in s["output"].items()}
        self.result = [moved(r) for r in self.result]

    def uses(self, ref: str) -> None:
        """`ref` is read now: its step declares it as an output (an optional output may say null)."""
        r = Ref.parse(ref)
        producer = self.producer(ref)
        if r is not None and producer is not None and producer["output"].get(r.key, "") is None:
            producer["output"][r.key] = ref

    def tidy(self) -> None:
        """Optional outputs of the new steps that nothing reads stay null (as the planners write them)."""
        read = {v for s in self.steps for v in s["input"].values() if isinstance(v, str)} | set(self.result)
        for s in self.steps:
            for name, optional in self.tables.outputs.get(s["model"], ()):
                ref = step_ref(s["step"], name)
                if s["output"].get(name) == ref and optional and ref not in read:
                    s["output"][name] = None


# -- what a correction works on ----------------------------------------------------------------------
def _masked_edits(plan: _Plan, removal_first: bool) -> list[tuple[dict[str, Any], str]]:
    """(editing step, its mask input name) for every editing step whose mask is a reference. With
    `removal_first`, only the removals when the plan has any (the "remove" family)."""
    found = []
    for s in plan.steps:
        if s["model"] not in plan.tables.editing or s["model"] in plan.tables.mask_helpers:
            continue
        for name in plan.mask_inputs(s):
            if Ref.parse(s["input"].get(name)) is not None:
                found.append((s, name))
                break
    if removal_first:
        removal = [(s, n) for s, n in found if plan.tables.families.get(s["model"]) == "remove"]
        return removal or found
    return found


def _distinct_masks(targets: Sequence[tuple[dict[str, Any], str]]) -> list[str]:
    return list(dict.fromkeys(s["input"][name] for s, name in targets))


def _first_consumer(plan: _Plan, mask: str, targets: Sequence[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    return min((s for s, name in targets if s["input"][name] == mask), key=plan.index)


def _rewire(targets: Sequence[tuple[dict[str, Any], str]], old: str, new: str) -> None:
    for s, name in targets:
        if s["input"].get(name) == old:
            s["input"][name] = new


def _origin(plan: _Plan, mask: str) -> dict[str, Any] | None:
    """The segmentation step a mask comes from, following the mask helpers' first mask input
    (GROW-MASK, MASK-SEG, BBOX, RESIZE, COMPOSE's and INVERSE's mask1); None for the user's mask or
    an "everything but" mask."""
    seen: set[Any] = set()
    step = plan.producer(mask)
    while step is not None and step["step"] not in seen:
        seen.add(step["step"])
        if step["model"] in plan.tables.segmenters and not plan.tables.mask_inputs.get(step["model"]):
            return step
        names = plan.mask_inputs(step)
        if not names:
            return None
        step = plan.producer(step["input"].get(names[0]))
    return None


def _object(plan: _Plan, mask: str) -> str | None:
    """The text prompt of the segmentation a mask comes from ("red ball"), if it has one."""
    origin = _origin(plan, mask)
    prompt = origin["input"].get("prompt") if origin is not None else None
    return prompt.strip() if isinstance(prompt, str) and prompt.strip() else None


def _image_for(plan: _Plan, mask: str, target: dict[str, Any]) -> Any:
    """The image a new segmentation of the same picture should look at: the one the mask's own
    segmentation saw, else the edit's image."""
    origin = _origin(plan, mask)
    if origin is not None and origin["input"].get("image") is not None:
        return origin["input"]["image"]
    return target["input"].get("image", "init[image]")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


# -- the corrections ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Correction:
    """One plain-words correction of a result; `text` is what the user said (not part of the value)."""

    text: str = field(default="", compare=False, kw_only=True)

    def describe(self) -> str:  # pragma: no cover - every subclass says it
        raise NotImplementedError

    def apply(self, workflow: dict[str, Any], registry: Registry | BrickTables | None = None) -> tuple[dict[str, Any], str]:
        """(the corrected workflow dict, a sentence saying what changed); CorrectionError when this
        correction cannot be made to `workflow`. `workflow` itself is not modified."""
        plan = _Plan(workflow, brick_tables(registry))
        note = self._apply(plan)
        plan.tidy()
        return plan.to_dict(), note

    def _apply(self, plan: _Plan) -> str:  # pragma: no cover
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Residue(Correction):
    """Something of the removed object is still visible: widen the removal's mask, and refine a
    FASTINPAINT-only fill with FLUX-INPAINT."""

    def describe(self) -> str:
        return "Something of the removed object is still visible: grow the mask of the removal."

    def _apply(self, plan: _Plan) -> str:
        targets = _masked_edits(plan, removal_first=True)
        if not targets:
            raise CorrectionError("the previous plan has no masked edit whose mask could be widened; say what "
                                  "should change, e.g. \"remove the smudge\"")
        notes = [_grow(plan, mask, targets) for mask in _distinct_masks(targets)]
        notes += _refine_fast_fills(plan, targets)
        return "; ".join(notes)


def _grow(plan: _Plan, mask: str, targets: Sequence[tuple[dict[str, Any], str]]) -> str:
    producer = plan.producer(mask)
    if producer is not None and producer["model"] == GROW:
        pixels = _number(producer["input"].get("pixels"))
        if pixels is not None and pixels > 0:
            grown = min(round(pixels * GROW_FACTOR, 4), GROW_MAX) if pixels < 1 else round(pixels * GROW_FACTOR)
            if grown == pixels:
                raise CorrectionError(f"the mask of step {producer['step']} is already grown as far as a correction "
                                      f"goes ({pixels}); {SELECT_IT}")
            producer["input"]["pixels"] = grown
            return f"GROW-MASK (step {producer['step']}) now grows the mask by {_size(grown)} instead of {_size(pixels)}"
    if producer is not None and producer["model"] == "RESIZE" and GROW not in plan.tables:
        ratio = _number(producer["input"].get("ratio"))
        if ratio is not None and ratio > 1 and producer["input"].get("mask") is not None:
            grown = min(round(ratio * 1.1, 3), RESIZE_MAX)
            producer["input"]["ratio"] = grown
            return f"RESIZE (step {producer['step']}) now scales the mask by {grown} instead of {ratio}"
    first = _first_consumer(plan, mask, targets)
    if GROW in plan.tables:
        n = plan.insert(first, GROW, {"mask": mask, "pixels": GROW_FIRST})
        how = f"GROW-MASK (step {n}) grows the mask by {_size(GROW_FIRST)} before the removal"
    elif "RESIZE" in plan.tables:
        n = plan.insert(first, "RESIZE", {"mask": mask, "image": None, "ratio": RESIZE_FIRST})
        how = f"RESIZE (step {n}) scales the mask up by {RESIZE_FIRST} (its bottom edge kept) before the removal"
    elif "MASK-SEG" in plan.tables:
        n = plan.insert(first, "MASK-SEG", {"image": first["input"].get("image", "init[image]"), "mask": mask})
        how = f"MASK-SEG (step {n}) refines the mask before the removal"
    else:
        raise CorrectionError("the registry has no brick to grow a mask with (GROW-MASK, RESIZE or MASK-SEG)")
    new = step_ref(n, "mask")
    plan.uses(new)
    _rewire(targets, _moved(plan, mask, n), new)
    return how


def _moved(plan: _Plan, ref: str, inserted: int) -> str:
    """`ref` after a step was inserted with number `inserted` (later steps moved up by one)."""
    r = Ref.parse(ref)
    if r is None or r.step is None or r.step < inserted:
        return ref
    return step_ref(r.step + 1, r.key)


def _size(pixels: float) -> str:
    return f"{pixels * 100:g} % of the long side" if abs(pixels) < 1 else f"{pixels:g} pixels"


def _refine_fast_fills(plan: _Plan, targets: Sequence[tuple[dict[str, Any], str]]) -> list[str]:
    """FLUX-INPAINT after each FASTINPAINT whose fill is used as is."""
    if "FLUX-INPAINT" not in plan.tables or "FASTINPAINT" not in plan.tables:
        return []
    notes = []
    for fast in [s for s, _ in targets if s["model"] == "FASTINPAINT"]:
        image = step_ref(fast["step"], "image")
        if any(c["model"] == "FLUX-INPAINT" for c, _ in plan.consumers(image)):
            continue
        later = plan.index(fast) + 1
        before = plan.steps[later] if later < len(plan.steps) else None
        n = plan.insert(before, "FLUX-INPAINT", {
            "image": fast["input"].get("image"), "mask": fast["input"].get("mask"),
            "preimage": step_ref(fast["step"], "image"), "score": step_ref(fast["step"], "score")})
        plan.uses(step_ref(fast["step"], "score"))
        image, refined = step_ref(fast["step"], "image"), step_ref(n, "image")
        for s in plan.steps:
            if s["step"] != n:
                s["input"] = {k: (refined if v == image else v) for k, v in s["input"].items()}
        plan.result = [refined if r == image else r for r in plan.result]
        notes.append(f"FLUX-INPAINT (step {n}) now refines FASTINPAINT's fill (step {fast['step']})")
    return notes


@dataclass(frozen=True)
class MissedPart(Correction):
    """A part of the object (its handle, its shadow) was left out of the edit: add it to the mask."""

    part: str

    def describe(self) -> str:
        return f"The edit missed the {self.part}: add it to the mask."

    def _apply(self, plan: _Plan) -> str:
        if "RES" not in plan.tables or "COMPOSE" not in plan.tables:
            raise CorrectionError("adding a missed part needs the RES and COMPOSE bricks, which the registry lacks")
        targets = _masked_edits(plan, removal_first=True)
        if not targets:
            raise CorrectionError(f"the previous plan has no masked edit to add the {self.part} to; say it as an "
                                  f"instruction, e.g. \"remove the {self.part}\"")
        notes = []
        for mask in _distinct_masks(targets):
            phrase = part_phrase(self.part, _object(plan, mask))
            if any(s["model"] == "RES" and s["input"].get("prompt") == phrase for s in plan.steps):
                notes.append(f"the mask already includes '{phrase}', so it is grown instead: "
                             + _grow(plan, mask, targets))
                continue
            first = _first_consumer(plan, mask, targets)
            image = _image_for(plan, mask, first)
            res = plan.insert(first, "RES", {"image": image, "prompt": phrase})
            mask = _moved(plan, mask, res)
            both = plan.insert(first, "COMPOSE", {"mask1": mask, "mask2": step_ref(res, "mask")})
            mask = _moved(plan, mask, both)
            new = step_ref(both, "mask")
            plan.uses(new)
            _rewire(targets, mask, new)
            notes.append(f"RES (step {res}) segments '{phrase}' and COMPOSE (step {both}) adds it to the mask")
        return "; ".join(notes)


def part_phrase(part: str, obj: str | None) -> str:
    """The RES prompt of a missed part: "shadow of red ball", "red ball's handle" (the part alone when
    the object has no name, or when the part already names it)."""
    part = re.sub(rf"^(?:{_PRONOUNS})\s+", "", part.strip().lower())
    part = re.sub(r"\s+(?:too|as well|also|either)$", "", part).strip()
    if obj is None or " of " in part or "'s " in part or obj.lower() in part:
        return part
    head = part.split()[-1] if part.split() else part
    return f"{part} of {obj}" if head in _OF_PARTS else f"{obj}'s {part}"


@dataclass(frozen=True)
class Strength(Correction):
    """The edit is too strong (direction -1: toward neutral) or not strong enough (+1)."""

    direction: int

    def describe(self) -> str:
        return "The edit is too strong: make it weaker." if self.direction < 0 else \
            "The edit is not strong enough: make it stronger."

    def _apply(self, plan: _Plan) -> str:
        notes = []
        for s in plan.steps:
            for name, value in list(s["input"].items()):
                spec = STRENGTH.get((s["model"], name)) or STRENGTH.get((None, name))
                number = _number(value)
                if spec is None or number is None:
                    continue
                neutral, low, high = spec
                factor = LOWER if self.direction < 0 else RAISE
                start = min(max(number, low), high)  # FLUX-BRIGHT 1.5 acts as 1.0: move from what it does
                new = round(min(max(neutral + (start - neutral) * factor, low), high), 3)
                if new == number:
                    continue
                s["input"][name] = new
                notes.append(f"{s['model']} (step {s['step']}) {name} {number:g} -> {new:g}")
        if not notes:
            what = "weaker" if self.direction < 0 else "stronger"
            raise CorrectionError(f"the previous plan has no strength setting (an amount or a ratio) that can be made "
                                  f"{what}; say how it should look instead, e.g. \"make it a little brighter\"")
        return ("weaker: " if self.direction < 0 else "stronger: ") + ", ".join(notes)


@dataclass(frozen=True)
class Spatial(Correction):
    """Only one of several objects was meant: say where it is in the segmentation prompt."""

    relation: str

    def describe(self) -> str:
        return f"Only the {self.relation} one: segment the {self.relation} object only."

    def _apply(self, plan: _Plan) -> str:
        origins: list[dict[str, Any]] = []
        for s, name in _masked_edits(plan, removal_first=False):
            origin = _origin(plan, s["input"][name])
            if origin is not None and isinstance(origin["input"].get("prompt"), str) and origin not in origins:
                origins.append(origin)
        if not origins:
            raise CorrectionError(f"the previous plan does not find its object by name, so 'the {self.relation} one' "
                                  f"cannot be said to it: {SELECT_IT}")
        notes = []
        for origin in origins:
            words = origin["input"]["prompt"].split()
            while words and (words[0].lower() in ("the", "a", "an") or words[0].lower() in _SPATIAL_WORDS):
                words = words[1:]
            prompt = " ".join([self.relation, *words])
            notes.append(f"RES (step {origin['step']}) now segments '{prompt}' instead of '{origin['input']['prompt']}'")
            origin["input"]["prompt"] = prompt
        return "; ".join(notes)


@dataclass(frozen=True)
class Exclude(Correction):
    """A region must come out unchanged: take it away from every edit's mask."""

    region: str

    def describe(self) -> str:
        return f"Keep the {self.region} unchanged: take it out of the edits' masks."

    @property
    def prompt(self) -> str:
        return re.sub(rf"^(?:{_PRONOUNS})\s+", "", self.region.strip().lower())

    def _apply(self, plan: _Plan) -> str:
        if "RES" not in plan.tables or "INVERSE" not in plan.tables:
            raise CorrectionError(f"keeping the {self.region} out needs the RES and INVERSE bricks, which the "
                                  "registry lacks")
        keep = KeepRegion(self.prompt)
        notes: list[str] = []
        for s, name in _masked_edits(plan, removal_first=False):
            mask = s["input"][name]
            origin = _origin(plan, mask)
            if origin is not None and keep.names(origin["input"].get("prompt")):
                raise CorrectionError(f"the plan edits the {self.region} itself (step {s['step']}, {s['model']}), so "
                                      f"it cannot also keep it unchanged; change the instruction instead")
            if self._excluded(plan, mask, keep):
                continue
            targets = [(c, n) for c, n in _masked_edits(plan, removal_first=False) if c["input"][n] == mask]
            image = _image_for(plan, mask, s)
            res = plan.insert(s, "RES", {"image": image, "prompt": self.prompt})
            mask = _moved(plan, mask, res)
            less = plan.insert(s, "INVERSE", {"mask1": mask, "mask2": step_ref(res, "mask")})
            mask = _moved(plan, mask, less)
            new = step_ref(less, "mask")
            plan.uses(new)
            _rewire(targets, mask, new)
            notes.append(f"RES (step {res}) segments '{self.prompt}' and INVERSE (step {less}) takes it out of "
                         f"the mask of {s['model']} (step {s['step']})")
        for s in list(plan.steps):
            if s["model"] not in plan.tables.editing or s["model"] in plan.tables.mask_helpers:
                continue
            names = plan.mask_inputs(s)
            if names and all(s["input"].get(n) is None for n in names):
                if names[0] not in plan.tables.optional_inputs.get(s["model"], ()):
                    continue
                res = plan.insert(s, "RES", {"image": s["input"].get("image", "init[image]"), "prompt": self.prompt})
                less = plan.insert(s, "INVERSE", {"mask1": None, "mask2": step_ref(res, "mask")})
                s["input"][names[0]] = step_ref(less, "mask")
                plan.uses(step_ref(less, "mask"))
                notes.append(f"{s['model']} (step {s['step']}) now edits everything but the {self.prompt} "
                             f"(RES step {res}, INVERSE step {less})")
            elif not names and plan.tables.families.get(s["model"]) in ("bright", "env", "style", "tone", "restore"):
                raise CorrectionError(f"{s['model']} (step {s['step']}) changes the whole image and takes no mask, so "
                                      f"it cannot leave the {self.region} out; ask for the edit on a part instead")
        if not notes:
            raise CorrectionError(f"the previous plan already leaves the {self.region} out of every edit")
        return "; ".join(notes)

    @staticmethod
    def _excluded(plan: _Plan, mask: str, keep: KeepRegion) -> bool:
        producer = plan.producer(mask)
        if producer is None or producer["model"] != "INVERSE":
            return False
        taken = plan.producer(producer["input"].get("mask2"))
        return taken is not None and keep.names(taken["input"].get("prompt"))


@dataclass(frozen=True)
class WrongObject(Correction):
    """The edit hit the wrong object: words cannot say which is meant, a selection can."""

    def describe(self) -> str:
        return "The edit changed the wrong object."

    def _apply(self, plan: _Plan) -> str:
        raise CorrectionError(f"the edit changed the wrong object and words alone cannot say which one you mean: "
                              f"{SELECT_IT}")


# -- parsing -----------------------------------------------------------------------------------------
_REL = "|".join(sorted(_SPATIAL_WORDS, key=len, reverse=True))
_WRONG = re.compile(r"\b(?:(?:the\s+)?wrong\s+(?:one|object|thing|item|person|part|\w+)|not\s+(?:that|this)\s+one|"
                    r"(?:that|it)(?:'|’)?s\s+not\s+(?:the\s+)?(?:right\s+)?(?:one|it|what i meant)|"
                    r"(?:that|it)\s+is\s+not\s+(?:the\s+)?(?:right\s+)?(?:one|it)|not\s+what\s+i\s+meant|"
                    r"(?:the\s+)?other\s+(?:one|guy|person|man|woman|girl|boy|dog|cat|car)|a\s+different\s+one|"
                    r"not\s+the\s+right\s+(?:one|object|thing|person|item)|(?:that|it)(?:'s|\s+is)\s+not\s+the\s+right\s+\w+)\b",
                    re.I)
_MISSED = re.compile(r"^(?:you\s+|it\s+)?(?:missed|forgot(?:\s+about)?|left\s+out|skipped|did\s*n[o'’]?t\s+"
                     r"(?:get|catch|include|remove|take(?:\s+out)?)|also\s+(?:remove|get|include|take(?:\s+out)?|"
                     r"erase)|(?:you\s+|we\s+)?(?:also\s+)?(?:need|have|ought)\s+to\s+(?:also\s+)?(?:remove|get|include|"
                     r"take\s+out|erase)|what\s+about)\s+(?P<part>.+?)(?:\s+(?:too|as well|also|either))?\??$", re.I)
# "remove the shadow too", "also its reflection", "and the handle": a part that belongs with the edit.
_MISSED_TOO = re.compile(r"^(?:(?:please\s+)?(?:remove|get|erase|take\s+out|include)\s+(?P<a>.+?)\s+(?:too|as\s+well)|"
                         r"(?:also|and|plus)\s+(?P<b>(?:the|its|his|her|their)\s+.+?)(?:\s+(?:too|as\s+well))?)$", re.I)
_PART_LEFT = re.compile(rf"^(?:there'?s\s+|there\s+is\s+)?(?:{_PRONOUNS}\s+)?(?P<part>[a-z' -]+?)\s+(?:is|are)\s+"
                        r"still\s+(?:there|visible|here|showing|left)$", re.I)
_RESIDUE = re.compile(
    r"\b(?:smudge[sd]?|smears?|smeared|stains?|blotch(?:es|y)?|blobs?|ghost(?:s|ing|ly)?|halos?|traces?|remnants?|"
    r"residue|left\s*overs?|artifacts?|artefacts?|outlines?|silhouettes?|still\s+(?:visible|there|see|showing|shows|"
    r"remains?|faintly)|can\s+still\s+(?:see|tell|make)|not\s+(?:fully|completely|entirely|quite|all)\s+(?:gone|"
    r"removed)|(?:is|are)n'?t\s+(?:fully|completely|entirely|all)\s+gone|did\s*n[o'’]?t\s+(?:fully|completely)\s+"
    r"remove|half\s+(?:gone|removed)|blurry\s+(?:patch|spot|area)|(?:dark|light|grey|gray)\s+(?:patch|spot|mark|"
    r"area)|edges?\s+(?:are|is)\s+(?:still\s+)?(?:visible|obvious|showing|noticeable)|visible\s+(?:edges?|seams?)|seams?)\b",
    re.I)
_RAISE_FIRST = re.compile(r"\bnot\s+(?:\w+\s+)?(?:enough|strong\s+enough|visible\s+enough)\b|\btoo\s+(?:weak|subtle|"
                          r"little|faint|mild|light(?:ly)?)\b", re.I)
_LOWER = re.compile(r"\b(?:too\s+(?:strong|much|intense|heavy|harsh|extreme|obvious|far|big|large)|over\s*done|"
                    r"overcooked|exaggerated|tone\s+(?:it|that|this)\s+down|dial\s+(?:it\s+|that\s+)?(?:back|down)|"
                    r"(?:a\s+(?:bit|little|lot|touch)|much|way|slightly)\s+less|not\s+so\s+(?:much|strong)|softer|"
                    r"subtler|more\s+subtle|weaker|milder|less\s+(?:strong|intense|of\s+it|please)|"
                    r"reduce\s+(?:it|that|the\s+effect)|half\s+as\s+(?:strong|much|intense))\b|^less$", re.I)
_RAISE = re.compile(r"\b(?:stronger|(?:a\s+(?:bit|little|lot|touch)|much|way|even|slightly)\s+more|more\s+(?:please|"
                    r"of\s+it|intense|strongly)|(?:barely|hardly)\s+(?:visible|noticeable|changed|any\s+different)|"
                    r"intensify|push\s+it(?:\s+further)?|boost\s+(?:it|that|the\s+effect)|crank\s+it\s+up|"
                    r"turn\s+it\s+up|increase\s+(?:it|that|the\s+effect)|(?:do|make)\s+it\s+more|twice\s+as\s+(?:strong|much))\b|"
                    r"^more$", re.I)
_SPATIAL = (
    re.compile(rf"^(?:no,?\s+)?(?:i\s+meant\s+|i\s+mean\s+)?(?:only|just)?\s*(?:the\s+)?(?P<rel>{_REL})\s+(?:one|ones)"
               rf"(?:\s+(?:only|please))?$", re.I),
    re.compile(rf"^(?:no,?\s+)?(?:i\s+meant\s+)?(?:only|just)\s+(?:the\s+)?(?P<rel>{_REL})(?:\s+(?:only|please))?$", re.I),
    re.compile(rf"^(?:no,?\s+)?(?:i\s+meant\s+)?(?:only|just)?\s*the\s+one\s+(?:on|at|in|to)\s+the\s+(?P<rel>{_REL})"
               rf"(?:\s+(?:side|only|please))?$", re.I),
    # "the left dog only", "just the right car"
    re.compile(rf"^(?:no,?\s+)?(?:i\s+meant\s+)?(?:(?:only|just)\s+)?the\s+(?P<rel>{_REL})\s+[a-z]+(?:\s+only)?$", re.I),
)


def parse_correction(clause: str) -> Correction | None:
    """The correction one clause of feedback says about the result, or None (also for a clause longer
    than MAX_CLAUSE_CHARS: the patterns only ever see short, whitespace-normalized text)."""
    text = normalize_space(clause[:MAX_CLAUSE_CHARS + 1]).strip().strip(" .!,'\"")
    if len(text) > MAX_CLAUSE_CHARS:
        return None
    too = _MISSED_TOO.match(re.sub(r"^(?:hmm+|oh|well|no|nope|sorry|ok(?:ay)?|but)[,\s]+", "", text, flags=re.I))
    if too:
        return MissedPart(_clean_part(too.group("a") or too.group("b")), text=clause)
    text = re.sub(r"^(?:hmm+|oh|well|no|nope|sorry|ok(?:ay)?|but|and|please|also)[,\s]+", "", text, flags=re.I)
    if not text:
        return None
    if _WRONG.search(text):
        return WrongObject(text=clause)
    m = _MISSED.match(text)
    if m:
        return MissedPart(_clean_part(m.group("part")), text=clause)
    m = _PART_LEFT.match(text)
    if m and _clean_part(m.group("part")).split()[-1:] and _clean_part(m.group("part")).split()[-1] in _ATTACHED:
        return MissedPart(_clean_part(m.group("part")), text=clause)
    bare = re.match(r"^(?:the|its|his|her|their)\s+(?P<part>[a-z' -]+)$", text, re.I)
    if bare and bare.group("part").split()[-1].lower() in _ATTACHED:  # "(also) the shadow"
        return MissedPart(_clean_part(bare.group("part")), text=clause)
    if _RESIDUE.search(text):
        return Residue(text=clause)
    if _RAISE_FIRST.search(text):
        return Strength(+1, text=clause)
    if _LOWER.search(text):
        return Strength(-1, text=clause)
    if _RAISE.search(text):
        return Strength(+1, text=clause)
    text = re.sub(rf",?\s+(?:and\s+)?not\s+the\s+(?:{_REL})(?:\s+(?:one|ones|\w+))?$", "", text, flags=re.I)  # "..., not the left"
    for pattern in _SPATIAL:
        m = pattern.match(text)
        if m:
            return Spatial(_SPATIAL_WORDS[m.group("rel").lower()], text=clause)
    return None


def _clean_part(text: str) -> str:
    part = re.sub(rf"^(?:{_PRONOUNS})\s+", "", text.strip(" .,!'\"").lower())
    return re.sub(r"\s+(?:too|as well|also|either|please)$", "", part).strip()


@dataclass
class Feedback:
    """What feedback says: `constraints` on the plan (builder/feedback.py) and `corrections` of the
    result. A "keep the X" sentence is both: a KeepRegion constraint and an Exclude correction."""

    constraints: list[Constraint] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)


def read_feedback(texts: str | Iterable[str], registry: Registry | BrickTables | None = None) -> Feedback:
    """Constraints and corrections from feedback sentences; ValueError with a readable message for a
    clause that is neither."""
    tables = brick_tables(registry)
    found = Feedback()
    for text in [texts] if isinstance(texts, str) else texts:
        if not text or not text.strip():
            continue
        for clause in split_clauses(text):
            _read_clause(clause, tables, found)
    return found


# "X and Y", "X, Y": on whitespace-normalized text (one space a run), so no pattern retries a run.
_PARTS_SPLIT = re.compile(r" ?,? (?:and|but|also) | ?, ", re.I)


def _read_clause(clause: str, tables: BrickTables, found: Feedback, split: bool = True) -> None:
    if len(clause) > MAX_CLAUSE_CHARS:
        raise ValueError(f"the clause {shorten(clause)!r} is {len(clause)} characters long, above the limit of "
                         f"{MAX_CLAUSE_CHARS}; say one thing a sentence, e.g. {EXAMPLES}")
    clause = normalize_space(clause)
    parts = [p for p in _PARTS_SPLIT.split(clause) if p.strip()]
    if split and len(parts) > 1:  # "there's still a smudge and you missed the shadow": two, if both are read
        trial = Feedback()
        try:
            for part in parts:
                _read_clause(part, tables, trial, split=False)
        except ValueError:
            pass
        else:
            found.constraints.extend(c for c in trial.constraints if c not in found.constraints)
            found.corrections.extend(trial.corrections)
            return
    constraints = clause_constraints(clause, tables)
    if constraints is not None:
        for c in constraints:
            if c not in found.constraints:
                found.constraints.append(c)
            if isinstance(c, KeepRegion):
                found.corrections.append(Exclude(c.region, text=clause))
        return
    correction = parse_correction(clause)
    if correction is not None:
        found.corrections.append(correction)
        return
    unknown = unknown_brick(clause, tables)
    if unknown:
        raise ValueError(f"{unknown!r} in {shorten(clause)!r} is not a brick; the bricks are {', '.join(tables.names)}")
    raise ValueError(f"could not turn {shorten(clause)!r} into a change: say what is wrong with the result, e.g. {EXAMPLES}, "
                     "or name bricks: \"don't use SOS\", \"use MASK-SEG\"")


def apply_corrections(workflow: dict[str, Any], corrections: Sequence[Correction],
                      registry: Registry | BrickTables | None = None) -> tuple[dict[str, Any], list[str]]:
    """`workflow` with every correction made in turn, and a sentence for each; CorrectionError for the
    first that cannot be made."""
    notes = []
    for c in corrections:
        workflow, note = c.apply(workflow, registry)
        notes.append(note)
    return workflow, notes
