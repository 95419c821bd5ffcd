"""FLUX-STYLE offline: OpenCV filters for the styles a filter can honestly produce.

Pencil sketch, colour pencil, watercolour (edge-preserving stylization), cartoon, oil painting,
black and white, sepia / vintage. The edge-preserving filters run at a long side of 720 px and the
result is scaled back, which keeps them under a second and their look independent of image size.
Any other style (ukiyo-e, mosaic, steampunk ...) needs the style model and is refused.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks import imageops
from lego_edit.bricks.builtin import _cv
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import blend, split_alpha, with_alpha

FILTER_SIDE = 720
SUPPORTED = "pencil sketch, colour pencil, watercolour, cartoon, oil painting, black and white, sepia / vintage"


def _pencil(rgb: np.ndarray) -> np.ndarray:
    gray, _ = cv2.pencilSketch(rgb, sigma_s=50, sigma_r=0.07, shade_factor=0.05)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


def _colour_pencil(rgb: np.ndarray) -> np.ndarray:
    return cv2.pencilSketch(rgb, sigma_s=50, sigma_r=0.07, shade_factor=0.05)[1]


def _watercolour(rgb: np.ndarray) -> np.ndarray:
    return cv2.stylization(rgb, sigma_s=50, sigma_r=0.45)


def _cartoon(rgb: np.ndarray) -> np.ndarray:
    smooth = rgb
    for _ in range(3):
        smooth = cv2.bilateralFilter(smooth, 9, 40, 7)
    flat = (smooth // 32) * 32 + 16  # a few flat tones per channel
    gray = cv2.medianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), 7)
    edges = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 7)
    return cv2.bitwise_and(flat, cv2.cvtColor(edges, cv2.COLOR_GRAY2RGB))


def _oil(rgb: np.ndarray) -> np.ndarray:
    return cv2.xphoto.oilPainting(rgb, 5, 1, cv2.COLOR_RGB2GRAY)


def _black_and_white(rgb: np.ndarray, strong: bool) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if strong:  # 'high-contrast', 'film noir'
        gray = cv2.createCLAHE(clipLimit=2.5, tileGridSize=(8, 8)).apply(gray)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)


def _sepia(rgb: np.ndarray, vintage: bool) -> np.ndarray:
    matrix = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)
    out = cv2.transform(rgb, matrix)  # saturates at 255
    if vintage:  # faded blacks and a vignette
        h, w = rgb.shape[:2]
        xs = ((np.arange(w, dtype=np.float32) - w / 2) / (w / 2)) ** 2
        ys = ((np.arange(h, dtype=np.float32) - h / 2) / (h / 2)) ** 2
        shade = 1 - 0.35 * np.clip((ys[:, None] + xs[None, :]) / 2, 0, 1)
        out = np.clip(np.rint((out.astype(np.float32) * 0.85 + 25) * shade[..., None]), 0, 255).astype(np.uint8)
    return out


def _choose(text: str):
    """(name, function, needs downscaling) for the style `text` names, or None."""
    tokens = _cv.words(text)
    t = set(tokens)
    pencil = t & {"pencil", "pencils", "sketch", "sketched", "sketching", "charcoal", "graphite"}
    if t & {"crayon", "crayons"} or (pencil and t & {"colour", "color", "colored", "coloured", "colourful", "colorful"}):
        return "colour pencil", _colour_pencil, True
    if pencil:
        return "pencil sketch", _pencil, True
    if t & {"watercolor", "watercolour", "watercolors", "watercolours", "aquarelle"} or _cv.has_phrase(tokens, "water colour"):
        return "watercolour", _watercolour, True
    if t & {"cartoon", "cartoonish", "comic", "comics", "anime", "manga", "cel", "toon"}:
        return "cartoon", _cartoon, True
    if t & {"oil", "impasto"}:
        return "oil painting", _oil, True
    if (_cv.has_phrase(tokens, "black and white") or _cv.has_phrase(tokens, "b w")
            or t & {"grayscale", "greyscale", "monochrome", "monochromatic", "noir"}):
        strong = bool(t & {"contrast", "noir", "dramatic"})
        return "black and white", lambda rgb: _black_and_white(rgb, strong), False
    if t & {"sepia", "vintage", "retro", "antique", "sepiatone"} or _cv.has_phrase(tokens, "old photo"):
        vintage = bool(t & {"vintage", "retro", "antique", "old"})
        return "sepia", lambda rgb: _sepia(rgb, vintage), False
    return None


# Words a style description may hold besides the style itself ('a watercolor painting style'); any other
# word ('flag' in 'flag black and white') names something the filter would not confine itself to.
_STYLE_WORDS = frozenset("""
    pencil pencils sketch sketched sketching charcoal graphite crayon crayons colour color colored coloured colourful
    colorful watercolor watercolour watercolors watercolours aquarelle water cartoon cartoonish comic comics anime manga
    cel toon oil impasto black and white b w grayscale greyscale monochrome monochromatic noir contrast dramatic high
    sepia vintage retro antique sepiatone old photo photograph photography picture image film classic
    style styled stylized stylised look looking like a an the in of as into to with painting paint painted painterly
    drawing drawn draw art artwork artistic effect filter filtered tone toned toning version render rendered rendering
    make made turn convert it this that whole entire please
""".split())


def stylize(ctx: BrickContext, image: np.ndarray, prompt: str, style: str, mask: np.ndarray | None = None) -> dict:
    # `prompt` is the caption of the image; only when no style is given is it searched for one.
    chosen = _choose(style) if (style or "").strip() else _choose(prompt)
    if chosen is None:
        raise BrickError(f"the style '{style or prompt}' needs the FLUX.1-Fill style model (run `lego-edit models "
                         f"pull lego-loras`); offline styles: {SUPPORTED}")
    extra = [w for w in _cv.words(style) if w not in _STYLE_WORDS]
    if extra and mask is None:
        raise BrickError(f"the style '{style}' names '{' '.join(extra)}', which a whole-image filter cannot keep "
                         "itself to: select that part in Krita or GIMP (the selection becomes the mask), or pull "
                         "the segmentation model (`lego-edit models pull grounded-sam`)")
    name, fn, slow = chosen
    if mask is not None:
        _cv.check_mask(image, mask, "FLUX-STYLE")
        margin = max(16, round(0.05 * max(image.shape[:2])))
        x0, y0, x1, y1 = imageops.nonempty_bbox(mask, margin)
    else:
        y0, y1, x0, x1 = 0, image.shape[0], 0, image.shape[1]
    rgb, alpha = split_alpha(image)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    ctx.progress(0.1, f"rendering: {name}")
    ctx.raise_if_cancelled()
    if slow:
        styled = fn(_cv.resize_to(crop, _cv.scale_for(crop.shape, FILTER_SIDE)))
        if styled.shape[:2] != crop.shape[:2]:
            styled = cv2.resize(styled, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_CUBIC)
    else:
        styled = fn(crop)
    ctx.raise_if_cancelled()
    out = rgb  # split_alpha gave a copy
    out[y0:y1, x0:x1] = styled if mask is None else blend(crop, styled, mask[y0:y1, x0:x1])
    result = with_alpha(out, alpha)
    _cv.verify_edit("FLUX-STYLE", image, result, mask, what=f"the {name} style",
                    fix="the image may already look like that")
    ctx.progress(1.0, "done")
    return {"image": result}
