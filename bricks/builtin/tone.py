"""Classical tone and colour adjustments: CONTRAST, SATURATION, TEMPERATURE, TINT, WHITE-BALANCE, EXPOSURE,
SHADOWS-HIGHLIGHTS, VIGNETTE, AUTO-LEVELS.

Global pixel maps in CIELAB or linear light; they never paint new content. `amount` follows the
shared convention (bricks/builtin/_adjust.py): [-1, 1], 0 = unchanged (refused as "nothing to
change"), clamped outside.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks.builtin import _adjust, vocab
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import split_alpha

# --- CONTRAST -----------------------------------------------------------------------------------


def contrast(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """CIELAB lightness spread about its (masked) mean multiplied by 1 + amount: -1 = one flat lightness,
    +1 = twice the spread (clipped to 0..100); a* and b* are kept."""
    k = _adjust.amount(amount, "CONTRAST")
    _adjust.check_region(image, mask, "CONTRAST")
    rgb, _ = split_alpha(image)
    lab = _adjust.lab(rgb)
    w = _adjust.weights(image, mask)
    total = float(w.sum())
    lightness = lab[..., 0]
    mean = float((lightness * w).sum() / total) if total > 0 else float(lightness.mean())
    lab[..., 0] = np.clip(mean + (1.0 + k) * (lightness - mean), 0.0, 100.0)
    return _adjust.finish("CONTRAST", image, _adjust.rgb_of(lab), mask, "this contrast change")


# --- SATURATION ---------------------------------------------------------------------------------


def saturation(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """CIELAB chroma scaled. Lowering scales every pixel by 1 + amount (-1 = exactly grey, R = G = B).
    Raising is vibrance-like: a pixel's chroma grows by up to 1 + amount, most for dull pixels
    (chroma 0) and a third of that for already vivid ones (chroma >= 80)."""
    k = _adjust.amount(amount, "SATURATION")
    _adjust.check_region(image, mask, "SATURATION")
    rgb, _ = split_alpha(image)
    lab = _adjust.lab(rgb)
    if k <= -1.0:
        out = lab.copy()
        out[..., 1:] = 0.0
        grey = _adjust.rgb_of(out).mean(axis=2, keepdims=True)  # exact neutrals: one value per pixel
        return _adjust.finish("SATURATION", image, np.repeat(grey, 3, axis=2), mask, "desaturating")
    if k < 0:
        factor = np.float32(1.0 + k)
    else:
        chroma = np.hypot(lab[..., 1], lab[..., 2])
        dull = 1.0 - (2.0 / 3.0) * np.clip(chroma / 80.0, 0.0, 1.0)
        factor = (1.0 + k * dull)[..., None]
    lab[..., 1:] = lab[..., 1:] * factor
    return _adjust.finish("SATURATION", image, _adjust.rgb_of(lab), mask, "this saturation change")


# --- TEMPERATURE --------------------------------------------------------------------------------


def temperature(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """White balance shift along the blue-yellow axis: CIELAB b* + 25 x amount and a* + 4 x amount
    (+ warmer / amber, - cooler / blue); lightness kept."""
    k = _adjust.amount(amount, "TEMPERATURE")
    _adjust.check_region(image, mask, "TEMPERATURE")
    rgb, _ = split_alpha(image)
    lab = _adjust.lab(rgb)
    lab[..., 2] += 25.0 * k
    lab[..., 1] += 4.0 * k
    return _adjust.finish("TEMPERATURE", image, _adjust.rgb_of(lab), mask, "this temperature shift")


# --- TINT ---------------------------------------------------------------------------------------

_LUMINANCE = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 weights of linear R, G, B
_NEUTRAL_CHROMA = 12.0  # CIELAB chroma under which a colour is a grey: a filter of it would tint nothing


def tint(ctx: BrickContext, image: np.ndarray, color: str, amount: float, mask: np.ndarray | None = None) -> dict:
    """A colour filter, as a photo filter over the lens (Photoshop's Photo Filter, luminosity preserved): linear
    light multiplied by the filter colour (scaled to unit luminance) mixed in by the amount, then the original
    CIELAB lightness put back, so only the colour moves toward the filter's hue."""
    name = vocab.canonical(str(color).strip().lower())
    if name is None:
        known = ", ".join(sorted(n for n in vocab.RGB if " " not in n))
        raise BrickError(f"TINT: {color!r} is not a colour it knows: use one of {known}")
    k = _adjust.amount(amount, "TINT", low=0.0, low_hint="for the opposite cast use the opposite colour")
    _adjust.check_region(image, mask, "TINT")
    filter_linear = _adjust.to_linear(np.array(vocab.RGB[name], np.float32) / 255.0)
    filter_lab = cv2.cvtColor(np.array(vocab.RGB[name], np.float32)[None, None] / 255.0, cv2.COLOR_RGB2LAB)[0, 0]
    if float(np.hypot(filter_lab[1], filter_lab[2])) < _NEUTRAL_CHROMA:
        raise BrickError(f"TINT: {name} is a neutral colour and tints nothing: for black and white use "
                         "SATURATION with amount -1")
    gains = filter_linear / max(float((filter_linear * _LUMINANCE).sum()), 1e-6)
    rgb, _ = split_alpha(image)
    original = _adjust.lab(rgb)
    linear = _adjust.to_linear(_adjust.to_float(rgb)) * (1.0 - k + k * gains)
    filtered = cv2.cvtColor(_adjust.to_srgb(linear), cv2.COLOR_RGB2LAB)
    filtered[..., 0] = original[..., 0]
    return _adjust.finish("TINT", image, _adjust.rgb_of(filtered), mask, f"this {name} tint")


# --- WHITE-BALANCE ------------------------------------------------------------------------------

NEUTRAL_TOLERANCE = 0.01  # channel gains all within 1 %: the image is already neutral


def white_balance(ctx: BrickContext, image: np.ndarray) -> dict:
    """Automatic neutral balance in linear light: per-channel gains from the grey-world means of the
    mid-tones (ignoring near-black and clipped pixels, and transparent ones), blended 3:1 with the
    white-patch gains (the brightest 1 %), normalised so luminance is kept."""
    rgb, alpha = split_alpha(image)
    linear = _adjust.to_linear(_adjust.to_float(rgb))
    visible = alpha > 0
    peak = rgb.max(axis=2)
    usable = visible & (peak < 250) & (peak > 10)
    if usable.sum() < 64:
        raise BrickError("WHITE-BALANCE: too few usable pixels (the image is almost all black, clipped or "
                         "transparent) to estimate a colour cast")
    pixels = linear[usable]
    grey_world = pixels.mean(axis=0)
    bright = pixels.sum(axis=1)
    top = pixels[bright >= np.percentile(bright, 99)]
    white_patch = top.mean(axis=0)
    gains = 0.75 * (grey_world.mean() / np.maximum(grey_world, 1e-6)) \
        + 0.25 * (white_patch.mean() / np.maximum(white_patch, 1e-6))
    luminance = np.array([0.2126, 0.7152, 0.0722], np.float32)
    gains = gains / float((gains * luminance * grey_world).sum() / (luminance * grey_world).sum())
    if np.all(np.abs(gains - 1.0) < NEUTRAL_TOLERANCE):
        raise _adjust.unchanged("WHITE-BALANCE", "the image is already neutral (no colour cast above 1 %)")
    out = _adjust.to_srgb(linear * gains.astype(np.float32))
    return _adjust.finish("WHITE-BALANCE", image, out, None, "the white balance")


# --- EXPOSURE -----------------------------------------------------------------------------------


def exposure(ctx: BrickContext, image: np.ndarray, amount: float) -> dict:
    """Exposure in stops (amount x 2: 1 = +2 stops, -1 = -2 stops), in linear light. Brightening uses
    extended Reinhard with the white point at the gain, y = (g x + x^2) / (1 + g x): shadows gain
    about g, white stays white, highlights roll off with no clipping jump. Darkening scales linearly."""
    k = _adjust.amount(amount, "EXPOSURE")
    gain = float(2.0 ** (2.0 * k))
    rgb, _ = split_alpha(image)
    linear = _adjust.to_linear(_adjust.to_float(rgb))
    if gain > 1.0:
        out = (gain * linear + linear * linear) / (1.0 + gain * linear)
    else:
        out = linear * gain
    return _adjust.finish("EXPOSURE", image, _adjust.to_srgb(out), None, "this exposure change")


# --- SHADOWS-HIGHLIGHTS -------------------------------------------------------------------------


def shadows_highlights(ctx: BrickContext, image: np.ndarray, shadows: float, highlights: float) -> dict:
    """Local tone mapping on CIELAB lightness. An edge-preserving smooth base (guided filter, ~2 % of
    the long side) says where the shadows (base below ~0.6) and the highlights (above ~0.4) are;
    shadows > 0 lift them toward white (up to 45 % of their headroom), < 0 deepen them; highlights
    < 0 recover (pull down up to 45 %), > 0 boost. Local contrast is kept."""
    pairs = []
    for name, value in (("shadows", shadows), ("highlights", highlights)):
        try:
            pairs.append(_adjust.amount(value, "SHADOWS-HIGHLIGHTS", name))
        except BrickError as exc:
            if "nothing to change" not in str(exc):
                raise
            pairs.append(0.0)
    s, h = pairs
    if s == 0.0 and h == 0.0:
        raise _adjust.unchanged("SHADOWS-HIGHLIGHTS", "shadows and highlights are both 0")
    rgb, _ = split_alpha(image)
    lab = _adjust.lab(rgb)
    lightness = lab[..., 0] / 100.0
    ctx.progress(0.2, "finding shadows and highlights")
    radius = max(2, round(0.02 * max(image.shape[:2])))
    base = np.clip(_adjust.edge_preserving_smooth(lightness.astype(np.float32), radius), 0.0, 1.0)
    ctx.raise_if_cancelled()
    in_shadow = 1.0 - _adjust.smoothstep(0.0, 0.6, base)
    in_light = _adjust.smoothstep(0.4, 1.0, base)
    out = lightness.copy()
    if s > 0:
        out = out + 0.45 * s * in_shadow * (1.0 - out)
    elif s < 0:
        out = out + 0.45 * s * in_shadow * out
    if h > 0:
        out = out + 0.45 * h * in_light * (1.0 - out)
    elif h < 0:
        out = out + 0.45 * h * in_light * out
    lab[..., 0] = np.clip(out, 0.0, 1.0) * 100.0
    ctx.progress(0.8, "applying")
    return _adjust.finish("SHADOWS-HIGHLIGHTS", image, _adjust.rgb_of(lab), None, "this shadows/highlights change")


# --- VIGNETTE -----------------------------------------------------------------------------------


def vignette(ctx: BrickContext, image: np.ndarray, amount: float) -> dict:
    """Radial falloff on an ellipse fitted to the frame (0 at the centre, 1 in the corners): nothing
    changes inside 35 % of the way out, then a smooth ramp. amount > 0 darkens the corners (by up to
    60 % at 1), < 0 lightens them toward white (up to 60 %)."""
    k = _adjust.amount(amount, "VIGNETTE")
    h, w = image.shape[:2]
    ys = (np.arange(h, dtype=np.float32) - (h - 1) / 2.0) / max((h - 1) / 2.0, 0.5)
    xs = (np.arange(w, dtype=np.float32) - (w - 1) / 2.0) / max((w - 1) / 2.0, 0.5)
    radius = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2) / np.sqrt(2.0)
    weight = (_adjust.smoothstep(0.35, 1.0, radius) * 0.6 * abs(k))[..., None]
    rgb = _adjust.to_float(split_alpha(image)[0])
    out = rgb * (1.0 - weight) if k > 0 else rgb + (1.0 - rgb) * weight
    return _adjust.finish("VIGNETTE", image, out, None, "this vignette")



