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
    size = "width" if side in ("left", "right") else "height"
    return Port(f"{side}_ratio", FLOAT, optional=True,
                doc=f"1.0 = the {side} stays as it is; the {side} grows by {size} x (ratio - 1)")


RES = BrickSpec(
    "RES",
    "Segment the object or region the prompt names; also returns a cut-out preview of it.",
    (Port("image", IMAGE), Port("prompt", STR, doc="short noun phrase naming the object, e.g. 'dog', 'red car', 'sky'")),
    (Port("mask", MASK), Port("image", IMAGE, doc="the object cut out on a transparent background")),
    "The prompt names one object or region, not an action. Offline every word must be checkable by rules: a colour "
    "or position with a generic noun ('red object', 'the thing on the left'), a round noun with a colour "
    "('red ball': checked for roundness), or a region (sky, ground, background, foreground) it detects only when "
    "clear; a specific noun ('box', 'tower', 'cup') is refused: use the user's selection or the model.",
    role=BrickRole.SEGMENT,
)
SOS = BrickSpec(
    "SOS",
    "Segment the most salient (main) object of the image.",
    (Port("image", IMAGE),),
    (Port("mask", MASK), Port("image", IMAGE, doc="the object cut out on a transparent background")),
    "Use when the instruction refers to 'the subject' or 'the main object' without naming it. Offline it keeps a "
    "detected face and the body below it whole, and refuses a subject it cannot tell from the background.",
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
    "Give all four ratios or none (null for all four: caption only, image and mask outputs null). A side grows "
    "by width x (ratio - 1) (left/right) or height x (ratio - 1) (top/bottom), so 1.0 leaves it unchanged; four "
    "equal ratios r enlarge the whole picture r times (2.0 = twice as large). The grown canvas is resized to a "
    "long side of 1024 px; pass its image and mask together to FLUX-FILL, with the image before the expansion "
    "as preimage. Offline the caption is only a rough description of brightness and dominant colours, not of "
    "the content.",
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
    "Scale the valid (non-empty) part of a mask or image, keeping it on its bottom edge and centred horizontally.",
    (Port("mask", MASK, optional=True), Port("image", IMAGE, optional=True), Port("ratio", FLOAT, doc="scale factor, e.g. 1.5")),
    (Port("mask", MASK, optional=True), Port("image", IMAGE, optional=True)),
    "Give a mask or an image (its valid part: the opaque pixels). The bounding box of the largest region is "
    "scaled and stands where it stood (an object stays on the ground); the rest becomes empty and the canvas "
    "size stays the same.",
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
    (Port("image", IMAGE), Port("mask", MASK), Port("prompt", STR),
     Port("preimage", IMAGE, optional=True, doc="the image before CMI-PRED's expansion when outpainting, or a "
                                                "reference image the prompt describes; null = none")),
    (Port("image", IMAGE),),
    "With CMI-PRED's mask, its image must be CMI-PRED's image too.",
    role=BrickRole.EDIT,
    family="fill",
)
FLUX_RCM = BrickSpec(
    "FLUX-RCM",
    "Change the colour or material of the masked object.",
    (Port("image", IMAGE), Port("mask", MASK, optional=True, doc="the object; null = the whole image"),
     Port("prompt", STR, doc="the new colour or material, e.g. 'red', 'wooden'")),
    (Port("image", IMAGE),),
    "Segment the object first and pass its mask; without one the whole image changes. Offline only colours are "
    "understood; shading is kept.",
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
     Port("style", STR, doc="e.g. 'watercolor style', 'anime style'; a name without 'style' gets it added, 'ink' "
                           "means Chinese ink, and the model falls back to anime style when it is empty")),
    (Port("image", IMAGE),),
    "The prompt is the caption of CMI-PRED (ratios null); the model puts it before 'convert the image into <style> "
    "style'. No mask: the whole image. Offline: pencil sketch, colour pencil, watercolour, cartoon, oil painting, "
    "black and white, sepia.",
    role=BrickRole.EDIT,
    family="style",
)
FLUX_ENV = BrickSpec(
    "FLUX-ENV",
    "Change weather, season or time of day.",
    (Port("image", IMAGE), Port("prompt", STR, doc="e.g. 'at sunset', 'at night', 'in winter', 'in fog'")),
    (Port("image", IMAGE),),
    "Offline this is colour grading of the whole image: sunset, night, fog, warm, cool; snow, autumn leaves and "
    "rain need the model.",
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
    (Port("image", IMAGE), Port("ratio", FLOAT, doc="0 = black, 0.5 = unchanged, 1 = twice as bright; above 1 "
                                                    "counts as 1")),
    (Port("image", IMAGE),),
    "Whole image: the colours are scaled by 2 x ratio. A ratio of 0.5, or one too close to it to change anything "
    "visibly, is refused.",
    role=BrickRole.EDIT,
    family="bright",
)

