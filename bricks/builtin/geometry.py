"""Geometry of the whole image: CROP (centred, to an aspect ratio), ROTATE, FLIP, STRAIGHTEN (ROTATE
by the tilt its straight lines show, then the largest crop without empty corners), TRIM (crop away
a plain border of one colour or of transparency), CROP-EDGES, CROP-TO and SCALE (a new size in pixels).

These change where pixels are, not what they are; CROP, STRAIGHTEN, TRIM and ROTATE (other than by right
angles) change the canvas size, so masks made before them no longer fit the result.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cv2
import numpy as np

from lego_edit.bricks.builtin import _adjust
from lego_edit.bricks.registry import BrickContext, BrickError

# --- CROP ---------------------------------------------------------------------------------------

ASPECT_NAMES = {"square": (1.0, 1.0)}
ASPECT_HELP = "'W:H' with positive numbers (e.g. '16:9', '1:1', '4:5', '2:1', '3:2') or 'square'"
_ASPECT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[:/]\s*(\d+(?:\.\d+)?)\s*$")


def parse_aspect(aspect: str) -> float:
    """Width / height of an aspect string; a BrickError naming the accepted forms otherwise."""
    text = str(aspect).strip().lower()
    if text in ASPECT_NAMES:
        w, h = ASPECT_NAMES[text]
        return w / h
    match = _ASPECT.match(text)
    if match:
        w, h = float(match.group(1)), float(match.group(2))
        if w > 0 and h > 0 and 0.01 <= w / h <= 100:
            return w / h
    raise BrickError(f"CROP: unknown aspect {aspect!r}; accepted: {ASPECT_HELP}")


def crop_box(width: int, height: int, ratio: float) -> tuple[int, int, int, int]:
    """(x0, y0, w, h) of the largest centred crop of aspect `ratio` (w / h) inside width x height."""
    if width / height > ratio:
        w, h = max(1, min(width, round(height * ratio))), height
    else:
        w, h = width, max(1, min(height, round(width / ratio)))
    return (width - w) // 2, (height - h) // 2, w, h


def centred(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """The w x h window in the middle of `image` (left / top get the odd pixel), as a new array."""
    height, width = image.shape[:2]
    x0, y0 = (width - w) // 2, (height - h) // 2
    return np.ascontiguousarray(image[y0:y0 + h, x0:x0 + w])


def crop(ctx: BrickContext, image: np.ndarray, aspect: str) -> dict:
    """The largest centred crop of the given aspect ratio (rounded to whole pixels)."""
    ratio = parse_aspect(aspect)
    height, width = image.shape[:2]
    _, _, w, h = crop_box(width, height, ratio)
    if (w, h) == (width, height):
        raise _adjust.unchanged("CROP", f"the image ({width}x{height}) already has the aspect {aspect}")
    return {"image": centred(image, w, h)}


# --- ROTATE -------------------------------------------------------------------------------------


def rotate(ctx: BrickContext, image: np.ndarray, angle: float) -> dict:
    """Rotate counter-clockwise by `angle` degrees. Multiples of 90 are exact (np.rot90); any other
    angle expands the canvas to hold the whole image, the new corners transparent (bicubic on
    premultiplied alpha, so edges do not darken)."""
    try:
        degrees = float(angle)
    except (TypeError, ValueError):
        raise BrickError(f"ROTATE: angle must be a number of degrees, got {angle!r}") from None
    if not math.isfinite(degrees):
        raise BrickError(f"ROTATE: angle must be a number of degrees, got {angle!r}")
    turn = degrees % 360.0
    if min(turn, 360.0 - turn) < 1e-6:
        raise _adjust.unchanged("ROTATE", f"rotating by {degrees:g} degrees leaves the image as it is")
    quarter = turn / 90.0
    if abs(quarter - round(quarter)) < 1e-6:
        return {"image": np.ascontiguousarray(np.rot90(image, int(round(quarter)) % 4))}
    h, w = image.shape[:2]
    rad = math.radians(turn)
    cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
    new_w, new_h = math.ceil(w * cos + h * sin - 1e-6), math.ceil(w * sin + h * cos - 1e-6)
    ctx.check_pixels(new_w, new_h, f"ROTATE by {degrees:g} degrees: the expanded canvas")
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), turn, 1.0)
    matrix[0, 2] += (new_w - w) / 2.0
    matrix[1, 2] += (new_h - h) / 2.0
    alpha = image[..., 3:4].astype(np.float32) / 255.0
    premultiplied = np.dstack([image[..., :3].astype(np.float32) * alpha, alpha * 255.0])
    warped = cv2.warpAffine(premultiplied, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    out_alpha = np.clip(warped[..., 3:4], 0.0, 255.0)
    rgb = np.where(out_alpha > 0.5, warped[..., :3] * 255.0 / np.maximum(out_alpha, 1e-6), 0.0)
    out = np.dstack([np.clip(rgb, 0, 255), out_alpha])
    return {"image": np.ascontiguousarray(np.rint(out).astype(np.uint8))}


# --- STRAIGHTEN ---------------------------------------------------------------------------------

STRAIGHTEN_MAX_ANGLE = 15.0  # degrees either way, the default search range
LEVEL_BELOW = 0.3  # degrees: a smaller tilt is "already level" (no one sees it; the crop would cost pixels)
_WORK_SIDE = 1200  # lines are found on a copy at most this long (an angle does not depend on scale)
_MIN_LENGTH = 0.03  # a line counts from 3 % of the long side
_BANDWIDTH = 0.5  # degrees: the kernel that finds where the lines' angles agree
_INLIER = 1.0  # degrees either side of that peak
_ENOUGH = 1.0  # agreeing lines must add up to this many long sides
_CLUSTER = 2.4  # ... and this many times the share of the candidate lines a uniform spread would put there
_RIVAL = 0.7  # a second peak this strong (2 degrees or more away) means the lines disagree
_EDGE_MARGIN = 2  # pixels given up on each side of the crop: the rotated border is anti-aliased


@dataclass(frozen=True)
class Tilt:
    """How far the picture's straight lines lean from level / plumb (degrees counter-clockwise, as ROTATE
    takes them), and the evidence: the total length of the lines that agree, in long sides of the image,
    and how many there are."""

    degrees: float
    support: float
    lines: int


def _bounded(value: float | None, default: float, low: float, high: float, rule: str) -> float:
    """An optional number input: `default` when not given; a BrickError saying `rule` unless it lies in [low, high]."""
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BrickError(f"{rule}, got {value!r}") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise BrickError(f"{rule}, got {value!r}")
    return number


def max_angle_of(value: float | None) -> float:
    """The search range in degrees: 15 when not given; a BrickError unless a number from 1 to 45."""
    return _bounded(value, STRAIGHTEN_MAX_ANGLE, 1.0, 45.0,
                    "STRAIGHTEN: max_angle must be a number of degrees between 1 and 45")


def _segments(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(deviation from the nearest of horizontal / vertical in degrees, length in long sides) of every
    straight segment OpenCV's line segment detector finds, leaving out those on the edge of transparency
    (a cut-out's outline or an earlier rotation's corners are not lines in the scene)."""
    height, width = image.shape[:2]
    scale = min(1.0, _WORK_SIDE / max(height, width))
    grey = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    clear = (image[..., 3] < 16).astype(np.uint8)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        clear = cv2.resize(clear, size, interpolation=cv2.INTER_NEAREST)
    found = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD).detect(grey)[0]
    if found is None:
        return np.zeros(0), np.zeros(0)
    x0, y0, x1, y1 = found.reshape(-1, 4).astype(np.float64).T
    if clear.any():
        near = cv2.dilate(clear, np.ones((7, 7), np.uint8))
        mx = np.clip(np.rint((x0 + x1) / 2), 0, grey.shape[1] - 1).astype(int)
        my = np.clip(np.rint((y0 + y1) / 2), 0, grey.shape[0] - 1).astype(int)
        keep = near[my, mx] == 0
        x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    # Image y points down: a line that rises to the right (turned counter-clockwise) has a negative angle.
    angle = np.degrees(np.arctan2(y1 - y0, x1 - x0))
    angle = (angle + 90.0) % 180.0 - 90.0  # [-90, 90): a segment has no direction
    deviation = np.where(np.abs(angle) <= 45.0, angle, angle - np.sign(angle) * 90.0)
    return deviation, np.hypot(x1 - x0, y1 - y0) / max(grey.shape)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def estimate_tilt(image: np.ndarray, max_angle: float = STRAIGHTEN_MAX_ANGLE) -> Tilt:
    """The tilt of the picture's near-level and near-plumb straight lines: the peak of their length-weighted
    angle density, refined as the length-weighted median of the lines within a degree of it. A BrickError
    saying why when there are too few such lines or two groups of them disagree."""
    deviation, length = _segments(image)
    candidate = (length >= _MIN_LENGTH) & (np.abs(deviation) <= max_angle)
    deviation, length = deviation[candidate], length[candidate]
    if length.sum() < _ENOUGH:
        raise BrickError(f"STRAIGHTEN: found no straight lines to level by (no horizon, edges or verticals within "
                         f"{max_angle:g} degrees of level); rotate by hand with ROTATE")
    grid = np.arange(-max_angle, max_angle + 1e-9, 0.05)
    density = (length[None, :] * np.exp(-0.5 * ((grid[:, None] - deviation[None, :]) / _BANDWIDTH) ** 2)).sum(axis=1)
    best = int(np.argmax(density))
    peak = float(grid[best])
    inlier = np.abs(deviation - peak) <= _INLIER
    support = float(length[inlier].sum())
    if support < _ENOUGH:
        raise BrickError(f"STRAIGHTEN: found no straight lines to level by (only short or scattered ones within "
                         f"{max_angle:g} degrees of level); rotate by hand with ROTATE")
    if support < min(0.6, _CLUSTER * _INLIER / max_angle) * float(length.sum()):
        raise BrickError(f"STRAIGHTEN: the straight lines disagree (their angles spread over {max_angle:g} degrees "
                         "either way with no clear tilt); rotate by hand with ROTATE")
    padded = np.pad(density, 1, constant_values=-1.0)
    local_peak = (density >= padded[:-2]) & (density >= padded[2:])
    rivals = np.flatnonzero(local_peak & (np.abs(grid - peak) >= 2.0))
    if rivals.size:
        rival = int(rivals[np.argmax(density[rivals])])
        if density[rival] >= _RIVAL * density[best]:
            raise BrickError(f"STRAIGHTEN: the straight lines disagree (some lean {-peak:.1f} degrees, others "
                             f"{-float(grid[rival]):.1f}), so there is no one tilt to correct; rotate by hand with ROTATE")
    # Turning the picture clockwise by the lines' lean levels them; ROTATE's angles are counter-clockwise.
    lean = -_weighted_median(deviation[inlier], length[inlier])
    return Tilt(degrees=lean, support=support, lines=int(inlier.sum()))


