"""Classical colour edits: FLUX-BRIGHT (the reference's brightness factor), FLUX-RCM (LAB recolour), FLUX-CBG (colour / blur /
gradient / transparent background), FLUX-ENV (colour grading).

These change colours only; they cannot paint new content. A prompt asking for more than a named
colour (a material, a new scene, snow falling) is refused with the model that does it, rather
than answered with a colour that was not asked for.
"""

from __future__ import annotations

from collections.abc import Set

import cv2
import numpy as np

from lego_edit.bricks import imageops
from lego_edit.bricks.builtin import _cv, vocab
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import blend, split_alpha, with_alpha

_LIGHTER, _DARKER = vocab.LIGHTER, vocab.DARKER
_MODIFIERS = _LIGHTER | _DARKER | {"bright", "brighter", "vivid", "muted"}
_FILLER = set("""a an the to into in of it its and shade tone hue color colour colored coloured solid make change
turn paint painted more some slightly bit with plain simple""".split())


def _lab(rgb: tuple[int, int, int] | np.ndarray) -> np.ndarray:
    pixel = np.asarray(rgb, np.float32).reshape(1, 1, 3) / 255.0
    return cv2.cvtColor(pixel, cv2.COLOR_RGB2LAB).reshape(3)


def _match_colour(tokens: list[str], i: int) -> tuple[str, int] | None:
    """The longest colour name starting at token i, and how many tokens it spans."""
    for n in (2, 1):
        phrase = " ".join(tokens[i:i + n])
        name = vocab.canonical(phrase) if len(tokens[i:i + n]) == n else None
        if name is not None:
            return name, n
    return None


def find_colours(text: str, allowed: Set[str] = frozenset()) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """Colours named in `text` (with their RGB after light/dark modifiers) and the words not understood."""
    tokens = _cv.words(text)
    found: list[tuple[str, np.ndarray]] = []
    unknown: list[str] = []
    modifier: str | None = None
    i = 0
    while i < len(tokens):
        match = _match_colour(tokens, i)
        if match:
            name, n = match
            rgb = np.asarray(vocab.RGB[name], np.float32)
            if modifier in _LIGHTER:
                rgb = rgb + (255 - rgb) * 0.45
            elif modifier in _DARKER:
                rgb = rgb * 0.6
            found.append(((f"{modifier} " if modifier else "") + name, rgb))
            modifier, i = None, i + n
            continue
        if tokens[i] in _MODIFIERS:
            modifier = tokens[i]
        elif tokens[i] not in _FILLER and tokens[i] not in allowed:
            unknown.append(tokens[i])
        i += 1
    return found, unknown


# --- FLUX-BRIGHT --------------------------------------------------------------------------------


def brightness(ctx: BrickContext, image: np.ndarray, ratio: float) -> dict:
    """As the reference: the ratio is clamped to 0..1 (the released Builder writes 1.5 for "much
    brighter", the same as 1.0) and the RGB is scaled by 2 x ratio (Pillow's ImageEnhance.Brightness):
    0.5 is the identity, 1.0 doubles it, 0 is black. Alpha is kept."""
    from PIL import Image, ImageEnhance

    try:
        value = float(ratio)
    except (TypeError, ValueError):
        raise BrickError(f"FLUX-BRIGHT ratio must be a number (0.5 = unchanged), got {ratio!r}") from None
    if not np.isfinite(value) or value < 0:
        raise BrickError(f"FLUX-BRIGHT ratio must be 0 or more (0.5 = unchanged, above 1 counts as 1), got {ratio}")
    value = min(1.0, value)
    if value == 0.5:
        raise BrickError("FLUX-BRIGHT: nothing to change: ratio 0.5 leaves the brightness as it is "
                         "(use more than 0.5 to brighten, less to darken)")
    rgb, alpha = split_alpha(image)
    enhanced = ImageEnhance.Brightness(Image.fromarray(np.ascontiguousarray(rgb))).enhance(2.0 * value)
    out = with_alpha(np.asarray(enhanced), alpha)
    _cv.verify_edit("FLUX-BRIGHT", image, out, what=f"ratio {value:g}", fix="move the ratio further from 0.5")
    return {"image": out}


# --- FLUX-RCM -----------------------------------------------------------------------------------