EDIT = BrickSpec(
    "EDIT",
    "Apply any edit the instruction describes, with an instruction-editing model, inside the mask if one is given.",
    (Port("image", IMAGE), Port("prompt", STR, doc="the edit in plain words, e.g. 'make the cat wear a red scarf'"),
     Port("mask", MASK, optional=True, doc="limits the edit to this region; pixels outside stay exactly as they were")),
    (Port("image", IMAGE),),
    "For edits no specialised brick covers. Needs an editing engine (FLUX.2 klein, Qwen-Image-Edit, FLUX.1 "
    "Kontext); it has no offline version. Prefer the specialised bricks when one fits.",
    role=BrickRole.EDIT,
    family="edit",
)

# --- Adjustments, restoration and geometry (classical backends only) ---

_AMOUNT_DOC = "-1..1; 0 = unchanged, positive = more (values outside are clamped)"


def _amount(doc: str = _AMOUNT_DOC) -> Port:
    return Port("amount", FLOAT, doc=doc)


def _region(what: str = "the edit") -> Port:
    return Port("mask", MASK, optional=True, doc=f"limits {what} to this region (soft edges blend); null = the whole image")


_HONEST = "An amount of 0 (or one too small to change any pixel) is refused, not returned unchanged."

CONTRAST = BrickSpec(
    "CONTRAST",
    "Raise or lower the contrast (lightness spread about the mean).",
    (Port("image", IMAGE), _amount("-1..1; positive = more contrast (1 = twice the spread), -1 = flat"), _region()),
    (Port("image", IMAGE),),
    "Works on CIELAB lightness only, so colours keep their hue. " + _HONEST,
    role=BrickRole.EDIT,
    family="tone",
)
SATURATION = BrickSpec(
    "SATURATION",
    "Make colours more vivid (+) or duller (-); amount -1 turns the image (or the masked part) black and white.",
    (Port("image", IMAGE), _amount("-1..1; -1 = black and white, positive = more vivid"), _region()),
    (Port("image", IMAGE),),
    "Raising is vibrance-like: dull colours gain more than vivid ones. For 'black and white except the X': "
    "RES(X) -> INVERSE(mask1=null, mask2=that mask) -> SATURATION(amount=-1, mask=the inverse). " + _HONEST,
    role=BrickRole.EDIT,
    family="tone",
)
TEMPERATURE = BrickSpec(
    "TEMPERATURE",
    "Make the light warmer (+, more amber) or cooler (-, more blue).",
    (Port("image", IMAGE), _amount("-1..1; positive = warmer, negative = cooler; 0.3 is a clear shift"), _region()),
    (Port("image", IMAGE),),
    "A white balance shift along the blue-yellow axis; lightness is kept. For a sunset look use FLUX-ENV. " + _HONEST,
    role=BrickRole.EDIT,
    family="tone",
)
TINT = BrickSpec(
    "TINT",
    "Give the image (or the masked part) a colour cast, as a coloured filter over the lens: 'more yellow', "
    "'a blue filter', 'a pink tint'.",
    (Port("image", IMAGE), Port("color", STR, doc="the filter's colour: a colour name, e.g. 'yellow', 'blue', 'pink'"),
     _amount("0..1; how strong the filter is; 0.3 is a clear cast"), _region()),
    (Port("image", IMAGE),),
    "Lightness is kept: only the colours move toward the filter's hue. For warmer or cooler light use TEMPERATURE; "
    "to paint an object a colour use FLUX-RCM. Refused for a neutral colour (grey, white, black) and for a colour "
    "name it does not know. " + _HONEST,
    role=BrickRole.EDIT,
    family="tone",
)
WHITE_BALANCE = BrickSpec(
    "WHITE-BALANCE",
    "Remove a colour cast automatically, so greys and whites look neutral.",
    (Port("image", IMAGE),),
    (Port("image", IMAGE),),
    "Grey-world / white-patch estimate over the whole image; fails with a reason when the image is already "
    "neutral. Use TEMPERATURE for a deliberate warm or cool look.",
    role=BrickRole.EDIT,
    family="tone",
)
EXPOSURE = BrickSpec(
    "EXPOSURE",
    "Change the exposure in photographic stops (brighter or darker, as if the camera took more or less light).",
    (Port("image", IMAGE), _amount("-1..1 = -2..+2 stops; 0.5 = one stop brighter")),
    (Port("image", IMAGE),),
    "Whole image, in linear light; highlights roll off smoothly instead of clipping. " + _HONEST,
    role=BrickRole.EDIT,
    family="tone",
)
SHADOWS_HIGHLIGHTS = BrickSpec(
    "SHADOWS-HIGHLIGHTS",
    "Lift or deepen the shadows and recover or boost the highlights, keeping local contrast.",
    (Port("image", IMAGE), Port("shadows", FLOAT, doc="-1..1; positive lifts the shadows, negative deepens them, 0 = unchanged"),
     Port("highlights", FLOAT, doc="-1..1; negative recovers (darkens) the highlights, positive boosts them, 0 = unchanged")),
    (Port("image", IMAGE),),
    "Whole image. Cannot restore detail in fully black or fully clipped areas. Refused when both are 0.",
    role=BrickRole.EDIT,
    family="tone",
)
VIGNETTE = BrickSpec(
    "VIGNETTE",
    "Darken (+) or lighten (-) the corners of the image, leaving the centre.",
    (Port("image", IMAGE), _amount("-1..1; positive darkens the corners, negative lightens them; 0.4 is moderate")),
    (Port("image", IMAGE),),
    "Whole image; the centre third is untouched. " + _HONEST,
    role=BrickRole.EDIT,
    family="tone",
)
AUTO_LEVELS = BrickSpec(
    "AUTO-LEVELS",
    "Set the black and white points automatically (Auto Levels): a dull, murky or faded photo gets its full "
    "tonal range; or equalise local contrast.",
    (Port("image", IMAGE),
     Port("mode", STR, optional=True, doc="'stretch' (default: darkest tones to black, brightest to white) or "
                                          "'equalize' (local contrast, for flat murky areas)")),
    (Port("image", IMAGE),),
    "Whole image, on CIELAB lightness, so hues are kept; 0.5 % of the pixels may clip at each end. Refused when "
    "the tones already run from black to white (use CONTRAST for more punch) or the image is one flat tone.",
    role=BrickRole.EDIT,
    family="tone",
)
SHARPEN = BrickSpec(
    "SHARPEN",
    "Sharpen the image or the masked part (unsharp mask); negative softens slightly.",
    (Port("image", IMAGE), _amount("-1..1; 0.5 is clear sharpening, negative softens"), _region("the sharpening")),
    (Port("image", IMAGE),),
    "Enhances existing edges; it cannot recover detail lost to strong blur or focus. " + _HONEST,
    role=BrickRole.EDIT,
    family="restore",
)
SMOOTH = BrickSpec(
    "SMOOTH",
    "Smooth fine texture while keeping edges (bilateral filter): skin, fabric, a blotchy wall; in the mask or everywhere.",
    (Port("image", IMAGE), _amount("0..1 strength; 0.3 subtle, 0.6 clear, 1 strong"), _region("the smoothing")),
    (Port("image", IMAGE),),
    "Softens pores, blotches, creases and weave but keeps outlines; it does not remove spots larger than a few "
    "pixels (use RES and FASTINPAINT) nor noise as well as DENOISE. Give the skin or fabric as the mask for a "
    "retouch; without one the whole image is smoothed. " + _HONEST,
    role=BrickRole.EDIT,
    family="restore",
)
DENOISE = BrickSpec(
    "DENOISE",
    "Remove noise and grain from the image (non-local means).",
    (Port("image", IMAGE), _amount("0..1 strength; 0.5 moderate, 1 strong (also smooths fine texture)")),
    (Port("image", IMAGE),),
    "Whole image; the strength follows the estimated noise level. Negative amounts are refused. Slow on very "
    "large images. " + _HONEST,
    role=BrickRole.EDIT,
    family="restore",
)
DEHAZE = BrickSpec(
    "DEHAZE",
    "Remove haze, fog or mist from the image (dark-channel prior).",
    (Port("image", IMAGE), _amount("0..1 strength; 1 removes as much haze as the estimate allows")),
    (Port("image", IMAGE),),
    "Whole image; works on outdoor haze, not on deliberate soft focus. Negative amounts are refused (to add fog "
    "use FLUX-ENV). " + _HONEST,
    role=BrickRole.EDIT,
    family="restore",
)
BLUR = BrickSpec(
    "BLUR",
    "Blur the image or the masked part (Gaussian), e.g. to blur a face, a licence plate or the background.",
    (Port("image", IMAGE), _amount("0..1; 0.5 = a radius of about 1 % of the long side, 1 = about 4 % (a lens's "
                                   "background blur)"), _region("the blur")),
    (Port("image", IMAGE),),
    "Only what the mask covers is blurred, from its own pixels (no bleeding from outside). Negative amounts are "
    "refused (use SHARPEN). " + _HONEST,
    role=BrickRole.EDIT,
    family="restore",
)
PIXELATE = BrickSpec(
    "PIXELATE",
    "Pixelate (mosaic) the image or the masked part, e.g. to hide a face, a licence plate or a name.",
    (Port("image", IMAGE), _amount("0..1; blocks of 1 % of the long side at a touch, 5 % at 1 (0.5 = 3 %)"),
     _region("the mosaic")),
    (Port("image", IMAGE),),
    "Made to hide: every pixel the mask touches is covered by whole blocks (no soft, half-visible edge). Negative "
    "amounts are refused. " + _HONEST,
    role=BrickRole.EDIT,
    family="restore",
)
UPSCALE = BrickSpec(
    "UPSCALE",
    "Enlarge the image 2x or 4x (more pixels, for printing or a bigger display), keeping edges crisp.",
    (Port("image", IMAGE), Port("scale", FLOAT, doc="2 or 4 (any value above 1 and at most 4)")),
    (Port("image", IMAGE, doc="the enlarged image, scale x the width and height"),),
    "Whole image; alpha is kept. Offline it adds pixels and keeps edges crisp (Lanczos with a mild, "
    "halo-free sharpening) but invents no detail: a blurry or low-res photo stays as soft, only bigger; a "
    "model backend invents detail. Masks made before it no longer fit: upscale as the last step. Refused: a "
    "scale of 1 or less, over 4, or a result over the pixel limit.",
    role=BrickRole.EDIT,
    family="restore",
)
DESCRATCH = BrickSpec(
    "DESCRATCH",
    "Remove dust specks, scratches and hairline cracks from an old or scanned photo, filling them from around.",
    (Port("image", IMAGE),
     _amount("0..1; larger finds wider and fainter defects (0.5: narrower than 9 px on a photo up to 768 px, "
             "in proportion on larger ones)"),
     _region("the search")),
    (Port("image", IMAGE), Port("mask", MASK, optional=True, doc="the defects it found and filled")),
    "Finds thin bright or dark lines and isolated specks that stand out from their surroundings; fine real "
    "detail of the same kind (whiskers, wires, hair) can be taken for damage, so give a mask on a detailed "
    "photo. Refused when it finds nothing, and when more than 8 % of the region looks like defects (texture, "
    "not damage). Tears and large stains need FASTINPAINT with a mask. Negative amounts are refused.",
    role=BrickRole.EDIT,
    family="restore",
)
RED_EYE = BrickSpec(
    "RED-EYE",
    "Remove the red-eye effect of a flash: red pupils become dark again, catchlights kept.",
    (Port("image", IMAGE),
     Port("mask", MASK, optional=True, doc="a selection around the eyes; null = look for a pair of red eyes in "
                                           "the whole image")),
    (Port("image", IMAGE),),
    "Without a mask only a pair of small round red spots side by side counts (a lone red ball is not an eye), "
    "each at least 2 px in radius; with one, any round red spot inside it is fixed. Refused when it finds no "
    "red eyes.",
    role=BrickRole.EDIT,
    family="restore",
)
CROP = BrickSpec(
    "CROP",
    "Crop the image to an aspect ratio: the largest centred crop of that shape.",
    (Port("image", IMAGE), Port("aspect", STR, doc="'W:H' such as '16:9', '1:1', '4:5', '2:1', or 'square'")),
    (Port("image", IMAGE),),
    "The output is smaller, so masks made before it no longer fit: crop as the last step. Always centred (no "
    "subject tracking). Refused when the image already has that aspect.",
    role=BrickRole.EDIT,
    family="geometry",
)
ROTATE = BrickSpec(
    "ROTATE",
    "Rotate the image counter-clockwise by an angle in degrees (negative = clockwise).",
    (Port("image", IMAGE), Port("angle", FLOAT, doc="degrees counter-clockwise, e.g. 90, -90, 180, 5")),
    (Port("image", IMAGE),),
    "90/180/270 are exact; other angles enlarge the canvas to keep the whole image, with transparent corners. "
    "Masks made before it no longer fit: rotate as the last step. 0 (or 360) is refused.",
    role=BrickRole.EDIT,
    family="geometry",
)
FLIP = BrickSpec(
    "FLIP",
    "Mirror the image left-right or flip it upside down.",
    (Port("image", IMAGE), Port("direction", STR, doc="'horizontal' (mirror left-right) or 'vertical' (top-bottom)")),
    (Port("image", IMAGE),),
    "Whole image; the size stays the same.",
    role=BrickRole.EDIT,
    family="geometry",
)
STRAIGHTEN = BrickSpec(
    "STRAIGHTEN",
    "Level a tilted photo (a crooked horizon, leaning walls) by its straight lines, then crop off the empty "
    "corners.",
    (Port("image", IMAGE),
     Port("max_angle", FLOAT, optional=True, doc="the largest tilt in degrees to look for and correct, 1..45; "
                                                  "null = 15")),
    (Port("image", IMAGE, doc="the levelled photo, cropped to the largest rectangle inside it"),),
    "Whole image; the output is smaller (cropped); masks made before it no longer fit: straighten as the last "
    "step. Refuses when it finds no straight lines to level by (e.g. a close-up with no horizon or edges), "
    "when its lines disagree, and when the photo is already level (under 0.3 degrees). Use ROTATE for a "
    "chosen angle.",
    role=BrickRole.EDIT,
    family="geometry",
)
TRIM = BrickSpec(
    "TRIM",
    "Crop away a plain border: white space, a black edge or transparent padding around the picture or logo.",
    (Port("image", IMAGE),
     Port("tolerance", FLOAT, optional=True, doc="0..1, how far a border pixel may differ from the border colour "
                                                  "(0.1 = 25 of 255 levels on any channel); null = 0.1")),
    (Port("image", IMAGE, doc="the picture without its border"),),
    "Whole image; the output is smaller; masks made before it no longer fit: trim as the last step. The border "
    "colour is the one the corners share (or transparency); a plain sky or wall reaching two corners counts as "
    "border too (lower the tolerance). Refuses when there is no plain border (the corners differ, or no edge "
    "row or column is all border) and when the whole image is border (a blank picture).",
    role=BrickRole.EDIT,
    family="geometry",
)
CROP_EDGES = BrickSpec(
    "CROP-EDGES",
    "Cut edges off the image: a share or a number of pixels from the left, right, top and/or bottom.",
    (Port("image", IMAGE),
     *(Port(side, FLOAT, optional=True, doc=f"how much to cut from the {side}: below 1 a share of the image "
                                           f"({'width' if side in ('left', 'right') else 'height'}; 0.1 = 10 %), "
                                           "from 1 pixels; null = none")
       for side in ("left", "right", "top", "bottom"))),
    (Port("image", IMAGE, doc="the image less the cut edges"),),
    "Whole image; the output is smaller; masks made before it no longer fit: crop as the last step. Refused when "
    "no side is cut and when the cuts leave nothing. Use CROP for an aspect ratio, CROP-TO for an object.",
    role=BrickRole.EDIT,
    family="geometry",
)
SCALE = BrickSpec(
    "SCALE",
    "Resize the whole image: to a width and/or height in pixels, or by a factor (0.5 = half the size, 2 = twice).",
    (Port("image", IMAGE),
     Port("width", FLOAT, optional=True, doc="the new width in pixels; alone, the height follows the aspect"),
     Port("height", FLOAT, optional=True, doc="the new height in pixels; alone, the width follows the aspect"),
     Port("factor", FLOAT, optional=True, doc="both sides times this (0..8); instead of a width or height")),
    (Port("image", IMAGE, doc="the image at its new size"),),
    "Whole image; masks made before it no longer fit: scale as the last step. A width and height of another aspect "
    "are filled and the overflow cropped evenly (nothing is stretched). Enlarging adds no detail (UPSCALE keeps "
    "edges crisper for 2x and 4x). Refused without a size, and when the size is the image's own.",
    role=BrickRole.EDIT,
    family="geometry",
)
CROP_TO = BrickSpec(
    "CROP-TO",
    "Crop the image to an object: the bounding box of its mask with some room around it.",
    (Port("image", IMAGE), Port("mask", MASK, doc="the object to crop to (from RES or SOS, or the selection)"),
     Port("margin", FLOAT, optional=True, doc="room kept on each side, as a share of the object's larger side, "
                                               "0..2; null = 0.1")),
    (Port("image", IMAGE, doc="the window around the object"),),
    "The output is smaller; masks made before it no longer fit: crop as the last step. The window is clipped to "
    "the image, so an object at an edge keeps less room on that side. Refused when the mask is empty and when "
    "the object with its margin fills the whole image.",
    role=BrickRole.EDIT,
    family="geometry",
)
GROW_MASK = BrickSpec(
    "GROW-MASK",
    "Grow (dilate) or shrink (erode) a mask by a distance.",
    (Port("mask", MASK, doc="the mask to grow or shrink (soft edges kept)"), Port("pixels", FLOAT, doc="pixels to grow (+) or shrink (-); if |pixels| < 1, a fraction "
                                                     "of the image's long side (0.02 = 2 %)")),
    (Port("mask", MASK),),
    "Use to include an object's shadow or outline, or to keep an edit away from an edge. 0 is refused.",
    role=BrickRole.MASK,
)

ALL = (RES, SOS, MASK_SEG, ADD_PRED, CMI_PRED, BBOX, INVERSE, COMPOSE, RESIZE, FASTINPAINT, FLUX_INPAINT,
       FLUX_FILL, FLUX_RCM, FLUX_CBG, FLUX_STYLE, FLUX_ENV, FLUX_POSE, FLUX_BRIGHT, EDIT,
       CONTRAST, SATURATION, TEMPERATURE, TINT, WHITE_BALANCE, EXPOSURE, SHADOWS_HIGHLIGHTS, VIGNETTE, AUTO_LEVELS,
       SHARPEN, SMOOTH, DENOISE, DEHAZE, BLUR, PIXELATE, UPSCALE, DESCRATCH, RED_EYE, CROP, ROTATE, FLIP, STRAIGHTEN, TRIM,
       CROP_EDGES, CROP_TO, SCALE, GROW_MASK)

BY_NAME: Mapping[str, BrickSpec] = MappingProxyType({spec.name: spec for spec in ALL})