def inscribed_size(width: int, height: int, degrees: float) -> tuple[float, float]:
    """Width and height of the largest axis-aligned rectangle inside a width x height rectangle turned by
    `degrees`, centred on it (the closed form for the maximal-area case)."""
    rad = math.radians(abs(degrees))
    sin, cos = math.sin(rad), math.cos(rad)
    long_side, short_side = max(width, height), min(width, height)
    if short_side <= 2.0 * sin * cos * long_side or abs(sin - cos) < 1e-10:
        half = 0.5 * short_side  # a thin rectangle: the crop touches both long sides
        return (half / sin, half / cos) if width >= height else (half / cos, half / sin)
    cos2 = cos * cos - sin * sin
    return (width * cos - height * sin) / cos2, (height * cos - width * sin) / cos2


def straighten(ctx: BrickContext, image: np.ndarray, max_angle: float | None = None) -> dict:
    """Level the picture by its straight lines: ROTATE by the opposite of their tilt, then the largest
    centred crop that holds no empty corner, as a photo editor's straighten tool does."""
    limit = max_angle_of(max_angle)
    tilt = estimate_tilt(image, limit)
    if abs(tilt.degrees) < LEVEL_BELOW:
        raise _adjust.unchanged("STRAIGHTEN", f"the picture is already level (its straight lines lean "
                                f"{abs(tilt.degrees):.2f} degrees, under {LEVEL_BELOW:g})")
    ctx.progress(0.5, f"levelling by {tilt.degrees:+.1f} degrees ({tilt.lines} lines agree)")
    ctx.raise_if_cancelled()
    height, width = image.shape[:2]
    turned = rotate(ctx, image, -tilt.degrees)["image"]
    inner_w, inner_h = inscribed_size(width, height, tilt.degrees)
    w = min(width, math.floor(inner_w) - 2 * _EDGE_MARGIN)
    h = min(height, math.floor(inner_h) - 2 * _EDGE_MARGIN)
    if w < 1 or h < 1:
        raise BrickError(f"STRAIGHTEN: the image ({width}x{height}) is too small to crop after turning it by "
                         f"{tilt.degrees:.1f} degrees")
    return {"image": centred(turned, w, h)}


