"""What "the right kind of plan" means for each edit type: the bricks (or brick families) that do it.

ImgEdit's nine types (add, remove, replace, adjust, style, background, extract, action, compose) and the
open-domain ones beyond them (tone, env, outpaint, text, geometry, restore, and "other": what no brick can
do, where a clean refusal is the right answer). The rules bench and `lego-edit eval` judge plans by this one
table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lego_edit.bricks.refs import Ref
from lego_edit.builder.feedback import result_refs, steps_of
from lego_edit.builder.tables import brick_tables

EDIT_TYPES = ("add", "remove", "replace", "adjust", "style", "background", "extract", "action", "compose")
OPEN_DOMAIN_TYPES = (*EDIT_TYPES, "tone", "env", "outpaint", "text", "geometry", "restore", "other")


def _models(workflow: dict[str, Any]) -> set[str]:
    return {s.model for s in steps_of(workflow)}


def _uses(*bricks: str) -> Callable[[dict[str, Any]], bool]:
    return lambda workflow: bool(_models(workflow) & set(bricks))


def _local_style(workflow: dict[str, Any]) -> bool:
    return any(s.model == "FLUX-STYLE" and s.inputs.get("mask") is not None for s in steps_of(workflow))


def _cut_out(workflow: dict[str, Any]) -> dict[int, str]:
    """Step number -> the region a segmenter cut out of that step's image: a whole-image edit cut out by RES and
    composed back (brighten, RES "the flowers", COMPOSE) is that region's edit."""
    return {ref.step: str(s.inputs.get("prompt")) for s in steps_of(workflow) if s.model in ("RES", "SOS")
            and (ref := Ref.parse(s.inputs.get("image"))) is not None and ref.step is not None}


def _local_tone(workflow: dict[str, Any]) -> bool:
    """A tone brick (contrast, saturation, warmth ...) on a region (its mask, or its result cut out and composed
    back): one region's look changed."""
    family_of = brick_tables().families
    cut_out = _cut_out(workflow)
    return any(family_of.get(s.model) in ("bright", "tone") and (s.inputs.get("mask") is not None or s.number in cut_out)
               for s in steps_of(workflow))


def _region_regenerated(workflow: dict[str, Any]) -> bool:
    """FLUX-FILL inside an existing object's region (a RES or SOS mask, or the user's selection): the object
    redrawn with a new attribute. The reference Builder does so for what is not a colour or material (a haircut,
    clothes of another kind), as FLUX-RCM does only colours and materials; ADD-PRED's and CMI-PRED's masks are
    new places, not an object's."""
    producers = {s.number: s.model for s in steps_of(workflow)}

    def segmented(ref: Ref | None) -> bool:
        return ref is not None and (producers.get(ref.step) in ("RES", "SOS", "MASK-SEG") if ref.step is not None
                                    else ref.key == "mask")
    return any(s.model == "FLUX-FILL" and segmented(Ref.parse(s.inputs.get("mask"))) for s in steps_of(workflow))


def _adjust(workflow: dict[str, Any]) -> bool:
    return _uses("FLUX-RCM", "FLUX-BRIGHT", "FLUX-ENV")(workflow) or _local_style(workflow) or _local_tone(workflow) or \
        _region_regenerated(workflow)


def _black_and_white(workflow: dict[str, Any]) -> bool:
    """The whole image desaturated to grey: SATURATION at -1 renders the black-and-white look as FLUX-STYLE does."""
    def amount(value: Any) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            return 0.0
    return any(s.model == "SATURATION" and s.inputs.get("mask") is None and amount(s.inputs.get("amount")) <= -1
               for s in steps_of(workflow))


def _background_blurred(workflow: dict[str, Any]) -> bool:
    """BLUR over the background (everything but the subject, INVERSE's mask, or a segmented background)."""
    by_number = {s.number: s for s in steps_of(workflow)}

    def background(ref: Ref | None) -> bool:
        source = by_number.get(ref.step) if ref is not None else None
        return source is not None and (source.model == "INVERSE" or (
            source.model in ("RES", "SOS") and "background" in str(source.inputs.get("prompt", ""))))
    return any(s.model == "BLUR" and background(Ref.parse(s.inputs.get("mask"))) for s in steps_of(workflow))


