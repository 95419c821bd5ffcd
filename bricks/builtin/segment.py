"""Classical segmentation: RES by rules, SOS by saliency + GrabCut, MASK-SEG by GrabCut, ADD-PRED by free space.

None of these understands what an object *is*. RES honours only what pixels can tell — a colour, a
position among the salient objects, sky / background / foreground / ground — and refuses any other
prompt with the command that installs the text-prompted model, rather than return a wrong mask.
Saliency and GrabCut run at a reduced resolution (long side 320) and the mask is scaled back up.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from lego_edit.bricks import imageops
from lego_edit.bricks.builtin import _cv, vocab
from lego_edit.bricks.registry import BrickContext, BrickError, NeedsSelection
from lego_edit.bricks.values import split_alpha

WORK_SIDE = 320  # long side at which saliency and GrabCut run
GRABCUT_ITERATIONS = 3
STABLE_IOU = 0.6  # SOS: masks from two saliency seeds must overlap this much
MAX_SUBJECT_SHARE = 0.75  # SOS: a "subject" covering more of the image is the scene, not a subject

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


def _seed_labels(sal8: np.ndarray, threshold: float) -> np.ndarray:
    h, w = sal8.shape
    seed = np.where(sal8 >= threshold, 255, 0).astype(np.uint8)
    labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    labels[seed > 0] = cv2.GC_PR_FGD
    k = max(3, round(0.03 * max(h, w)))
    labels[cv2.erode(seed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))) > 0] = cv2.GC_FGD
    b = max(2, round(0.02 * min(h, w)))
    band = np.zeros((h, w), bool)
    band[:b], band[-b:], band[:, :b], band[:, -b:] = True, True, True, True
    labels[band & (seed == 0)] = cv2.GC_BGD
    return labels


def _open(found: np.ndarray) -> np.ndarray:
    return cv2.morphologyEx(found, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))


def _salient_objects(ctx: BrickContext, rgb: np.ndarray, *, check: bool = False,
                     precheck: Callable[[np.ndarray, np.ndarray], None] | None = None) -> tuple[np.ndarray, float]:
    """0/255 mask of the salient objects at working resolution, and the scale used.

    With `check`, the result must be stable: GrabCut from a looser saliency seed must give nearly the
    same mask (IoU >= STABLE_IOU), or the subject is not clear enough to trust. `precheck(small, found)`
    runs before that second GrabCut, so a mask that fails it is refused at half the cost.
    """
    scale = _cv.scale_for(rgb.shape, WORK_SIDE)
    small = _cv.resize_to(rgb, scale)
    ctx.progress(0.05, "finding salient objects")
    sal8 = np.clip(_saliency(small) * 255, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(sal8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    found = _open(_grabcut(ctx, small, _seed_labels(sal8, max(1.0, otsu)), 0.2, 0.55 if check else 0.9))
    if check:
        if precheck is not None:
            precheck(small, found)
        looser = _open(_grabcut(ctx, small, _seed_labels(sal8, max(1.0, 0.7 * otsu)), 0.55, 0.9))
        agreement = _iou(found, looser)
        if agreement < STABLE_IOU:
            raise NeedsSelection(f"the main subject is not clear enough to segment offline (two saliency seeds "
                             f"agree on only {100 * agreement:.0f}% of it); {_cv.SELECT_OR_MODEL}")
    return found, scale


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x, y = a > 127, b > 127
    return float((x & y).sum() / max(1, (x | y).sum()))


def _box_coverage(mask: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x, y, w, h = box
    part = mask[max(0, y):y + h, max(0, x):x + w]
    return float((part > 127).mean()) if part.size else 0.0


def _person(ctx: BrickContext, small: np.ndarray, face: tuple[int, int, int, int]) -> np.ndarray:
    """GrabCut seeded with the face (certain), the head around it and a body box below it (probable)."""
    h, w = small.shape[:2]
    x, y, fw, fh = face
    labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    b = max(2, round(0.02 * min(h, w)))
    labels[:b], labels[:, :b], labels[:, -b:] = cv2.GC_BGD, cv2.GC_BGD, cv2.GC_BGD

    def box(x0: float, y0: float, x1: float, y1: float, value: int) -> None:
        labels[max(0, round(y0)):max(0, round(y1)), max(0, round(x0)):max(0, round(x1))] = value

    box(x - 1.3 * fw, y + 0.9 * fh, x + 2.3 * fw, h, cv2.GC_PR_FGD)  # shoulders and body, down to the edge
    box(x - 0.3 * fw, y - 0.5 * fh, x + 1.3 * fw, y + 1.1 * fh, cv2.GC_PR_FGD)  # hair, ears, chin
    box(x + 0.15 * fw, y + 0.1 * fh, x + 0.85 * fw, y + 0.95 * fh, cv2.GC_FGD)  # the face itself
    box(x + 0.3 * fw, y + 0.95 * fh, x + 0.7 * fw, min(h, y + 2.0 * fh), cv2.GC_FGD)  # neck and chest
    found = _open(_grabcut(ctx, small, labels, 0.2, 0.9))
    _fill_face(found, face)  # a detected face is the subject, all of it
    parts = [m for m, _, _ in _cv.components(found) if _box_coverage(m, face) > 0.5]
    person = _cv.fill_holes(parts[0]) if parts else found
    return _close_from_below(person)


def _close_from_below(person: np.ndarray) -> np.ndarray:
    """Background pockets that reach only the bottom edge (between the arms, a strap, a light sleeve) are
    the body: behind a person the background always reaches the top or a side of a portrait."""
    pockets = _cv.components(np.where(person > 127, 0, 255).astype(np.uint8))
    out = person.copy()
    for m, _, _ in pockets:
        if not (m[0].any() or m[:, 0].any() or m[:, -1].any()):
            out[m > 0] = 255
    return out


def _main_object(ctx: BrickContext, rgb: np.ndarray) -> np.ndarray:
    """The main subject, only when the evidence is clear: a person from a detected face (the whole face
    and the body below it), else a stable salient object that does not fill the frame."""
    scale = _cv.scale_for(rgb.shape, WORK_SIDE)
    small = _cv.resize_to(rgb, scale)
    found_faces = _cv.faces(small) or []
    if found_faces:
        ctx.progress(0.05, "found a face: segmenting the person")
        subject = _person(ctx, small, found_faces[0])
        fx, fy, fw, fh = found_faces[0]
        below = int(np.count_nonzero(subject[min(subject.shape[0], fy + fh):] > 127))
        if below < fw * fh:
            raise NeedsSelection("found a face but could not tell the person's body from the background; "
                             + _cv.SELECT_OR_MODEL)
    else:
        found, _ = _salient_objects(ctx, rgb, check=True, precheck=_edges_first)
        kept = _keep(found, min_fraction=0.003, relative=0.3)
        if not kept:
            raise NeedsSelection("found no salient object in the image; " + _cv.SELECT_OR_MODEL)
        subject = _union(kept)
    for face in found_faces:  # a mask edge through any face would cut a person in two
        if 0.1 < _box_coverage(subject, face) < 0.9:
            raise NeedsSelection("the subject mask would cut through a face; " + _cv.SELECT_OR_MODEL)
    share = float((subject > 127).mean())
    if share > MAX_SUBJECT_SHARE or _borders_touched_much(subject) >= 3:
        raise NeedsSelection(f"the salient region covers {100 * share:.0f}% of the image and most of its edges, so it "
                         "is not one subject; " + _cv.SELECT_OR_MODEL)
    full = _full_size(subject, rgb.shape)
    if found_faces:  # the detected face, all of it, at full resolution (no rim lost to rescaling)
        _fill_face(full, tuple(v / scale for v in found_faces[0]))
    _cv.check_edges(rgb, full, "the main subject")
    return full


def _fill_face(mask: np.ndarray, face: tuple[float, ...]) -> None:
    """Set the face's ellipse: a detector's box also holds background at its corners (beside the cheeks)."""
    x, y, w, h = face
    cv2.ellipse(mask, (round(x + w / 2), round(y + h / 2)), (max(1, round(0.5 * w)), max(1, round(0.6 * h))),
                0, 0, 360, 255, thickness=-1)


def _edges_first(small: np.ndarray, found: np.ndarray) -> None:
    kept = _keep(found, min_fraction=0.003, relative=0.3)
    if kept:
        _cv.check_edges(small, _union(kept), "the salient region")


def _borders_touched_much(mask: np.ndarray, fraction: float = 0.3) -> int:
    """How many image edges the mask runs along for at least `fraction` of their length."""
    edges = (mask[0], mask[-1], mask[:, 0], mask[:, -1])
    return sum(int((e > 127).mean() >= fraction) for e in edges)


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


def _by_colour(rgb: np.ndarray, colour: str, position: str | None, plural: bool, round_: bool) -> np.ndarray:
    """The region of the colour; an object, so regions running along two image edges come last.

    One region must stand out: a singular prompt without a position is refused when a second region
    of the colour is at least AMBIGUOUS times the largest; a round noun (ball, circle ...) must be
    round (ROUND_MIN).
    """
    found = _colour_mask(rgb, colour)
    parts = _cv.components(found, min_area=max(16, int(COLOUR_OBJECT_MIN * found.size)))
    if not parts:
        raise BrickError(f"there is no {colour} region in the image (none covers {100 * COLOUR_OBJECT_MIN:.2f}% of it)")
    objects = [p for p in parts if _borders_touched(p[0]) < 2 and not p[0][0].any()]
    if objects and objects[0][1] * EDGE_REGION_DOMINANT < parts[0][1] and not plural:
        raise NeedsSelection(f"most of the {colour} in the image runs along its edges (a background or a large object "
                             f"the frame cuts), and the other {colour} regions are much smaller, so 'the {colour} one' "
                             f"is unclear; {_cv.SELECT_OR_MODEL}")
    parts = objects or parts
    if position:
        chosen = [_pick(parts, position, rgb.shape)]
    elif plural:
        chosen = parts
    else:
        if len(parts) > 1 and parts[1][1] >= AMBIGUOUS * parts[0][1]:
            raise NeedsSelection(f"there are {len(parts)} {colour} regions of similar size, so 'the {colour} one' is "
                             f"unclear: name its position (left, right, top ...) or {_cv.SELECT_OR_MODEL}")
        chosen = parts[:1]
    if round_:
        for m, _, _ in chosen:
            roundness = _roundness(_cv.fill_holes(m))
            if roundness < ROUND_MIN:
                raise NeedsSelection(f"the {colour} region is not round (it fills {100 * roundness:.0f}% of its enclosing circle, a "
                                 f"ball or circle {100 * ROUND_MIN:.0f}%), so it may not be what was named; {_cv.SELECT_OR_MODEL}")
    for m, area, _ in chosen:
        enclosed = int(np.count_nonzero(_cv.fill_holes(m)))
        if enclosed > RING_MAX * area:
            raise NeedsSelection(f"the {colour} region is a ring around something else (it encloses {enclosed / area:.1f} "
                                 f"times its own area: a rim or a frame), so it may not be what was named; "
                                 + _cv.SELECT_OR_MODEL)
    # Small holes are highlights and shading; a large one is something else inside (a badge on a suit).
    max_hole = int(COLOUR_HOLE_MAX * found.size)
    mask = _cv.smooth_edges(_union([_cv.fill_holes(m, max_hole=max_hole) for m, _, _ in chosen]), 1.0)
    _cv.check_edges(rgb, mask, f"the {colour} region")
    return mask


def _by_position(ctx: BrickContext, rgb: np.ndarray, position: str) -> np.ndarray:
    """The salient object furthest in the named direction; with a single object, it must lie there."""
    found, scale = _salient_objects(ctx, rgb, check=True, precheck=_edges_first)  # the salient parts as SOS trusts them
    parts = _cv.components(found, min_area=max(1, int(0.003 * found.size)))
    # A far smaller piece is more likely a part of something (a tripod's leg, a corner of a flag) than an object.
    parts = [p for p in parts if p[1] >= POSITION_PART_MIN * parts[0][1]] if parts else []
    chosen = _pick(parts, position, found.shape) if len(parts) >= 2 else (parts[0] if parts else None)
    if chosen is not None and _share_on_side(chosen[0], position) >= ON_SIDE_MIN:
        mask = _full_size(_cv.fill_holes(chosen[0]), rgb.shape)
        _cv.check_edges(rgb, mask, f"the object on the {position}")
        return mask
    if len(parts) >= 2:
        raise NeedsSelection(f"the object furthest {position} is not on the {position} of the image, so 'the one "
                             f"on the {position}' is unclear; {_cv.SELECT_OR_MODEL}")
    # One object, elsewhere (or two objects merged into one): look for the salient object of that part only.
    region = _half_plane(rgb.shape, position)
    x0, y0, x1, y1 = imageops.nonempty_bbox(region)
    try:
        local = _main_object(ctx, np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    except BrickError:
        raise NeedsSelection(f"found no object on the {position} of the image that the rules can tell apart; "
                             + _cv.SELECT_OR_MODEL) from None
    out = np.zeros(rgb.shape[:2], np.uint8)
    out[y0:y1, x0:x1] = local
    _cv.check_edges(rgb, out, f"the object on the {position}")  # an object cut off at the half's edge fails here
    return out


POSITION_PART_MIN = 0.2  # 'the object on the left' is one of the salient parts at least this share of the largest
ON_SIDE_MIN = 0.7  # 'the object on the left': at least this share of it lies in the left half


def _share_on_side(mask: np.ndarray, position: str) -> float:
    inside = mask > 127
    return float(inside[_half_plane(mask.shape, position) > 0].sum() / max(1, inside.sum()))


SKY_TOP_SPAN = 0.6  # the sky must run along this fraction of the top edge
SKY_BOTTOM_MAX = 0.25  # ... and cover at most this fraction of the bottom thirtieth (else it is a wall or backdrop)
SKY_COLOURED_MIN = 0.3  # ... and at least this fraction of it must be blue or bright (not only dark smooth)


def _sky(rgb: np.ndarray) -> np.ndarray:
    """Smooth blue (or bright neutral / cool, overcast) pixels connected to the top edge.

    Honest only when it looks like a sky: it spans most of the top edge (SKY_TOP_SPAN), stays off the
    bottom of the image (a bright wall or paper reaching the bottom is not sky), is smooth, and
    covers 5% of the image at least. Warm light walls look like an overcast sky to a pixel rule, so
    bright pixels count only when neutral or cool.
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
    h, w = candidate.shape
    top = max(1, round(0.03 * h))
    parts = [m for m, area, _ in _cv.components(candidate, min_area=int(0.01 * candidate.size)) if m[:top].any()]
    span = np.count_nonzero(_union(parts)[:top].any(axis=0)) / w if parts else 0.0
    if span < SKY_TOP_SPAN:
        raise NeedsSelection(f"found no sky: no smooth blue or bright neutral region spans the top of the image "
                         f"({100 * span:.0f}% of it, {100 * SKY_TOP_SPAN:.0f}% needed); {_cv.SELECT_OR_MODEL}")
    sky = _cv.fill_holes(_union(parts), max_hole=int(0.002 * candidate.size))
    bottom = max(1, h // 30)
    low = float((sky[-bottom:] > 0).mean())
    if low > SKY_BOTTOM_MAX or (sky > 0).mean() < 0.05:
        raise NeedsSelection("found no sky: the smooth bright region at the top also fills the bottom of the image "
                         f"(a wall, paper or backdrop, not a sky); {_cv.SELECT_OR_MODEL}")
    # What reaches the bottom edge is ground or water coloured like the sky: the sky ends above it.
    sky[-bottom:] = 0
    sky = _union([m for m, _, _ in _cv.components(sky) if m[:top].any()] or [sky])
    return _full_size(sky, rgb.shape)


GROUND_SEPARATION = 15.0  # mean Delta-E between the ground and what lies just above it


def _ground(ctx: BrickContext, rgb: np.ndarray) -> np.ndarray:
    """Pixels coloured like the bottom edge and connected to it, minus the salient objects.

    Only a clearly separate bottom region counts: it spans most of the bottom edge, stays in the
    lower part (nothing in the top fifth, its bulk below 40% of the height), and differs from the
    band just above it by GROUND_SEPARATION; otherwise it is refused.
    """
    objects, scale = _salient_objects(ctx, rgb)
    small = cv2.GaussianBlur(_cv.resize_to(rgb, scale), (0, 0), 2)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    h, w = lab.shape[:2]
    band = np.ascontiguousarray(lab[-max(2, round(0.05 * h)):].reshape(-1, 3))
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(band, 3, None, (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0), 1,
                               cv2.KMEANS_PP_CENTERS)
    near = np.min([np.linalg.norm(lab - c, axis=2) for c in centres], axis=0) < 12
    candidate = np.where(near & (objects == 0), 255, 0).astype(np.uint8)
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    parts = [m for m, _, _ in _cv.components(candidate, min_area=int(0.01 * candidate.size)) if m[-2:].any()]
    refuse = NeedsSelection("found no clearly separate ground at the bottom of the image; " + _cv.SELECT_OR_MODEL)
    if not parts:
        raise refuse
    ground = _cv.fill_holes(_union(parts), max_hole=int(0.002 * candidate.size)) > 0
    rows = np.nonzero(ground.any(axis=1))[0]
    if (ground.sum() < 0.05 * ground.size or ground[-2:].any(axis=0).mean() < 0.6 or ground[: h // 5].any()
            or np.mean(np.nonzero(ground)[0] > 0.4 * h) < 0.85):
        raise refuse
    # what lies just above the ground's upper edge must look different from the ground
    above = np.zeros_like(ground)
    gap = max(3, round(0.04 * h))
    above[:-gap] = ground[gap:]
    above &= ~ground & ~(objects > 0)
    if rows.size == 0 or not above.any():
        raise refuse
    separation = float(np.linalg.norm(lab[ground].mean(axis=0) - lab[above].mean(axis=0)))
    if separation < GROUND_SEPARATION:
        raise refuse
    mask = _full_size(np.where(ground, 255, 0).astype(np.uint8), rgb.shape)
    _cv.check_edges(rgb, mask, "the ground")
    return mask


# Shape nouns the rules can verify on the chosen colour region: a round region (circularity >= ROUND_MIN).
_ROUND = {"ball", "balls", "circle", "circles", "disk", "disks", "disc", "discs", "sphere", "spheres", "dot", "dots",
          "round", "circular", "orb"}
COLOUR_OBJECT_MIN = 0.0015  # a colour region smaller than this share of the image is a speck (a lamp, a glint)
RING_MAX = 2.0  # a colour region enclosing more than this times its own area is a rim, not the object
COLOUR_HOLE_MAX = 0.004  # holes in a colour region up to this share of the image are filled
ROUND_MIN = 0.75  # area / area of the smallest enclosing circle (a disk ~1, a square 0.64, a 2:1 ellipse 0.5)
EDGE_REGION_DOMINANT = 2.0  # a colour region along two edges this many times the largest object makes it unclear
AMBIGUOUS = 0.5  # a second region of the colour this large (relative to the largest) makes "the <colour> one" unclear


def _roundness(mask: np.ndarray) -> float:
    contours, _ = cv2.findContours(np.where(mask > 127, 255, 0).astype(np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    if not contours:
        return 0.0
    c = max(contours, key=cv2.contourArea)
    _, radius = cv2.minEnclosingCircle(c)
    return float(np.count_nonzero(mask > 127) / max(np.pi * (radius + 0.5) ** 2, 1.0))


def _parse(prompt: str) -> tuple[str | None, str | None, str | None, bool, list[str], bool]:
    """(colour, position, region, plural, unknown words, round noun) of a RES prompt."""
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
        elif t not in _FILLER and t not in _ROUND and family is None and t not in _POSITIONS and t not in _REGIONS:
            unknown.append(t)  # (a second colour, position or region is ignored, not unknown)
    round_ = any(t in _ROUND for t in tokens)
    plural = any(t in _PLURAL or t in {"balls", "circles", "disks", "discs", "spheres", "dots"} for t in tokens)
    return colour, position, region, plural, unknown, round_


def segment_by_rules(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    """RES offline; a refusal that asks for a selection says what to select (the prompt)."""
    try:
        return _segment_by_rules(ctx, image, prompt)
    except NeedsSelection as exc:
        if exc.subject is None:
            exc.subject = " ".join(str(prompt).split()) or None
        raise


def _segment_by_rules(ctx: BrickContext, image: np.ndarray, prompt: str) -> dict:
    """Colour, position and broad-region prompts with generic nouns; anything else needs the model.

    Every content word must be one the rules can check: a colour, a position, a region (sky,
    background, foreground, ground), a generic noun (object, thing, area, part ...) or a round noun
    (ball, circle, disk: checked for roundness). A specific noun ("box", "tower", "person") is
    refused: the rules cannot tell a box from a bike of the same colour.
    """
    colour, position, region, plural, unknown, round_ = _parse(prompt)
    rgb, _ = split_alpha(image)
    if unknown:
        what = " ".join(unknown)
        raise NeedsSelection(f"segmenting '{prompt}': offline rules cannot tell what '{what}' is; {_cv.SELECT_OR_MODEL}. "
                             "Offline, RES understands colours ('red object', 'red ball'), positions ('the object on "
                             "the left') and sky / background / foreground / ground")
    if round_ and not colour:
        raise NeedsSelection(f"segmenting '{prompt}' offline needs a colour ('the red ball'); {_cv.SELECT_OR_MODEL}")
    if region and not colour:
        if region == "sky":
            mask = _sky(rgb)
        elif region == "ground":
            mask = _ground(ctx, rgb)
        else:
            objects = _main_object(ctx, rgb)
            mask = objects if region == "foreground" else (255 - objects)
    elif colour:
        mask = _by_colour(rgb, colour, position, plural, round_)
    elif position and "half" in _cv.words(prompt):
        mask = _half_plane(rgb.shape, position)
    elif position:
        mask = _by_position(ctx, rgb, position)
    else:
        raise NeedsSelection(f"segmenting '{prompt}' offline needs a colour, a position or a region in it; "
                             f"{_cv.SELECT_OR_MODEL}")
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
        raise NeedsSelection("predicting where to add an object without a selection needs the Builder VLM "
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