# --- FLIP ---------------------------------------------------------------------------------------

DIRECTIONS = {
    "horizontal": 1, "horizontally": 1, "left-right": 1, "mirror": 1,
    "vertical": 0, "vertically": 0, "up-down": 0, "upside down": 0, "upside-down": 0,
}


def flip(ctx: BrickContext, image: np.ndarray, direction: str) -> dict:
    """'horizontal' mirrors left-right (np.fliplr), 'vertical' flips top-bottom (np.flipud)."""
    key = str(direction).strip().lower()
    if key not in DIRECTIONS:
        raise BrickError(f"FLIP: unknown direction {direction!r}; accepted: 'horizontal' (mirror left-right) "
                         "or 'vertical' (top-bottom)")
    out = np.ascontiguousarray(np.fliplr(image) if DIRECTIONS[key] == 1 else np.flipud(image))
    if np.array_equal(out, image):
        raise _adjust.unchanged("FLIP", f"the image is symmetric, flipping it {key} changes no pixel")
    return {"image": out}


# --- TRIM ---------------------------------------------------------------------------------------

TRIM_TOLERANCE = 0.1  # how far (share of 255, on any premultiplied channel) a border pixel may be from the border colour
TRIM_SPECK = 3  # 8-connected groups of at most this many differing pixels are noise in the border, not picture
_TRIM_BAND = 512  # rows compared at a time, so a large image never needs a full-size premultiplied copy


