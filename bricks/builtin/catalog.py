"""Declarations of the built-in bricks: the reference Builder's vocabulary.

Frozen specs only, pure Python (no numpy): the Builder derives its tables from `ALL` / `BY_NAME`.
How each brick runs is wired in bricks/builtin/__init__.py (`builtin_bricks`): model backends
first, then the classical ones; a brick with no usable backend stays in the catalog as
unavailable, with the reason and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lego_edit.bricks.registry import BrickRole, BrickSpec, Port
from lego_edit.bricks.valuetype import ValueType

IMAGE, MASK, STR, FLOAT = ValueType.IMAGE, ValueType.MASK, ValueType.STR, ValueType.FLOAT


def _ratio(side: str) -> Port:
    return Port(f"{side}_ratio", FLOAT, optional=True, doc=f"fraction of the width/height to add on the {side}")


RES = BrickSpec(
    "RES",
    "Segment the object or region the prompt names; also returns a cut-out preview of it.",
    (Port("image", IMAGE), Port("prompt", STR, doc="short noun phrase naming the object, e.g. 'dog', 'red car', 'sky'")),
    (Port("mask", MASK), Port("image", IMAGE, doc="the object cut out on a transparent background")),
    "The prompt names one object or region, not an action. Offline it understands colours ('red object'), "
    "positions ('left person') and broad regions (sky, background, foreground).",
    role=BrickRole.SEGMENT,
)
SOS = BrickSpec(
    "SOS",
    "Segment the most salient (main) object of the image.",
    (Port("image", IMAGE),),
    (Port("mask", MASK), Port("image", IMAGE, doc="the object cut out on a transparent background")),
    "Use when the instruction refers to 'the subject' or 'the main object' without naming it.",
    role=BrickRole.SEGMENT,
)
MASK_SEG = BrickSpec(
    "MASK-SEG",
    "Segment the object lying inside a rough mask (e.g. a user's selection) precisely.",
    (Port("image", IMAGE), Port("mask", MASK, doc="rough region around the object")),
    (Port("mask", MASK), Port("image", IMAGE, doc="the object cut out on a transparent background")),
    "The rough mask must contain the object.",
    role=BrickRole.SEGMENT,
)
ADD_PRED = BrickSpec(
    "ADD-PRED",
    "Predict where a described new object should go (inside the mask if one is given).",
    (Port("image", IMAGE), Port("prompt", STR, doc="the object to add"), Port("mask", MASK, optional=True)),
    (Port("mask", MASK),),
    "Use before FLUX-FILL when the user did not say exactly where to add an object.",
    role=BrickRole.PREDICT,
    family="fill",
)
CMI_PRED = BrickSpec(
    "CMI-PRED",
    "Caption the image; with ratios, also expand the canvas and give the mask of the new area for outpainting.",
    (Port("image", IMAGE), _ratio("left"), _ratio("right"), _ratio("top"), _ratio("bottom")),
    (Port("caption", STR), Port("image", IMAGE, optional=True), Port("mask", MASK, optional=True)),
    "Ratios are fractions of the current width (left/right) or height (top/bottom); null means none. "
    "Image and mask outputs are null when no ratio is given. Offline the caption is only a rough description "
    "of brightness and dominant colours, not of the content.",
    role=BrickRole.PREDICT,
)
BBOX = BrickSpec(
    "BBOX",
    "Bounding box of a mask, as a filled rectangular mask.",
    (Port("mask", MASK),),
    (Port("mask", MASK),),
    role=BrickRole.MASK,
)
INVERSE = BrickSpec(
    "INVERSE",
    "Mask difference mask1 minus mask2 (mask1 null = the whole image), or the difference of two images.",
    (Port("mask1", MASK, optional=True), Port("mask2", MASK, optional=True),
     Port("image1", IMAGE, optional=True), Port("image2", IMAGE, optional=True)),
    (Port("mask", MASK, optional=True), Port("image", IMAGE, optional=True)),
    "Give masks or images, not both. INVERSE(mask1=null, mask2=M) is the complement of M.",
    role=BrickRole.MASK,
)
COMPOSE = BrickSpec(
    "COMPOSE",
    "Union of two masks, or image2 laid over image1 (using image2's alpha).",
    (Port("mask1", MASK, optional=True), Port("mask2", MASK, optional=True),
     Port("image1", IMAGE, optional=True), Port("image2", IMAGE, optional=True)),
    (Port("mask", MASK, optional=True), Port("image", IMAGE, optional=True)),
    "Give two masks or two images of the same size.",
    role=BrickRole.MASK,
)
RESIZE = BrickSpec(
    "RESIZE",
    "Scale the valid (non-empty) part of a mask or image about its centre.",
    (Port("mask", MASK, optional=True), Port("image", IMAGE, optional=True), Port("ratio", FLOAT, doc="scale factor, e.g. 1.5")),
    (Port("mask", MASK, optional=True), Port("image", IMAGE, optional=True)),
    "Give a mask or an image. The canvas size stays the same.",
    role=BrickRole.MASK,
    family="resize",
)
FASTINPAINT = BrickSpec(
    "FASTINPAINT",
    "Quickly remove what the mask covers and fill it from the surroundings.",
    (Port("image", IMAGE), Port("mask", MASK)),
    (Port("image", IMAGE), Port("score", FLOAT, doc="0..1, how plausible the fill is (higher is better)")),
    "The mask should cover the whole object, shadow included; it is dilated a little.",
    role=BrickRole.EDIT,
    family="remove",
)
FLUX_INPAINT = BrickSpec(
    "FLUX-INPAINT",
    "High-quality object removal, refining a pre-inpainted image.",
    (Port("image", IMAGE), Port("mask", MASK), Port("preimage", IMAGE, doc="output of FASTINPAINT"),
     Port("score", FLOAT, doc="score of FASTINPAINT")),
    (Port("image", IMAGE),),
    "Run FASTINPAINT first and pass its image and score.",
    role=BrickRole.EDIT,
    family="remove",
)
FLUX_FILL = BrickSpec(
    "FLUX-FILL",
    "Generate what the prompt describes inside the mask; also used for outpainting.",
    (Port("image", IMAGE), Port("mask", MASK), Port("prompt", STR), Port("preimage", IMAGE, optional=True)),
    (Port("image", IMAGE),),
    role=BrickRole.EDIT,
    family="fill",
)
FLUX_RCM = BrickSpec(
    "FLUX-RCM",
    "Change the colour or material of the masked object.",
    (Port("image", IMAGE), Port("mask", MASK), Port("prompt", STR, doc="the new colour or material, e.g. 'red', 'wooden'")),
    (Port("image", IMAGE),),
    "Offline only colours are understood; shading is kept.",
    role=BrickRole.EDIT,
    family="recolor",
)
FLUX_CBG = BrickSpec(
    "FLUX-CBG",
    "Change the background (the mask covers the background).",
    (Port("image", IMAGE), Port("mask", MASK, doc="the background region"), Port("prompt", STR, doc="the new background")),
    (Port("image", IMAGE),),
    "Offline: a named colour, 'blur'/'blurred', or a '<colour> to <colour> gradient'.",
    role=BrickRole.EDIT,
    family="background",
)
FLUX_STYLE = BrickSpec(
    "FLUX-STYLE",
    "Render the whole image, or the masked part, in a style.",
    (Port("image", IMAGE), Port("mask", MASK, optional=True), Port("prompt", STR, doc="what the image shows (a caption)"),
     Port("style", STR, doc="e.g. 'watercolor style', 'pencil sketch'")),
    (Port("image", IMAGE),),
    "Offline: pencil sketch, colour pencil, watercolour, cartoon, oil painting, black and white, sepia.",
    role=BrickRole.EDIT,
    family="style",
)
FLUX_ENV = BrickSpec(
    "FLUX-ENV",
    "Change weather, season or time of day.",
    (Port("image", IMAGE), Port("prompt", STR, doc="e.g. 'at sunset', 'at night', 'in winter', 'in fog'")),
    (Port("image", IMAGE),),
    "Offline this is colour grading: sunset, night, winter, fog.",
    role=BrickRole.EDIT,
    family="env",
)
FLUX_POSE = BrickSpec(
    "FLUX-POSE",
    "Change a person's or animal's pose or expression.",
    (Port("image", IMAGE), Port("prompt", STR)),
    (Port("image", IMAGE),),
    role=BrickRole.EDIT,
    family="pose",
)
FLUX_BRIGHT = BrickSpec(
    "FLUX-BRIGHT",
    "Change the brightness of the image.",
    (Port("image", IMAGE), Port("ratio", FLOAT, doc="0..1; 0.5 = unchanged, higher is brighter")),
    (Port("image", IMAGE),),
    role=BrickRole.EDIT,
    family="bright",
)

ALL = (RES, SOS, MASK_SEG, ADD_PRED, CMI_PRED, BBOX, INVERSE, COMPOSE, RESIZE, FASTINPAINT, FLUX_INPAINT,
       FLUX_FILL, FLUX_RCM, FLUX_CBG, FLUX_STYLE, FLUX_ENV, FLUX_POSE, FLUX_BRIGHT)

BY_NAME: Mapping[str, BrickSpec] = MappingProxyType({spec.name: spec for spec in ALL})