def _recolour(rgb: np.ndarray, weight: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Give the object the target's hue and chroma; keep its lightness structure, shifted toward the target's."""
    lab = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    lightness = lab[..., 0]
    inside = weight >= 128
    mean_l = float(lightness[inside].mean()) if inside.any() else float(lightness.mean())
    t_l, t_a, t_b = _lab(target)
    neutral = np.hypot(t_a, t_b) < 8
    centre = mean_l + 0.7 * (t_l - mean_l)
    contrast = 0.6 if neutral else 1.0  # black/white: squeeze the shading so it stays inside 0..100
    new_l = np.clip(centre + contrast * (lightness - mean_l), 0, 100)
    # Shadows and highlights carry less chroma, as they do on a real painted surface.
    chroma = np.clip(np.minimum(new_l / max(centre, 1.0), (100 - new_l) / max(100 - centre, 1.0)), 0.35, 1.0)
    out = np.dstack([new_l, t_a * chroma, t_b * chroma]).astype(np.float32)
    return np.clip(np.rint(cv2.cvtColor(out, cv2.COLOR_LAB2RGB) * 255), 0, 255).astype(np.uint8)


def recolour(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    """No mask: the whole image, as the reference falls back to."""
    if mask is None:
        mask = np.full(image.shape[:2], 255, np.uint8)
    _cv.check_mask(image, mask, "FLUX-RCM")
    colours, unknown = find_colours(prompt)
    if unknown or len(colours) != 1:
        raise BrickError(f"FLUX-RCM offline changes colours only, one named colour at a time; '{prompt}' needs "
                         "the FLUX.1-Fill RCM model (run `lego-edit models pull lego-loras`)")
    x0, y0, x1, y1 = imageops.nonempty_bbox(mask)
    crop, weight = np.ascontiguousarray(image[y0:y1, x0:x1, :3]), mask[y0:y1, x0:x1]
    out = image.copy()
    out[y0:y1, x0:x1, :3] = blend(crop, _recolour(crop, weight, colours[0][1]), weight)
    _cv.verify_edit("FLUX-RCM", image, out, mask, what=f"recolouring to {colours[0][0]}",
                    fix="the masked object may already be that colour")
    return {"image": out}


# --- FLUX-CBG -----------------------------------------------------------------------------------

_CBG_WORDS = set("""background backdrop plain solid simple studio clean uniform gradient from to horizontal vertical
left right top bottom blur blurred blurry bokeh effect out focus transparent remove removed none no smooth
replace depth field shallow strong strongly heavily""".split())


def _gradient(shape: tuple[int, ...], start: np.ndarray, end: np.ndarray, horizontal: bool) -> np.ndarray:
    h, w = shape[:2]
    t = np.linspace(0.0, 1.0, w if horizontal else h, dtype=np.float32)
    line = start[None, :] * (1 - t[:, None]) + end[None, :] * t[:, None]
    grid = np.broadcast_to(line[None, :, :], (h, w, 3)) if horizontal else np.broadcast_to(line[:, None, :], (h, w, 3))
    return np.clip(np.rint(grid), 0, 255).astype(np.uint8)


def _blur_background(rgb: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Gaussian blur of the background alone (normalized convolution), so the subject does not bleed into it."""
    sigma = max(1.0, 0.02 * max(rgb.shape[:2]))
    scale = min(1.0, 4.0 / sigma)
    small = _cv.resize_to(rgb, scale).astype(np.float32)
    w = _cv.resize_to(weight, scale).astype(np.float32) / 255.0
    s = sigma * scale
    num = cv2.GaussianBlur(small * w[..., None], (0, 0), s)
    den = cv2.GaussianBlur(w, (0, 0), s)[..., None]
    blurred = np.where(den > 1e-3, num / np.maximum(den, 1e-3), cv2.GaussianBlur(small, (0, 0), s))
    blurred = cv2.resize(blurred, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.rint(blurred), 0, 255).astype(np.uint8)


def change_background(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, prompt: str) -> dict:
    """A named colour, a blur, a two-colour gradient, or transparency; the mask is the background."""
    _cv.check_mask(image, mask, "FLUX-CBG")
    tokens = set(_cv.words(prompt))
    colours, unknown = find_colours(prompt, _CBG_WORDS)
    if unknown:
        raise BrickError(f"a background of '{prompt}' needs the FLUX.1-Fill model (run `lego-edit models pull "
                         "flux-fill`); offline: a colour, 'blurred', '<colour> to <colour> gradient' or 'transparent'")
    rgb, alpha = split_alpha(image)
    if tokens & {"transparent", "remove", "removed", "none", "no"} and not colours:
        keep = 255 - mask.astype(np.uint16)
        out = with_alpha(rgb, ((alpha.astype(np.uint16) * keep + 127) // 255).astype(np.uint8))
        _cv.verify_edit("FLUX-CBG", image, out, mask, what="making the background transparent")
        return {"image": out}
    if "gradient" in tokens and len(colours) == 2:
        horizontal = "horizontal" in tokens or "left" in tokens or "right" in tokens
        new = _gradient(rgb.shape, colours[0][1], colours[1][1], horizontal)
    elif tokens & {"blur", "blurred", "blurry", "bokeh", "focus"} and not colours:
        ctx.progress(0.3, "blurring the background")
        new = _blur_background(rgb, mask)
    elif len(colours) == 1 and "gradient" not in tokens:
        new = np.empty_like(rgb)
        new[...] = np.clip(np.rint(colours[0][1]), 0, 255).astype(np.uint8)
    else:
        raise BrickError(f"FLUX-CBG offline cannot tell what background '{prompt}' means: give one colour, "
                         "'blurred', '<colour> to <colour> gradient' or 'transparent'")
    out = with_alpha(blend(rgb, new, mask), alpha)
    _cv.verify_edit("FLUX-CBG", image, out, mask, what=f"a background of '{prompt}'",
                    fix="the background may already look like that")
    return {"image": out}


# --- FLUX-ENV -----------------------------------------------------------------------------------


def _luma(rgb: np.ndarray) -> np.ndarray:
    return (rgb @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]


def _fog(rgb: np.ndarray) -> np.ndarray:
    h = rgb.shape[0]
    soft = cv2.GaussianBlur(rgb, (0, 0), max(1.0, 0.0015 * max(rgb.shape[:2])))
    depth = (0.55 - 0.25 * np.linspace(0, 1, h, dtype=np.float32))[:, None, None]  # thicker towards the top
    return soft * (1 - depth) + np.array([0.80, 0.82, 0.84], np.float32) * depth


def _sunset(rgb: np.ndarray) -> np.ndarray:
    h = rgb.shape[0]
    warm = rgb * np.array([1.10, 0.86, 0.60], np.float32) * 0.92
    glow = (0.35 - 0.25 * np.linspace(0, 1, h, dtype=np.float32))[:, None, None]
    return warm * (1 - glow) + np.array([1.0, 0.55, 0.2], np.float32) * glow * (0.4 + 0.6 * _luma(rgb))


def _night(rgb: np.ndarray) -> np.ndarray:
    dark = np.power(rgb, 1.6) * 0.45
    return (dark + (_luma(dark) - dark) * 0.6) * np.array([0.75, 0.88, 1.2], np.float32)


def _warm(rgb: np.ndarray) -> np.ndarray:
    return rgb * np.array([1.12, 1.0, 0.78], np.float32) + np.array([0.04, 0.015, 0.0], np.float32)


def _cool(rgb: np.ndarray) -> np.ndarray:
    return rgb * np.array([0.80, 0.96, 1.12], np.float32) + np.array([0.0, 0.01, 0.04], np.float32)


# In the order they are applied: the air first, then the light. Grading cannot draw snow, leaves or
# rain (a cool tint is not winter, an orange shift is not autumn): those words need the model.
_GRADES = (
    ("fog", {"fog", "foggy", "mist", "misty", "haze", "hazy"}, _fog),
    ("sunset", {"sunset", "sunrise", "dusk", "dawn", "golden", "evening"}, _sunset),
    ("night", {"night", "nighttime", "midnight", "nocturnal"}, _night),
    ("warm", {"warm", "warmer", "warmth"}, _warm),
    ("cool", {"cool", "cooler", "cold", "colder", "chilly"}, _cool),
)
_NEEDS_CONTENT = {"autumn", "autumnal", "fall", "leaves", "foliage", "winter", "wintry", "snow", "snowy", "snowing",
                  "snowfall", "frost", "frosty", "icy", "ice", "rain", "rainy", "raining", "rainfall", "storm",
                  "stormy", "thunderstorm", "lightning", "spring", "summer", "blossom", "flowers", "puddles",
                  "clouds", "cloudy", "overcast", "sunny", "sunshine", "rainbow"}
OFFLINE_ENV = "sunset, night, fog, warm and cool light"


def environment(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    """Colour grading chosen by keywords; several may combine ('a foggy winter night')."""
    tokens = set(_cv.words(prompt))
    chosen = [(name, fn) for name, keys, fn in _GRADES if tokens & keys]
    content = sorted(tokens & _NEEDS_CONTENT)
    if content or not chosen:
        what = f" ({', '.join(content)} must be painted, not graded)" if content else ""
        raise BrickError(f"'{prompt}' needs the FLUX.1-Fill environment model{what} (run `lego-edit models pull "
                         f"lego-loras`); offline FLUX-ENV grades colours only: {OFFLINE_ENV}")
    rgb, alpha = split_alpha(image)
    out = rgb.astype(np.float32) / 255.0
    for i, (name, fn) in enumerate(chosen):
        ctx.raise_if_cancelled()
        ctx.progress(i / len(chosen), f"grading: {name}")
        out = np.clip(fn(out), 0, 1)
    result = with_alpha(np.rint(out * 255).astype(np.uint8), alpha)
    _cv.verify_edit("FLUX-ENV", image, result, what=f"the {' + '.join(n for n, _ in chosen)} grade")
    return {"image": result}