@dataclass(frozen=True)
class Box:
    """The kept window: columns left..right-1, rows top..bottom-1."""

    left: int
    top: int
    right: int
    bottom: int


def window(image: np.ndarray, box: Box) -> np.ndarray:
    """The pixels inside `box`, as a new contiguous array (all channels, the dtype kept)."""
    return np.ascontiguousarray(image[box.top:box.bottom, box.left:box.right])


def tolerance_of(value: float | None) -> float:
    """TRIM's tolerance: 0.1 when not given; a BrickError unless a number from 0 to 1."""
    return _bounded(value, TRIM_TOLERANCE, 0.0, 1.0, "TRIM: tolerance must be a number from 0 to 1")


def _premultiplied(rgba: np.ndarray) -> np.ndarray:
    """RGBA (uint8) with colour times alpha, so every fully transparent pixel is the same (0, 0, 0, 0) whatever
    colour it hides, and a border of transparency compares like a border of colour."""
    rgba = np.ascontiguousarray(rgba)
    alpha = rgba[..., 3]
    if (alpha == 255).all():
        return rgba
    out = rgba.copy()
    out[..., :3] = cv2.multiply(np.ascontiguousarray(rgba[..., :3]), np.repeat(alpha[..., None], 3, axis=-1),
                                scale=1.0 / 255.0)
    return out


def _corners(image: np.ndarray) -> np.ndarray:
    """The premultiplied colours of the four corners in turn (top-left, top-right, bottom-right, bottom-left:
    neighbours in the list share an edge), each the median of the corner pixel and its neighbours along the two
    edges, so one noisy pixel does not decide and a border one pixel wide still counts."""
    h, w = image.shape[:2]
    out = []
    for y, x, dy, dx in ((0, 0, 1, 1), (0, w - 1, 1, -1), (h - 1, w - 1, -1, -1), (h - 1, 0, -1, 1)):
        ys, xs = [y, min(max(y + dy, 0), h - 1), y], [x, x, min(max(x + dx, 0), w - 1)]
        out.append(np.median(_premultiplied(image[ys, xs]), axis=0))
    return np.array(out, np.float32)


def border_colour(image: np.ndarray, tolerance: float) -> np.ndarray | None:
    """The premultiplied border colour: the one most corners share, at least both ends of one edge (a border
    on one side only has two such corners). None when no two neighbouring corners agree."""
    corners = _corners(image)
    limit = tolerance * 255.0
    best, agreeing = None, 0
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        if np.abs(a - b).max() <= limit:
            colour = (a + b) / 2.0
            count = int((np.abs(corners - colour).max(axis=1) <= limit).sum())
            if count > agreeing:
                best, agreeing = colour, count
    return best


def _off_border(image: np.ndarray, colour: np.ndarray, tolerance: float) -> np.ndarray:
    """True where a pixel is further than the tolerance from the border colour on any premultiplied channel."""
    limit = tolerance * 255.0
    lower = tuple(np.clip(np.ceil(colour - limit), 0, 255).tolist())
    upper = tuple(np.clip(np.floor(colour + limit), 0, 255).tolist())
    out = np.empty(image.shape[:2], bool)
    for y in range(0, image.shape[0], _TRIM_BAND):
        out[y:y + _TRIM_BAND] = cv2.inRange(_premultiplied(image[y:y + _TRIM_BAND]), lower, upper) == 0
    return out


