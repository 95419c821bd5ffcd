"""Classical segmentation: RES by rules, SOS by saliency + GrabCut, MASK-SEG by GrabCut, ADD-PRED by free space.

None of these understands what an object *is*. RES honours only what pixels can tell — a colour, a
position among the salient objects, sky / background / foreground / ground — and refuses any other
prompt with the command that installs the text-prompted model, rather than return a wrong mask.
Saliency and GrabCut run at a reduced resolution (long side 320) and the mask is scaled back up.
"""

from __future__ import annotations

import cv2
import numpy as np

from lego_edit.bricks import imageops
from lego_edit.bricks.builtin import _cv, vocab
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import split_alpha

WORK_SIDE = 320  # long side at which saliency and GrabCut run
GRABCUT_ITERATIONS = 3
NEEDS_MODEL = "needs the text-prompted segmentation model (run `lego-edit models pull grounded-sam`)"

# --- salient objects ----------------------------------------------------------------------------


def _border_contrast(lab: np.ndarray) -> np.ndarray:
    """Colour distance of each pixel from the image border (the background prior).

    Each border band gets 3 colour clusters; a pixel's distance to a border is the distance to the
    nearest of its clusters. Taking the second-smallest of the four distances lets an object touch
    one border (a person cut off at the bottom) and still stand out.
    """
    h, w = lab.shape[:2]
    b = max(2, round(0.04 * min(h, w)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    per_border = []
    for band in (lab[:b], lab[-b:], lab[:, :b], lab[:, -b:]):
        pixels = np.ascontiguousarray(band.reshape(-1, 3))
        cv2.setRNGSeed(0)  # k-means++ seeding: keep the result deterministic
        _, _, centres = cv2.kmeans(pixels, 3, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
        per_border.append(np.min([np.linalg.norm(lab - c, axis=2) for c in centres], axis=0))
    return np.sort(np.stack(per_border), axis=0)[1]


def _saliency(small: np.ndarray) -> np.ndarray:
    """0..1 map: mostly border contrast, some spectral residual, a mild centre bias."""
    h, w = small.shape[:2]
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (0, 0), 2), cv2.COLOR_RGB2LAB).astype(np.float32)
    contrast = _border_contrast(lab)
    spread = float(np.percentile(contrast, 99))
    if spread < 12.0:  # nothing differs from the border by more than a faint colour shift
        raise BrickError("found no distinct object: the image is nearly uniform")
    # the stubs lack the module-level factory that opencv-contrib exports (they declare only the classmethod)
    ok, residual = cv2.saliency.StaticSaliencySpectralResidual_create().computeSaliency(small)  # type: ignore[attr-defined]
    residual = cv2.GaussianBlur(residual, (0, 0), 3) if ok else np.zeros((h, w), np.float32)
    residual = residual / max(float(residual.max()), 1e-6)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    centre = np.exp(-(((xx - w / 2) / (0.5 * w)) ** 2 + ((yy - h / 2) / (0.5 * h)) ** 2))
    return (0.75 * np.clip(contrast / spread, 0, 1) + 0.25 * residual) * (0.75 + 0.25 * centre)


def _grabcut(ctx: BrickContext, small: np.ndarray, init: np.ndarray, start: float, end: float) -> np.ndarray:
    """GrabCut from a GC_* label mask, one iteration at a time so a cancel stops it promptly."""
    labels = init.copy()
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    if not ((labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)).any():
        labels[[0, -1], :] = cv2.GC_PR_BGD  # GrabCut needs some background to learn from
        labels[:, [0, -1]] = cv2.GC_PR_BGD
    cv2.setRNGSeed(0)
    for i in range(GRABCUT_ITERATIONS):
        ctx.raise_if_cancelled()
        mode = cv2.GC_INIT_WITH_MASK if i == 0 else cv2.GC_EVAL
        cv2.grabCut(small, labels, None, bgd, fgd, 1, mode)
        ctx.progress(start + (end - start) * (i + 1) / GRABCUT_ITERATIONS, "refining the mask (GrabCut)")
    return np.where((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)


def _salient_objects(ctx: BrickContext, rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """0/255 mask of the salient objects at working resolution, and the scale used."""
    scale = _cv.scale_for(rgb.shape, WORK_SIDE)
    small = _cv.resize_to(rgb, scale)
    h, w = small.shape[:2]
    ctx.progress(0.05, "finding salient objects")
    sal8 = np.clip(_saliency(small) * 255, 0, 255).astype(np.uint8)
    _, seed = cv2.threshold(sal8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    labels[seed > 0] = cv2.GC_PR_FGD
    k = max(3, round(0.03 * max(h, w)))
    labels[cv2.erode(seed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))) > 0] = cv2.GC_FGD
    b = max(2, round(0.02 * min(h, w)))
    band = np.zeros((h, w), bool)
    band[:b], band[-b:], band[:, :b], band[:, -b:] = True, True, True, True
    labels[band & (seed == 0)] = cv2.GC_BGD
    found = _grabcut(ctx, small, labels, 0.2, 0.9)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    found = cv2.morphologyEx(found, cv2.MORPH_OPEN, kernel)
    return found, scale


def _keep(binary: np.ndarray, *, min_fraction: float, relative: float) -> list[np.ndarray]:
    """Components of at least `min_fraction` of the image and `relative` times the largest, holes filled."""
    parts = _cv.components(binary, min_area=max(1, int(min_fraction * binary.size)))
    if not parts:
        return []
    largest = parts[0][1]
    return [_cv.fill_holes(m) for m, area, _ in parts if area >= relative * largest]


def _union(masks: list[np.ndarray]) -> np.ndarray:
    return np.maximum.reduce(masks) if len(masks) > 1 else masks[0]


def _full_size(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return _cv.smooth_edges(_cv.upscale_mask(mask, shape), 1.0)


def _main_object(ctx: BrickContext, rgb: np.ndarray) -> np.ndarray:
    found, _ = _salient_objects(ctx, rgb)
    kept = _keep(found, min_fraction=0.003, relative=0.3)
    if not kept:
        raise BrickError("found no salient object in the image")
    return _full_size(_union(kept), rgb.shape)


def salient_object(ctx: BrickContext, image: np.ndarray) -> dict:
    rgb, _ = split_alpha(image)
    mask = _main_object(ctx, rgb)
    ctx.progress(1.0, "done")
    return {"mask": mask, "image": imageops.cutout(image, mask)}


# --- MASK-SEG -----------------------------------------------------------------------------------


def segment_in_mask(ctx: BrickContext, image: np.ndarray, mask: np.ndarray) -> dict:
    """GrabCut inside the rough mask: outside it is certain background, inside probable object."""
    _cv.check_mask(image, mask, "MASK-SEG")
    rough = np.where(mask >= 128, 255, 0).astype(np.uint8)
    if not rough.any():
        rough = np.where(mask > 0, 255, 0).astype(np.uint8)
    h, w = mask.shape
    margin = max(8, round(0.1 * max(h, w) * np.sqrt(np.count_nonzero(rough) / rough.size)))
    x0, y0, x1, y1 = imageops.nonempty_bbox(rough, margin)
    crop, rough_crop = np.ascontiguousarray(image[y0:y1, x0:x1, :3]), rough[y0:y1, x0:x1]
    scale = _cv.scale_for(crop.shape, WORK_SIDE)
    small = _cv.resize_to(crop, scale)
    rough_small = np.where(_cv.resize_to(rough_crop, scale) >= 128, 255, 0).astype(np.uint8)
    if not rough_small.any():
        raise BrickError("MASK-SEG: the rough mask is too small to segment anything in")
    labels = np.where(rough_small > 0, cv2.GC_PR_FGD, cv2.GC_BGD).astype(np.uint8)
    found = _grabcut(ctx, small, labels, 0.1, 0.9)
    kept = _keep(found, min_fraction=0.0, relative=0.2)
    if not kept or not _union(kept).any():
        raise BrickError("MASK-SEG found no object inside the rough mask")
    local = _full_size(_union(kept), crop.shape)
    grow = max(3, round(0.01 * max(h, w)))
    allowed = cv2.dilate(rough_crop, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    out = np.zeros_like(mask)
    out[y0:y1, x0:x1] = np.minimum(local, allowed)
    ctx.progress(1.0, "done")
    return {"mask": out, "image": imageops.cutout(image, out)}


# --- RES by rules -------------------------------------------------------------------------------

_POSITIONS = {"left": "left", "leftmost": "left", "right": "right", "rightmost": "right", "top": "top",
              "upper": "top", "topmost": "top", "bottom": "bottom", "lower": "bottom", "bottommost": "bottom",
              "center": "center", "centre": "center", "middle": "center", "central": "center"}
_REGIONS = {"sky": "sky", "background": "background", "backdrop": "background", "foreground": "foreground",
            "ground": "ground", "floor": "ground"}
# Words that add nothing a pixel rule could check: they may appear around a colour, position or region.
_FILLER = set("""a an the this that of in on at to from with and or its it is which one ones object objects thing
things item items shape shapes region regions area areas part parts side image picture photo photograph
entire whole all every everything main big large small little dark light bright pale deep vivid plain blob
blobs spot spots color colour colored coloured half""".split())
_PLURAL = {"all", "every", "everything", "objects", "things", "items", "shapes", "regions", "areas", "parts",
           "blobs", "spots", "ones"}


def _colour_mask(rgb: np.ndarray, colour: str) -> np.ndarray:
    ranges, s_lo, s_hi, v_lo, v_hi = vocab.HUE_RANGES[colour]
    hsv = cv2.cvtColor(cv2.GaussianBlur(rgb, (0, 0), 1.0), cv2.COLOR_RGB2HSV)
    found = np.zeros(rgb.shape[:2], np.uint8)
    for h_lo, h_hi in ranges:
        found |= cv2.inRange(hsv, (h_lo, s_lo, v_lo), (h_hi, s_hi, v_hi))
    k = max(3, round(max(rgb.shape[:2]) / 200)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    found = cv2.morphologyEx(found, cv2.MORPH_OPEN, kernel)
    return cv2.morphologyEx(found, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1)))


def _pick(parts: list[tuple[np.ndarray, int, tuple[float, float]]], position: str, shape: tuple[int, ...]):
    h, w = shape[:2]
    key = {"left": lambda c: c[2][0], "right": lambda c: -c[2][0], "top": lambda c: c[2][1],
           "bottom": lambda c: -c[2][1], "center": lambda c: (c[2][0] - w / 2) ** 2 + (c[2][1] - h / 2) ** 2}[position]
    return min(parts, key=key)


def _on_side(centroid: tuple[float, float], position: str, shape: tuple[int, ...]) -> bool:
    h, w = shape[:2]
    x, y = centroid
    return {"left": x < w / 2, "right": x >= w / 2, "top": y < h / 2, "bottom": y >= h / 2,
            "center": abs(x - w / 2) < w / 4 and abs(y - h / 2) < h / 4}[position]


def _half_plane(shape: tuple[int, ...], position: str) -> np.ndarray:
    h, w = shape[:2]
    out = np.zeros((h, w), np.uint8)
    box = {"left": (slice(None), slice(0, w // 2)), "right": (slice(None), slice(w // 2, None)),
           "top": (slice(0, h // 2), slice(None)), "bottom": (slice(h // 2, None), slice(None)),
           "center": (slice(h // 4, h - h // 4), slice(w // 4, w - w // 4))}[position]
    out[box] = 255
    return out


def _borders_touched(mask: np.ndarray) -> int:
    return int(mask[0].any()) + int(mask[-1].any()) + int(mask[:, 0].any()) + int(mask[:, -1].any())


def _by_colour(rgb: np.ndarray, colour: str, position: str | None, plural: bool) -> np.ndarray:
    """The largest region of the colour; an object, so regions running along two image edges come last."""
    found = _colour_mask(rgb, colour)
    parts = _cv.components(found, min_area=max(16, int(0.0005 * found.size)))
    if not parts:
        raise BrickError(f"there is no {colour} region in the image")
    objects = [p for p in parts if _borders_touched(p[0]) < 2]
    parts = objects or parts
    if position:
        chosen = [_pick(parts, position, rgb.shape)]
    elif plural:
        chosen = parts
    else:
        chosen = parts[:1]
    return _cv.smooth_edges(_union([_cv.fill_holes(m) for m, _, _ in chosen]), 1.0)


def _by_position(ctx: BrickContext, rgb: np.ndarray, position: str) -> np.ndarray:
    """The salient object furthest in the named direction; with a single object, it must lie there."""
    found, scale = _salient_objects(ctx, rgb)
    parts = _cv.components(found, min_area=max(1, int(0.003 * found.size)))
    parts = [p for p in parts if p[1] >= 0.05 * parts[0][1]] if parts else []
    if len(parts) >= 2:
        return _full_size(_cv.fill_holes(_pick(parts, position, found.shape)[0]), rgb.shape)
    if parts and _on_side(parts[0][2], position, found.shape):
        return _full_size(_cv.fill_holes(parts[0][0]), rgb.shape)
    # One object, elsewhere (or two objects merged into one): look for the salient object of that part only.
    region = _half_plane(rgb.shape, position)
    x0, y0, x1, y1 = imageops.nonempty_bbox(region)
    try:
        local = _main_object(ctx, np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    except BrickError:
        raise BrickError(f"found no object on the {position} of the image") from None
    out = np.zeros(rgb.shape[:2], np.uint8)
    out[y0:y1, x0:x1] = local
    return out


def _sky(rgb: np.ndarray) -> np.ndarray:
    """Smooth blue (or bright neutral / cool, overcast) pixels along the top edge.

    Warm light walls look like an overcast sky to a pixel rule, so bright pixels count only when
    neutral or cool; the sky must also span a quarter of the top edge.
    """
    scale = _cv.scale_for(rgb.shape, WORK_SIDE * 2)
    small = cv2.GaussianBlur(_cv.resize_to(rgb, scale), (0, 0), 1.5)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    cool = (hue >= 85) & (hue <= 135)
    blueish = cool & (((sat >= 25) & (val >= 70)) | ((sat >= 60) & (val >= 35)))
    bright = (val >= 185) & ((sat <= 12) | (cool & (sat <= 45)))
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gradient = np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))
    smooth = cv2.GaussianBlur(gradient, (0, 0), 2) < 40
    candidate = np.where((blueish | bright) & smooth, 255, 0).astype(np.uint8)
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    top = max(1, round(0.03 * candidate.shape[0]))
    parts = [m for m, area, _ in _cv.components(candidate, min_area=int(0.01 * candidate.size)) if m[:top].any()]
    if not parts or np.count_nonzero(_union(parts)[:top].any(axis=0)) < 0.25 * candidate.shape[1]:
        raise BrickError("found no sky: no smooth blue or bright neutral region spans the top of the image")
    sky = _cv.fill_holes(_union(parts), max_hole=int(0.002 * candidate.size))
    return _full_size(sky, rgb.shape)


def _ground(ctx: BrickContext, rgb: np.ndarray) -> np.ndarray:
    """Pixels coloured like the bottom edge and connected to it, minus the salient objects."""
    objects, scale = _salient_objects(ctx, rgb)
    small = cv2.GaussianBlur(_cv.resize_to(rgb, scale), (0, 0), 2)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    h = lab.shape[0]
    band = np.ascontiguousarray(lab[-max(2, round(0.05 * h)):].reshape(-1, 3))
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(band, 3, None, (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0), 1,
                               cv2.KMEANS_PP_CENTERS)
    near = np.min([np.linalg.norm(lab - c, axis=2) for c in centres], axis=0) < 18
    candidate = np.where(near & (objects == 0), 255, 0).astype(np.uint8)
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    parts = [m for m, _, _ in _cv.components(candidate, min_area=int(0.01 * candidate.size)) if m[-2:].any()]
    if not parts or np.count_nonzero(_union(parts)) < 0.03 * candidate.size:
        raise BrickError("found no ground: no large region like the bottom edge of the image")
    return _full_size(_cv.fill_holes(_union(parts), max_hole=int(0.002 * candidate.size)), rgb.shape)


def _parse(prompt: str) -> tuple[str | None, str | None, str | None, bool, list[str]]:
    """(colour, position, region, plural, unknown words) of a RES prompt."""
    tokens = [t[:-2] if t.endswith("'s") else t for t in _cv.words(prompt)]
    colour = position = region = None
    unknown = []
    for t in tokens:
        family = vocab.hue_family(t)
        if family is not None and colour is None:
            colour = family
        elif t in _POSITIONS and position is None:
            position = _POSITIONS[t]
        elif t in _REGIONS and region is None:
            region = _REGIONS[t]
        elif t not in _FILLER and family is None and t not in _POSITIONS and t not in _REGIONS:
            unknown.append(t)  # (a second colour, position or region is ignored, not unknown)
    plural = any(t in _PLURAL for t in tokens) or (bool(unknown) and unknown[-1].endswith("s")
                                                   and not unknown[-1].endswith(("ss", "us", "is")))
    return colour, position, region, plural, unknown


def segment_by_rules(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    """Colour, position and broad-region prompts; anything else needs the text-prompted model."""
    colour, position, region, plural, unknown = _parse(prompt)
    rgb, _ = split_alpha(image)
    if region and not unknown:
        if region == "sky":
            mask = _sky(rgb)
        elif region == "ground":
            mask = _ground(ctx, rgb)
        else:
            objects = _main_object(ctx, rgb)
            mask = objects if region == "foreground" else (255 - objects)
    elif colour:
        mask = _by_colour(rgb, colour, position, plural)
    elif position and "half" in _cv.words(prompt) and not unknown:
        mask = _half_plane(rgb.shape, position)
    elif position:
        mask = _by_position(ctx, rgb, position)
    else:
        what = " ".join(unknown) or prompt
        raise BrickError(f"segmenting '{what}' {NEEDS_MODEL}; offline, RES understands colours ('red object'), "
                         "positions ('left person') and sky / background / foreground / ground")
    if not mask.any():
        raise BrickError(f"RES found nothing for '{prompt}'")
    ctx.progress(1.0, "done")
    return {"mask": mask, "image": imageops.cutout(image, mask)}


# --- ADD-PRED -----------------------------------------------------------------------------------


def _room(binary: np.ndarray) -> np.ndarray:
    """Distance to the nearest pixel outside `binary`, the image edge counting as outside."""
    padded = cv2.copyMakeBorder(binary, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]


def place_in_mask(ctx: BrickContext, image: np.ndarray, prompt: str, mask: np.ndarray | None = None) -> dict:
    """With a mask only: a square at the centre of the mask's largest plain (low-texture) part.

    Without a mask, choosing where a described object belongs needs the Builder VLM; guessing a spot
    would be a fake answer, so it refuses.
    """
    if mask is None:
        raise BrickError("predicting where to add an object without a selection needs the Builder VLM "
                         "(run `lego-edit models pull builder`); offline, select the area to add it in")
    _cv.check_mask(image, mask, "ADD-PRED")
    region = np.where(mask >= 128 if (mask >= 128).any() else mask > 0, 255, 0).astype(np.uint8)
    gray = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    texture = cv2.GaussianBlur(np.abs(cv2.Laplacian(cv2.GaussianBlur(gray, (0, 0), 1.5), cv2.CV_32F)), (0, 0), 4)
    plain = np.where((region > 0) & (texture < max(2.0, float(np.median(texture[region > 0])))), 255, 0).astype(np.uint8)
    room = _room(plain)
    if room.max() < 8:  # no plain part worth the name: use the whole mask
        room = _room(region)
    cy, cx = np.unravel_index(int(np.argmax(room)), room.shape)
    x0, y0, x1, y1 = imageops.nonempty_bbox(region)
    half = int(min(0.7 * room.max(), 0.2 * min(y1 - y0, x1 - x0) + 1, 0.2 * min(region.shape)))
    half = max(half, 1)
    out = np.zeros_like(mask)
    out[max(0, cy - half): cy + half + 1, max(0, cx - half): cx + half + 1] = 255
    return {"mask": np.minimum(out, region)}