# --- AUTO-LEVELS --------------------------------------------------------------------------------

LEVELS_CLIP = 0.5  # percent of the visible pixels let clip at each end, so a few specks do not set black and white
LEVELS_FULL = 1.0  # CIELAB L: ends this close to 0 and 100 already span black to white
LEVEL_MODES = ("stretch", "equalize")


def auto_levels(ctx: BrickContext, image: np.ndarray, mode: str | None = None) -> dict:
    """'stretch' (the default, as Auto Levels / Stretch Contrast): CIELAB lightness mapped linearly so the
    darkest 0.5 % of the visible pixels reach black and the brightest 0.5 % white, a* and b* kept (hues stay).
    'equalize': lightness equalised by tiles with a clip limit (CLAHE), so flat, murky areas gain local contrast
    without the blotches a global histogram equalisation makes."""
    key = "stretch" if mode is None or not str(mode).strip() else str(mode).strip().lower().replace("equalise", "equalize")
    if key not in LEVEL_MODES:
        raise BrickError(f"AUTO-LEVELS: unknown mode {mode!r}; accepted: 'stretch' (black and white points) or "
                         "'equalize' (local contrast)")
    rgb, alpha = split_alpha(image)
    visible = alpha > 0
    if visible.sum() < 64:
        raise BrickError("AUTO-LEVELS: too few visible pixels to read the tones from")
    lab = _adjust.lab(rgb)
    lightness = lab[..., 0]
    low, high = (float(v) for v in np.percentile(lightness[visible], (LEVELS_CLIP, 100.0 - LEVELS_CLIP)))
    if high - low < 2.0:
        raise BrickError("AUTO-LEVELS: the image is one flat tone; there is no range to stretch")
    if key == "stretch":
        if low <= LEVELS_FULL and high >= 100.0 - LEVELS_FULL:
            raise _adjust.unchanged("AUTO-LEVELS", f"the tones already run from black to white (L {low:.0f} to "
                                    f"{high:.0f}); for more punch use CONTRAST")
        lab[..., 0] = np.clip((lightness - low) * (100.0 / (high - low)), 0.0, 100.0)
    else:
        tiles = max(2, min(8, min(image.shape[:2]) // 64))
        clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(tiles, tiles))
        levels = np.clip(np.rint(lightness * 2.55), 0, 255).astype(np.uint8)
        lab[..., 0] = clahe.apply(levels).astype(np.float32) / 2.55
    return _adjust.finish("AUTO-LEVELS", image, _adjust.rgb_of(lab), None, f"auto levels ({key})")