def trim_box(off: np.ndarray) -> Box | None:
    """The bounding box of the pixels off the border colour, leaving out specks (8-connected groups of at most
    TRIM_SPECK pixels: JPEG noise, dust), so one stray pixel in the border does not stop the trim, while a thin
    line or the tapering tip of a shape, connected and longer, is kept. None when nothing but specks differs."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(off.view(np.uint8), connectivity=8)
    parts = stats[1:][stats[1:, cv2.CC_STAT_AREA] > TRIM_SPECK]
    if not len(parts):
        return None
    x, y = parts[:, cv2.CC_STAT_LEFT], parts[:, cv2.CC_STAT_TOP]
    return Box(int(x.min()), int(y.min()), int((x + parts[:, cv2.CC_STAT_WIDTH]).max()),
               int((y + parts[:, cv2.CC_STAT_HEIGHT]).max()))


def trim(ctx: BrickContext, image: np.ndarray, tolerance: float | None = None) -> dict:
    """Crop away the plain border, as ImageMagick's -trim or GIMP's "Crop to content" do: the border colour is
    the one the corners share (transparency when they are transparent); rows and columns are removed from each
    edge while all their pixels but specks are within the tolerance of it. No margin is left."""
    limit = tolerance_of(tolerance)
    colour = border_colour(image, limit)
    if colour is None:
        raise BrickError("TRIM: found no plain border to trim (the corners of the picture differ: there is no "
                         "single border colour)")
    kind = "transparency" if colour[3] <= limit * 255.0 else "colour"
    box = trim_box(_off_border(image, colour, limit))
    height, width = image.shape[:2]
    if box is None:
        raise BrickError(f"TRIM: the whole image ({width}x{height}) is border {kind} (a blank picture, or marks "
                         "too small to tell from noise): there is nothing to keep")
    if box == Box(0, 0, width, height):
        raise _adjust.unchanged("TRIM", "the picture has no plain border")
    ctx.progress(1.0, f"trimmed to {box.right - box.left}x{box.bottom - box.top} from {width}x{height}")
    return {"image": window(image, box)}


# --- CROP-EDGES ---------------------------------------------------------------------------------

SIDES = ("left", "right", "top", "bottom")


def _edge_pixels(value: float | None, side: str, length: int) -> int:
    """A side's cut in pixels: a number below 1 is a share of that dimension (0.1 = 10 %), 1 or more is pixels."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise BrickError(f"CROP-EDGES: {side} must be a number from 0 (a share of the image below 1, pixels from 1 "
                         f"up), got {value!r}")
    return int(round(value * length)) if value < 1 else int(round(value))


def crop_edges(ctx: BrickContext, image: np.ndarray, left: float | None = None, right: float | None = None,
               top: float | None = None, bottom: float | None = None) -> dict:
    """Cut the named edges off ("crop the bottom", "cut off the left third"): what a crop tool dragged in from
    one side does."""
    height, width = image.shape[:2]
    cut = {side: _edge_pixels(value, side, width if side in ("left", "right") else height)
           for side, value in zip(SIDES, (left, right, top, bottom), strict=True)}
    if not any(cut.values()):
        raise _adjust.unchanged("CROP-EDGES", "no edge is cut (every side is 0 or rounds to 0 pixels)")
    box = Box(cut["left"], cut["top"], width - cut["right"], height - cut["bottom"])
    if box.right - box.left < 1 or box.bottom - box.top < 1:
        raise BrickError(f"CROP-EDGES: cutting {', '.join(f'{s} {p} px' for s, p in cut.items() if p)} leaves "
                         f"nothing of the {width}x{height} image")
    ctx.progress(1.0, f"cropped to {box.right - box.left}x{box.bottom - box.top} from {width}x{height}")
    return {"image": window(image, box)}


# --- CROP-TO ------------------------------------------------------------------------------------

CROP_TO_MARGIN = 0.1  # room kept around the object, as a share of its box's larger side


