"""Classical photo repair: DESCRATCH (dust, specks and scratches found by morphology, filled by Telea
inpainting) and RED-EYE (round red pupils desaturated).

Both find their defects first and refuse, with the reason, when they find none or when what they found
does not look like damage; only the pixels of the defects (and a thin feathered rim) change.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lego_edit.bricks.builtin import _adjust, _cv
from lego_edit.bricks.registry import BrickContext, BrickError
from lego_edit.bricks.values import split_alpha


def _selected(mask: np.ndarray) -> np.ndarray:
    """Where a mask selects: its pixels of 128 and over, or, for a faint soft mask, any it touches."""
    region = mask >= 128
    return region if region.any() else mask > 0


# --- DESCRATCH ----------------------------------------------------------------------------------

DESCRATCH_WORK = 1024  # defects are looked for at most at this long side (the line openings cost)
DEFECT_MAX_SHARE = 0.08  # more of the region than this flagged is texture (grass, fabric, hair), not damage
_LOCAL_FACTOR = 4.0  # a speck's top-hat response must be this many times its neighbourhood's median response
_LINE_FACTOR = 3.0  # ... a scratch's (a straight run, so less easily confused with texture) this many times
_FLOOR = 70.0  # ... and at least this many grey levels (scaled by 1.5 - amount)


@dataclass(frozen=True)
class DefectScale:
    """The sizes the detector works at: the structuring element (wider defects are not found) and the
    window of the neighbourhood statistics."""

    element: int
    window: int

    @classmethod
    def of(cls, shape: tuple[int, ...], amount: float) -> DefectScale:
        size = round((5 + 8 * amount) * max(1.0, max(shape[:2]) / 768.0))
        size += 1 - size % 2
        return cls(element=size, window=min(255, 4 * size + 1))


def _ridges(gray: np.ndarray, element: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """White and black top-hats, and for each the spread of the background it was measured against
    (a top-hat next to a step edge is an edge, not a defect on a plain background)."""
    opened = cv2.morphologyEx(gray, cv2.MORPH_OPEN, element)
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, element)
    white, black = cv2.subtract(gray, opened), cv2.subtract(closed, gray)
    bright = (white > cv2.morphologyEx(opened, cv2.MORPH_GRADIENT, element))
    dark = (black > cv2.morphologyEx(closed, cv2.MORPH_GRADIENT, element))
    return np.maximum(white, black), bright, dark


_ANGLES = 24  # orientations of the line openings that find straight scratches


def _straight_runs(binary: np.ndarray, length: int) -> np.ndarray:
    """The pixels of `binary` that lie on a straight run at least `length` px long in some direction
    (the union of openings by line elements, on the map grown a pixel so that a run between two of the
    element's angles still fits): scratches, not the curved rims of eyes or cups."""
    src = cv2.dilate(binary.astype(np.uint8), np.ones((3, 3), np.uint8))
    runs = np.zeros_like(src)
    half = length // 2
    for i in range(_ANGLES):
        theta = np.pi * i / _ANGLES
        dx, dy = half * np.cos(theta), half * np.sin(theta)
        size = 2 * half + 1
        kernel = np.zeros((size, size), np.uint8)
        cv2.line(kernel, (round(half - dx), round(half - dy)), (round(half + dx), round(half + dy)), 1, 1)
        runs |= cv2.morphologyEx(src, cv2.MORPH_OPEN, kernel)
    return (runs > 0) & binary


def find_defects(gray: np.ndarray, amount: float, region: np.ndarray | None = None) -> np.ndarray:
    """Boolean map of thin bright / dark defects in a grey uint8 image: scratches (long, at most about
    half the element wide) and isolated specks (small, with no other candidates nearby), where the
    top-hat response is well above its neighbourhood's median and above the background's own spread;
    grown by hysteresis into their weaker anti-aliased edges. `region` (bool) limits the search."""
    scale = DefectScale.of(gray.shape, amount)
    s = scale.element
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (s, s))
    response, bright, dark = _ridges(gray, element)
    local = cv2.medianBlur(response, scale.window).astype(np.float32)
    floor = _FLOOR * (1.5 - amount)
    ridge = bright | dark if region is None else (bright | dark) & region
    line_threshold = np.maximum(floor, (_LINE_FACTOR + 1.0 - 2.0 * amount) * local)
    scratches = _straight_runs((response > line_threshold) & ridge, 4 * s)
    threshold = np.maximum(floor, (_LOCAL_FACTOR + 1.0 - 2.0 * amount) * local)
    strong = (response > threshold) & ridge
    rest = strong & ~scratches
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    near = 6 * s + 1
    density = cv2.blur(strong.astype(np.float32), (near, near))
    keep = np.zeros(count, bool)
    speck_area = s * s // 2
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if 2 <= area <= speck_area and density[y:y + h, x:x + w].max() - area / near ** 2 < 0.005:
            keep[i] = True  # small and alone: a speck of dust
    kept = keep[labels] | scratches
    weak = response > 0.4 * line_threshold
    grown = kept | (cv2.dilate(kept.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & weak
    if region is not None:
        grown &= region
    return grown


def _defects_at_work_size(gray: np.ndarray, amount: float, region: np.ndarray | None,
                          visible: np.ndarray) -> tuple[np.ndarray, float]:
    """find_defects on a copy of at most DESCRATCH_WORK px (the full image when smaller), brought back to
    full size (a pixel there covers 1 / scale here), and the share of the searched pixels it flags."""
    scale = _cv.scale_for(gray.shape, DESCRATCH_WORK)
    looked = visible if region is None else region & visible
    if scale >= 1.0:
        defects = find_defects(gray, amount, region) & visible
        return defects, float(defects.sum()) / max(1, int(looked.sum()))
    small_region = None if region is None else _cv.resize_to(region.astype(np.uint8), scale) > 0
    found = find_defects(_cv.resize_to(gray, scale), amount, small_region)
    small_looked = _cv.resize_to(looked.astype(np.uint8), scale) > 0
    share = float((found & small_looked).sum()) / max(1, int(small_looked.sum()))
    full = cv2.resize(found.astype(np.uint8), (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_NEAREST)
    reach = int(np.ceil(1.0 / scale))
    defects = (cv2.dilate(full, np.ones((reach, reach), np.uint8)) > 0) & looked
    return defects, share


def descratch(ctx: BrickContext, image: np.ndarray, amount: float, mask: np.ndarray | None = None) -> dict:
    """Thin bright / dark defects (find_defects on the grey image), dilated a pixel, filled by OpenCV's
    Telea inpainting; everything else stays byte-identical. Returns the image and the defect mask."""
    k = _adjust.amount(amount, "DESCRATCH", low=0.0,
                       low_hint="DESCRATCH only removes defects (amount 0..1: larger finds bigger and fainter ones)")
    _adjust.check_region(image, mask, "DESCRATCH")
    rgb, alpha = split_alpha(image)
    region = None if mask is None else _selected(mask)
    ctx.progress(0.1, "looking for scratches and specks")
    gray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    defects, share = _defects_at_work_size(gray, k, region, alpha > 0)
    ctx.raise_if_cancelled()
    if not defects.any():
        raise _adjust.unchanged("DESCRATCH", "found no scratches or specks"
                                + (" inside the mask" if mask is not None else "") + " (try a larger amount)")
    if share > DEFECT_MAX_SHARE:
        raise BrickError(f"DESCRATCH: this looks like texture, not damage: {100 * share:.0f}% of the "
                         f"{'masked region' if mask is not None else 'picture'} has thin lines or specks "
                         f"(at most {100 * DEFECT_MAX_SHARE:.0f}% can be repaired); select the damaged part")
    hole = cv2.dilate(defects.astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
    if mask is not None:
        hole[mask == 0] = 0
    ctx.progress(0.5, f"filling {int(defects.sum())} damaged pixels")
    filled = cv2.inpaint(np.ascontiguousarray(rgb), hole, 3, cv2.INPAINT_TELEA)
    result = _adjust.finish("DESCRATCH", image, filled, hole if mask is None else np.minimum(hole, mask),
                            "this repair")
    return {**result, "mask": hole}


# --- RED-EYE ------------------------------------------------------------------------------------

RED_MIN = 0.25  # R - max(G, B), of 1, of a red pupil's core
RATIO_MIN = 1.0  # R / (G + B): a red pupil; skin stays well under it
PUPIL_MIN_AREA = 12  # px (a radius of 2) without a mask: tinier red dots are too often not eyes
PUPIL_MAX_SHARE = 0.003  # of the image, for one pupil when no mask says where the eyes are


@dataclass(frozen=True)
class Spot:
    """A round red component: its label, area, centre and equivalent radius."""

    label: int
    area: int
    cx: float
    cy: float
    radius: float


def redness(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R - max(G, B) and R / (G + B) of a float RGB image 0..1."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return r - np.maximum(g, b), r / (g + b + 1e-3)


def _stands_out(excess: np.ndarray, labels: np.ndarray, label: int, box: tuple[int, int, int, int],
                radius: float) -> bool:
    """Is the spot red against a surround that is not (an iris, the white of the eye, skin), rather
    than a red patch of a red surface (wood, a red shirt)? The ring from 2 px to about a radius
    outside it must be less than half as red."""
    x, y, w, h = box
    pad = int(np.ceil(radius)) + 3
    y0, y1, x0, x1 = max(0, y - pad), min(labels.shape[0], y + h + pad), max(0, x - pad), min(labels.shape[1], x + w + pad)
    spot = (labels[y0:y1, x0:x1] == label).astype(np.uint8)
    near = cv2.dilate(spot, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0
    ring = (cv2.dilate(spot, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pad + 1, 2 * pad + 1))) > 0) & ~near
    if not ring.any():
        return False
    patch = excess[y0:y1, x0:x1]
    return float(np.clip(patch[ring], 0.0, None).mean()) < 0.5 * float(patch[spot > 0].mean())


def _round_spots(red: np.ndarray, excess: np.ndarray, min_area: int, max_area: float
                 ) -> tuple[np.ndarray, list[Spot]]:
    """Labels of the red map and its compact, roughly round components (circularity of the filled
    outline, fill of its bounding box, aspect) of `min_area` px up to `max_area` that stand out from
    their surround."""
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(red.astype(np.uint8), connectivity=8)
    spots = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < min_area or area > max_area or not 0.5 <= w / h <= 2.0:
            continue
        component = (labels[y:y + h, x:x + w] == i).astype(np.uint8)
        contours, _ = cv2.findContours(np.pad(component, 1), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        outline = max(contours, key=cv2.contourArea)
        filled = max(cv2.contourArea(outline), float(area))
        perimeter = cv2.arcLength(outline, True)
        circularity = 4 * np.pi * filled / max(perimeter ** 2, 1.0)
        radius = float(np.sqrt(filled / np.pi))
        if circularity < 0.55 or filled / (w * h) < 0.55 or not _stands_out(excess, labels, i, (x, y, w, h), radius):
            continue
        spots.append(Spot(i, area, float(centroids[i][0]), float(centroids[i][1]), radius))
    return labels, spots


def _eye_pairs(spots: list[Spot]) -> list[Spot]:
    """The spots that have a partner a pair of eyes could be: of similar size, at a similar height,
    3 to 25 pupil diameters apart."""
    paired: set[int] = set()
    for i, a in enumerate(spots):
        for b in spots[i + 1:]:
            big, small = max(a.radius, b.radius), min(a.radius, b.radius)
            dx, dy = abs(a.cx - b.cx), abs(a.cy - b.cy)
            if small / big >= 0.6 and dy <= 0.3 * dx + big and 6 * big <= dx <= 50 * big:
                paired.update((a.label, b.label))
    return [s for s in spots if s.label in paired]


def red_eye(ctx: BrickContext, image: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """Round red pupils that stand out from a less red surround (redness and red ratio; without a mask
    only pairs that could be two eyes, each of 12 px up to 0.3 % of the image), their holes (the
    catchlight) filled in, grown into their weaker red rim, feathered 2 px; inside, red becomes the mean
    of green and blue, so the highlight stays white."""
    _adjust.check_region(image, mask, "RED-EYE")
    rgb, alpha = split_alpha(image)
    colour = _adjust.to_float(np.ascontiguousarray(rgb))
    excess, ratio = redness(colour)
    region = (np.ones(rgb.shape[:2], bool) if mask is None else _selected(mask)) & (alpha > 0)
    core = (excess > RED_MIN) & (ratio > RATIO_MIN) & region
    limit = 0.5 * float(region.sum()) if mask is not None else PUPIL_MAX_SHARE * rgb.shape[0] * rgb.shape[1]
    labels, spots = _round_spots(core, excess, PUPIL_MIN_AREA if mask is None else 6, limit)
    if mask is None:
        spots = _eye_pairs(spots)
    if not spots:
        raise _adjust.unchanged("RED-EYE", "found no red eyes"
                                + (" inside the mask" if mask is not None else "")
                                + ": select the eyes and try again")
    ctx.progress(0.5, f"fixing {len(spots)} red {'pupil' if len(spots) == 1 else 'pupils'}")
    pupils = np.zeros(rgb.shape[:2], np.uint8)
    for spot in spots:
        component = (labels == spot.label).astype(np.uint8)
        contours, _ = cv2.findContours(component, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(pupils, contours, -1, 255, thickness=cv2.FILLED)
    rim = (excess > 0.5 * RED_MIN) & (ratio > 0.8 * RATIO_MIN) & region
    reach = cv2.dilate(pupils, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0
    pupils[reach & rim] = 255
    pupils = cv2.dilate(pupils, np.ones((3, 3), np.uint8))
    soft = cv2.GaussianBlur(pupils, (5, 5), 1.0)
    soft[soft < 8] = 0
    if mask is not None:
        soft = np.minimum(soft, mask)
    fixed = colour.copy()
    fixed[..., 0] = 0.5 * (colour[..., 1] + colour[..., 2])
    result = _adjust.finish("RED-EYE", image, fixed, soft, "this fix")
    return result
