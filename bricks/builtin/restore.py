"""Classical restoration filters: SHARPEN (unsharp mask), DENOISE (non-local means), DEHAZE (dark-channel
prior), BLUR (Gaussian), UPSCALE (anti-ringing Lanczos).

Filters only: they recover or soften what is in the pixels and cannot invent detail (UPSCALE adds pixels,
not detail: that takes a model backend). `amount`
follows the shared convention (bricks/builtin/_adjust.py); DENOISE, DEHAZE and BLUR go one way only
(0..1) and say which brick does the opposite.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from lego_edit.bricks.builtin import _adjust, _cv
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import split_alpha

# --- SHARPEN ------------------------------------------------------------------------------------


def sharpen_sigma(shape: tuple[int, ...]) -> float:
    """The unsharp mask's radius: 1 px up to ~1000 px, then growing with the long side."""
    return max(1.0, max(shape[:2]) / 1000.0)


def sharpen(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """Unsharp mask on CIELAB lightness (no colour fringes): L + 1.5 x amount x (L - Gaussian(L)); a
    negative amount softens toward the Gaussian (-1 = the Gaussian itself)."""
    k = _adjust.amount(amount, "SHARPEN")
    _adjust.check_region(image, mask, "SHARPEN")
    rgb, _ = split_alpha(image)
    lab = _adjust.lab(rgb)
    lightness = lab[..., 0]
    soft = cv2.GaussianBlur(lightness, (0, 0), sharpen_sigma(image.shape))
    gain = 1.5 * k if k > 0 else k
    lab[..., 0] = np.clip(lightness + gain * (lightness - soft), 0.0, 100.0)
    return _adjust.finish("SHARPEN", image, _adjust.rgb_of(lab), mask, "this sharpening")


# --- DENOISE ------------------------------------------------------------------------------------

_NLM_TEMPLATE, _NLM_SEARCH = 7, 21
_BAND_ROWS = 256  # rows per non-local-means pass, so progress and cancellation come between passes
NOISE_MIN = 3.0  # estimated noise sigma (of 255) below which a photo has no noise worth removing


def noise_sigma(gray: np.ndarray) -> float:
    """Immerkaer's fast estimate of the Gaussian noise standard deviation of a grey uint8 image."""
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = cv2.filter2D(gray.astype(np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT)[1:-1, 1:-1]
    h, w = gray.shape
    if h < 3 or w < 3:
        return 0.0
    return float(np.sqrt(np.pi / 2.0) * np.abs(response).sum() / (6.0 * (w - 2) * (h - 2)))


def denoise(ctx: BrickContext, image: np.ndarray, amount: float) -> dict:
    """OpenCV non-local means (fastNlMeansDenoisingColored, 7 px patches, 21 px search). The filter
    strength h = amount x max(3, 0.8 x the noise sigma estimated per channel, averaged), for
    luminance and colour alike; run in bands of rows with progress between them."""
    k = _adjust.amount(amount, "DENOISE", low=0.0,
                       low_hint="DENOISE only removes noise (amount 0..1); there is no brick that adds grain")
    rgb, _ = split_alpha(image)
    ctx.progress(0.05, "estimating the noise")
    sigma = float(np.mean([noise_sigma(np.ascontiguousarray(rgb[..., c])) for c in range(3)]))
    if sigma < NOISE_MIN:
        raise _adjust.unchanged("DENOISE", f"the image shows almost no noise (estimated sigma {sigma:.1f} of 255, "
                                f"{NOISE_MIN:g} or more is noise worth removing), so there is nothing to remove")
    strength = k * max(3.0, 0.8 * sigma)
    h = rgb.shape[0]
    margin = _NLM_SEARCH // 2 + _NLM_TEMPLATE // 2 + 1
    out = np.empty_like(rgb)
    starts = list(range(0, h, _BAND_ROWS))
    for i, y0 in enumerate(starts):
        ctx.raise_if_cancelled()
        ctx.progress(0.1 + 0.85 * i / len(starts), "removing noise")
        y1 = min(h, y0 + _BAND_ROWS)
        a, b = max(0, y0 - margin), min(h, y1 + margin)
        band = cv2.fastNlMeansDenoisingColored(np.ascontiguousarray(rgb[a:b]), None, strength, strength,
                                               _NLM_TEMPLATE, _NLM_SEARCH)
        out[y0:y1] = band[y0 - a: y0 - a + (y1 - y0)]
    return _adjust.finish("DENOISE", image, out, None, "denoising")


# --- DEHAZE -------------------------------------------------------------------------------------

_DEHAZE_WORK = 1024  # the transmission is estimated at this long side, then upsampled
_T_MIN = 0.1


def dark_channel(rgb: np.ndarray, patch: int) -> np.ndarray:
    """He et al.'s dark channel: the per-pixel minimum over the channels, then a patch minimum filter."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (patch, patch))
    return cv2.erode(rgb.min(axis=2), kernel)


def dehaze(ctx: BrickContext, image: np.ndarray, amount: float) -> dict:
    """Dark-channel prior (He, Sun, Tang 2009): airlight A from the haziest 0.1 % of the dark channel,
    transmission t = 1 - 0.95 x amount x dark(I / A) with 15 px patches (at <= 1024 px), refined by
    a guided filter on the grey image, kept >= 0.1; then J = (I - A) / t + A."""
    k = _adjust.amount(amount, "DEHAZE", low=0.0,
                       low_hint="to add haze or fog use FLUX-ENV with 'in fog'")
    rgb, alpha = split_alpha(image)
    ctx.progress(0.05, "estimating the haze")
    scale = _cv.scale_for(rgb.shape, _DEHAZE_WORK)
    small = _adjust.to_float(_cv.resize_to(rgb, scale))
    visible = _cv.resize_to(alpha, scale) > 0
    if visible.sum() < 64:
        raise BrickError("DEHAZE: the image is (almost) fully transparent, so there is no haze to estimate")
    dark = dark_channel(small, 15)
    ctx.raise_if_cancelled()
    values = dark[visible]
    threshold = np.quantile(values, 0.999)
    haziest = visible & (dark >= threshold)
    airlight = np.maximum(small[haziest].mean(axis=0), 0.05).astype(np.float32)
    transmission = 1.0 - 0.95 * k * dark_channel(small / airlight, 15)
    ctx.progress(0.4, "refining the transmission")
    ctx.raise_if_cancelled()
    guide = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    radius = max(4, round(0.05 * max(small.shape[:2])))
    ximgproc = getattr(cv2, "ximgproc", None)
    if ximgproc is not None:
        transmission = ximgproc.guidedFilter(guide, transmission.astype(np.float32), radius, 1e-3)
    else:
        transmission = cv2.GaussianBlur(transmission.astype(np.float32), (0, 0), radius / 3.0)
    if scale < 1.0:
        transmission = cv2.resize(transmission, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    transmission = np.clip(transmission, _T_MIN, 1.0)[..., None]
    ctx.progress(0.8, "recovering the scene")
    ctx.raise_if_cancelled()
    full = _adjust.to_float(rgb)
    out = (full - airlight) / transmission + airlight
    return _adjust.finish("DEHAZE", image, out, None, "dehazing")


# --- BLUR ---------------------------------------------------------------------------------------


BLUR_VISIBLE = 0.1  # a blur must visibly move this share of the pixels it was asked to blur


def blur_sigma(shape: tuple[int, ...], amount: float) -> float:
    """Gaussian sigma for an amount 0..1: about amount x 1 % of the long side for light and medium blurs (0.6 gives
    0.73 %), steepening to 2 % (radius ~4 %, a lens's background blur) at 1."""
    return max(0.5, amount * (1.0 + amount ** 3) * 0.01 * max(shape[:2]))


def blur(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """Gaussian blur of sigma = amount x 1 % of the long side (radius ~2 %), as a normalised convolution
    weighted by alpha and the mask, so neither transparent pixels nor what lies outside the mask
    bleed into it; worked at reduced size for large radii."""
    k = _adjust.amount(amount, "BLUR", low=0.0, low_hint="to sharpen use SHARPEN")
    _adjust.check_region(image, mask, "BLUR")
    rgb, _ = split_alpha(image)
    sigma = blur_sigma(image.shape, k)
    weight = _adjust.weights(image, mask)
    scale = min(1.0, 4.0 / sigma)
    small = _cv.resize_to(_adjust.to_float(rgb), scale)
    w = _cv.resize_to(weight, scale)
    s = sigma * scale
    num = cv2.GaussianBlur(small * w[..., None], (0, 0), s)
    den = cv2.GaussianBlur(w, (0, 0), s)[..., None]
    blurred = np.where(den > 1e-3, num / np.maximum(den, 1e-3), cv2.GaussianBlur(small, (0, 0), s))
    if scale < 1.0:
        blurred = cv2.resize(blurred, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    result = _adjust.finish("BLUR", image, blurred, mask, "this blur")
    inside = (mask >= 128) if mask is not None and (mask >= 128).any() else np.ones(image.shape[:2], bool)
    visible = float(_cv.visibly_changed(image[..., :3], result["image"][..., :3])[inside].mean())
    if visible < BLUR_VISIBLE:
        raise _adjust.unchanged("BLUR", f"the {'masked region' if mask is not None else 'image'} is already smooth: "
                                f"this blur moves only {100 * visible:.1f}% of its pixels visibly (at least "
                                f"{100 * BLUR_VISIBLE:.0f}% must; try a larger amount)")
    return result


# --- PIXELATE -----------------------------------------------------------------------------------


def pixelate_block(shape: tuple[int, ...], amount: float) -> int:
    """Block side in pixels for an amount 0..1: 1 % of the long side at a light touch, up to 5 % at 1 (a face in a
    group photo becomes a few blocks), never under 2 pixels."""
    return max(2, round((0.01 + 0.04 * amount) * max(shape[:2])))


def pixelate(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """Mosaic: the mean colour of each block (area averaging on a grid anchored at the top left), shown as that
    block. Made to hide what is under it, so a mask is taken hard: every pixel it touches at all is covered, with
    the blocks it cuts through whole; alpha is kept."""
    k = _adjust.amount(amount, "PIXELATE", low=0.0)
    _adjust.check_region(image, mask, "PIXELATE")
    rgb, _ = split_alpha(image)
    h, w = rgb.shape[:2]
    block = pixelate_block(image.shape, k)
    cols, rows = -(-w // block), -(-h // block)
    padded = cv2.copyMakeBorder(np.ascontiguousarray(rgb), 0, rows * block - h, 0, cols * block - w,
                                cv2.BORDER_REPLICATE)
    means = cv2.resize(padded, (cols, rows), interpolation=cv2.INTER_AREA)
    mosaic = cv2.resize(means, (cols * block, rows * block), interpolation=cv2.INTER_NEAREST)[:h, :w]
    hard = None
    if mask is not None:  # every block the mask touches, whole: no half-hidden face at the region's soft edge
        grid = np.zeros((rows * block, cols * block), bool)
        grid[:h, :w] = mask > 0
        touched = grid.reshape(rows, block, cols, block).any(axis=(1, 3))
        hard = np.repeat(np.repeat(touched, block, axis=0), block, axis=1)[:h, :w].astype(np.uint8) * 255
    return _adjust.finish("PIXELATE", image, mosaic, hard, "this pixelation")


# --- UPSCALE ------------------------------------------------------------------------------------

UPSCALE_MAX = 4.0
_UPSCALE_BAND = 512  # output rows per pass, so memory stays bounded and progress and cancellation come between
_UPSCALE_GAIN = 0.6  # unsharp-mask gain, mild: the clip below takes any overshoot back
_UPSCALE_SIGMA = 0.5  # unsharp-mask radius in source pixels (scaled to the output)


def upscale_scale(value: object) -> float:
    """The scale as a float in (1, 4], else a BrickError naming the range."""
    try:
        scale = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BrickError(f"UPSCALE: scale must be a number above 1 and at most 4 (2 or 4), got {value!r}") from None
    if not math.isfinite(scale) or not 1.0 < scale <= UPSCALE_MAX:
        raise BrickError(f"UPSCALE: scale must be above 1 and at most {UPSCALE_MAX:g} (2 or 4), got {value!r}; "
                         "UPSCALE only enlarges")
    return scale


def _source_coords(n_out: int, start: int, scale: float) -> np.ndarray:
    """Source coordinate of each output pixel centre in [start, start + n_out) (pixel centres aligned)."""
    return (np.arange(start, start + n_out, dtype=np.float64) + 0.5) / scale - 0.5


def _lanczos_rows(premultiplied: np.ndarray, a: int, b: int, s: float, out_w: int) -> np.ndarray:
    """Output rows [a, b) of the Lanczos enlargement, from only the source rows they read (4 either side).
    An integer scale uses cv2.resize on a slice starting at a whole source row (its grid is then the full
    image's); other scales cv2.warpAffine with the same pixel-centre mapping (about 5x slower)."""
    h = premultiplied.shape[0]
    k = round(s)
    if abs(s - k) < 1e-9:
        r0, r1 = max(0, a // k - 4), min(h, -(-b // k) + 4)
        up = cv2.resize(premultiplied[r0:r1], (out_w, (r1 - r0) * k), interpolation=cv2.INTER_LANCZOS4)
        return up[a - r0 * k: b - r0 * k]
    ys = _source_coords(b - a, a, s)
    r0, r1 = max(0, int(math.floor(ys[0])) - 4), min(h, int(math.floor(ys[-1])) + 5)
    # Output (x, y) reads source (x + 0.5) / s - 0.5 and (y + a + 0.5) / s - 0.5 - r0 of the slice.
    matrix = np.array([[1.0 / s, 0.0, 0.5 / s - 0.5], [0.0, 1.0 / s, (a + 0.5) / s - 0.5 - r0]])
    return cv2.warpAffine(premultiplied[r0:r1], matrix, (out_w, b - a), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def upscale(ctx: BrickContext, image: np.ndarray, scale: float) -> dict:
    """Lanczos (cv2.INTER_LANCZOS4) of premultiplied RGBA, so colours next to transparency do not darken,
    then a mild unsharp mask; every channel is clipped to the min / max of the 2 x 2 source pixels around
    each output pixel, as anti-ringing resamplers do, so no halo or overshoot appears. Worked in bands of
    output rows. It adds pixels and keeps edges crisp; it invents no detail."""
    s = upscale_scale(scale)
    h, w = image.shape[:2]
    out_w, out_h = round(w * s), round(h * s)
    if (out_w, out_h) == (w, h):
        raise _adjust.unchanged("UPSCALE", f"x{s:g} of a {w}x{h} image rounds to the same size; use a larger scale")
    ctx.check_pixels(out_w, out_h, f"UPSCALE x{s:g}: the {w}x{h} image enlarged")
    alpha = image[..., 3:4].astype(np.float32)
    premultiplied = np.dstack([image[..., :3].astype(np.float32) * (alpha / 255.0), alpha])
    # Each output pixel's 2 x 2 source neighbourhood starts at the floor of its source coordinate.
    kernel = np.ones((2, 2), np.uint8)
    low = cv2.erode(premultiplied, kernel, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    high = cv2.dilate(premultiplied, kernel, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    ix = np.clip(np.floor(_source_coords(out_w, 0, s)), 0, w - 1).astype(np.float32)
    iy = np.clip(np.floor(_source_coords(out_h, 0, s)), 0, h - 1).astype(np.float32)
    sigma = _UPSCALE_SIGMA * s
    pad = int(math.ceil(3 * sigma)) + 1  # output rows the unsharp mask reads beyond a band
    out = np.empty((out_h, out_w, 4), np.uint8)
    starts = list(range(0, out_h, _UPSCALE_BAND))
    for i, y0 in enumerate(starts):
        ctx.raise_if_cancelled()
        ctx.progress(0.05 + 0.9 * i / len(starts), "upscaling")
        y1 = min(out_h, y0 + _UPSCALE_BAND)
        a, b = max(0, y0 - pad), min(out_h, y1 + pad)
        up = _lanczos_rows(premultiplied, a, b, s, out_w)
        up += _UPSCALE_GAIN * (up - cv2.GaussianBlur(up, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE))
        band = np.ascontiguousarray(up[y0 - a: y1 - a])
        # Nearest lookups of the neighbourhood's min / max at each output pixel's source position.
        map_x = np.ascontiguousarray(np.broadcast_to(ix, (y1 - y0, out_w)))
        map_y = np.ascontiguousarray(np.broadcast_to(iy[y0:y1, None], (y1 - y0, out_w)))
        band = cv2.min(cv2.max(band, cv2.remap(low, map_x, map_y, cv2.INTER_NEAREST)),
                       cv2.remap(high, map_x, map_y, cv2.INTER_NEAREST))
        band_alpha = band[..., 3]
        gain = np.where(band_alpha > 0.5, 255.0 / np.maximum(band_alpha, 0.5), 0.0).astype(np.float32)
        rgb = band[..., :3] * gain[..., None]
        np.clip(rgb, 0.0, 255.0, out=rgb)
        out[y0:y1, :, :3] = np.rint(rgb)
        out[y0:y1, :, 3] = np.rint(band_alpha)
    return {"image": out}


# --- SMOOTH -------------------------------------------------------------------------------------

def smooth_diameter(shape: tuple[int, ...]) -> int:
    """The bilateral filter's neighbourhood: 5 px up to ~750 px, then 1/150 of the long side (odd)."""
    d = max(5, round(max(shape[:2]) / 150))
    return d if d % 2 else d + 1


def smooth(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """Edge-preserving smoothing, as a skin-smoothing or fabric-smoothing tool does: a bilateral filter (colour
    differences under ~10-50 levels are averaged, edges across larger ones kept), mixed in by the amount. Fine
    texture (pores, blotches, creases, weave) softens; outlines, eyes and hair edges stay."""
    k = _adjust.amount(amount, "SMOOTH", low=0.0, low_hint="to add detail use SHARPEN")
    _adjust.check_region(image, mask, "SMOOTH")
    rgb, _ = split_alpha(image)
    d = smooth_diameter(image.shape)
    filtered = cv2.bilateralFilter(np.ascontiguousarray(rgb), d, 10.0 + 40.0 * k, float(d))
    mixed = _adjust.to_float(rgb) * (1.0 - k) + _adjust.to_float(filtered) * k
    return _adjust.finish("SMOOTH", image, mixed, mask, "this smoothing")