def crop_to(ctx: BrickContext, image: np.ndarray, mask: np.ndarray, margin: float | None = None) -> dict:
    """Crop to the object a mask covers, with room around it ("zoom in on the dog", "crop to her face"): the
    mask's bounding box grown by the margin, clipped to the image."""
    room = _bounded(margin, CROP_TO_MARGIN, 0.0, 2.0, "CROP-TO: margin must be a number from 0 to 2 (a share of "
                                                       "the object's size)")
    height, width = image.shape[:2]
    if mask.shape[:2] != (height, width):
        raise BrickError(f"CROP-TO: the mask is {mask.shape[1]}x{mask.shape[0]}, the image {width}x{height}: make "
                         "the mask on this image")
    ys, xs = np.nonzero(mask > 127)
    if not len(ys):
        raise BrickError("CROP-TO: the mask is empty, so there is no object to crop to")
    pad = int(round(room * max(xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)))
    box = Box(max(0, int(xs.min()) - pad), max(0, int(ys.min()) - pad), min(width, int(xs.max()) + 1 + pad),
              min(height, int(ys.max()) + 1 + pad))
    if box == Box(0, 0, width, height):
        raise _adjust.unchanged("CROP-TO", "the object with its margin fills the whole image")
    ctx.progress(1.0, f"cropped to {box.right - box.left}x{box.bottom - box.top} around the object")
    return {"image": window(image, box)}


# --- SCALE --------------------------------------------------------------------------------------

SCALE_MAX_FACTOR = 8.0
SCALE_MAX_SIDE = 32768


def _side(value: float | None, name: str) -> int | None:
    """An optional side in whole pixels; a BrickError unless it is from 1 to SCALE_MAX_SIDE."""
    if value is None:
        return None
    return round(_bounded(value, 0.0, 1.0, SCALE_MAX_SIDE, f"SCALE: {name} must be from 1 to {SCALE_MAX_SIDE} pixels"))


def scale_size(width: int, height: int, new_width: float | None = None, new_height: float | None = None,
               factor: float | None = None) -> tuple[int, int, int, int]:
    """(scaled width, scaled height, final width, final height): a factor scales both sides; one side given keeps
    the aspect; both given with another aspect scale to cover that box, which a centred crop then cuts to it."""
    w, h = _side(new_width, "width"), _side(new_height, "height")
    if factor is not None:
        if w is not None or h is not None:
            raise BrickError("SCALE: give a factor or a size (width and/or height), not both")
        f = _bounded(factor, 1.0, 1e-3, SCALE_MAX_FACTOR,
                     f"SCALE: factor must be above 0 and at most {SCALE_MAX_FACTOR:g} (0.5 = half the size)")
        w, h = max(1, round(width * f)), max(1, round(height * f))
        return w, h, w, h
    if w is None and h is None:
        raise BrickError("SCALE: say the new size: a width, a height, both, or a factor (0.5 = half the size)")
    if h is None:
        h = max(1, round(height * w / width))  # type: ignore[operator]
        return w, h, w, h  # type: ignore[return-value]
    if w is None:
        w = max(1, round(width * h / height))
        return w, h, w, h
    cover = max(w / width, h / height)
    if abs(w / h - width / height) <= 0.01 * (width / height):
        return w, h, w, h
    return max(w, round(width * cover)), max(h, round(height * cover)), w, h


def scale(ctx: BrickContext, image: np.ndarray, width: float | None = None, height: float | None = None,
          factor: float | None = None) -> dict:
    """Resample the whole image (area averaging to shrink, Lanczos to enlarge, on premultiplied alpha so edges
    next to transparency keep their colour); a size of another aspect is filled, the overflow cropped evenly,
    so nothing is stretched."""
    h0, w0 = image.shape[:2]
    sw, sh, fw, fh = scale_size(w0, h0, width, height, factor)
    if (fw, fh) == (w0, h0):
        raise _adjust.unchanged("SCALE", f"the image is already {w0}x{h0}")
    ctx.check_pixels(sw, sh, f"SCALE to {fw}x{fh}: the resampled image")
    alpha = image[..., 3:4].astype(np.float32) / 255.0
    premultiplied = np.dstack([image[..., :3].astype(np.float32) * alpha, alpha * 255.0])
    shrinking = sw * sh < w0 * h0
    resized = cv2.resize(premultiplied, (sw, sh), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4)
    resized = resized.reshape(sh, sw, 4)
    out_alpha = np.clip(resized[..., 3:4], 0.0, 255.0)
    rgb = np.where(out_alpha > 0.5, resized[..., :3] * 255.0 / np.maximum(out_alpha, 1e-6), 0.0)
    out = np.rint(np.dstack([np.clip(rgb, 0, 255), out_alpha])).astype(np.uint8)
    return {"image": centred(out, fw, fh)}