def _cutout_result(workflow: dict[str, Any]) -> bool:
    """A RES or SOS cut-out (their `image` output) is among the results."""
    producers = {s.number: s.model for s in steps_of(workflow)}
    return any(r.step is not None and r.key == "image" and producers.get(r.step) in ("RES", "SOS")
               for r in result_refs(workflow))


def _chained(workflow: dict[str, Any]) -> bool:
    """Several edits, one after the other: at least two edits (an edit brick of the catalog on its own region:
    three objects each replaced are three edits, so are a darker background and brighter flowers), the later
    ones working on an edited image. A step that refines an earlier one (FLUX-INPAINT over FASTINPAINT's
    `preimage`) is the same edit."""
    family_of = brick_tables().families
    cut_out = _cut_out(workflow)
    edit_steps = [s for s in steps_of(workflow) if s.model in family_of]
    edits = {(s.model, str(s.inputs.get("mask")) if s.inputs.get("mask") is not None else cut_out.get(s.number))
             for s in edit_steps if (Ref.parse(s.inputs.get("preimage")) or Ref(None, "image")).step is None}
    edited = any(Ref.parse(v) not in (None, Ref(None, "image")) for s in edit_steps
                 for k, v in s.inputs.items() if k in ("image", "image1"))
    return len(edits) >= 2 and edited


def _families(workflow: dict[str, Any]) -> set[str]:
    family_of = brick_tables().families
    return {family_of[s.model] for s in steps_of(workflow) if s.model in family_of}


# The brick families that do each of the open-domain types (a family not in the catalog yet counts once a brick
# of it is added). Where no brick of any of them exists, a clean refusal is the right kind of answer.
TYPE_FAMILIES: dict[str, tuple[str, ...]] = {
    "tone": ("bright", "tone"),
    "env": ("env",),
    "text": ("text", "remove", "fill"),  # text is painted out (remove) or repainted (fill) until a text brick exists
    "geometry": ("geometry", "crop", "rotate"),
    "restore": ("restore",),
}


def _in_families(*families: str) -> Callable[[dict[str, Any]], bool]:
    return lambda workflow: bool(_families(workflow) & set(families))


def _outpaint(workflow: dict[str, Any]) -> bool:
    """CMI-PRED widens the canvas (a ratio given) and FLUX-FILL paints the new area."""
    widened = any(s.model == "CMI-PRED" and any(s.inputs.get(k) for k in
                                                ("left_ratio", "right_ratio", "top_ratio", "bottom_ratio"))
                  for s in steps_of(workflow))
    return widened and "FLUX-FILL" in _models(workflow)


RIGHT_KIND: dict[str, Callable[[dict[str, Any]], bool]] = {
    "add": _uses("ADD-PRED", "FLUX-FILL"),
    "remove": _uses("FASTINPAINT", "FLUX-INPAINT"),
    "replace": _uses("FLUX-FILL"),
    "adjust": _adjust,
    "style": lambda workflow: _uses("FLUX-STYLE")(workflow) or _black_and_white(workflow),
    "background": lambda workflow: _uses("FLUX-CBG")(workflow) or _background_blurred(workflow),
    "extract": _cutout_result,
    "action": _uses("FLUX-POSE"),
    "compose": _chained,
    **{t: _in_families(*fams) for t, fams in TYPE_FAMILIES.items()},
    "outpaint": _outpaint,
    "other": lambda workflow: False,  # no brick can do it: any plan is the wrong kind
}


def right_kind(edit_type: str, workflow: dict[str, Any]) -> bool:
    """Is `workflow` (a workflow dict) the right kind of plan for `edit_type`? KeyError for a type not in the table."""
    return RIGHT_KIND[edit_type](workflow)


def refusal_is_right(edit_type: str) -> bool:
    """A clean refusal is the right answer for "other", and for a type no brick in the catalog can do yet."""
    if edit_type == "other":
        return True
    families = TYPE_FAMILIES.get(edit_type)
    return families is not None and not set(families) & set(brick_tables().families.values())


def plan_verdict(edit_type: str | None, workflow: dict[str, Any] | None) -> bool | None:
    """Right kind (True / False) of a plan, or of a refusal when `workflow` is None; None when the type is
    unknown to the table (nothing to judge by)."""
    if not edit_type or edit_type not in RIGHT_KIND:
        return None
    if workflow is None:
        return refusal_is_right(edit_type)
    return right_kind(edit_type, workflow)
