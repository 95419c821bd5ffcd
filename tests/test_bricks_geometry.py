"""Geometry bricks (CROP, ROTATE, FLIP, STRAIGHTEN, TRIM, CROP-EDGES, CROP-TO) and GROW-MASK on real photos and synthetic lines."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from lego_edit.bricks import BrickError, default_registry
from lego_edit.bricks.builtin.geometry import inscribed_size
from lego_edit.bricks.executor import Executor, StepFailed
from lego_edit.bricks.workflow import Workflow
from tests.brick_helpers import frozen, photo, run, with_soft_alpha


@pytest.fixture(scope="module")
def coffee():
    return photo("coffee")  # 600 x 400


@pytest.fixture(scope="module")
def chelsea():
    return photo("chelsea")  # 451 x 300


@pytest.mark.parametrize("aspect, ratio", [("16:9", 16 / 9), ("1:1", 1.0), ("square", 1.0), ("4:5", 0.8),
                                           ("2:1", 2.0), ("9:16", 9 / 16), ("5/4", 1.25)])
def test_crop_gives_the_ratio_within_a_pixel_and_is_centred(coffee, aspect, ratio):
    out = run("CROP", image=coffee, aspect=aspect)["image"]
    h, w = out.shape[:2]
    H, W = coffee.shape[:2]
    assert abs(w - h * ratio) <= 1 and abs(h - w / ratio) <= 1
    assert w == W or h == H  # the largest crop: one side is whole
    x0, y0 = (W - w) // 2, (H - h) // 2
    assert np.array_equal(out, coffee[y0:y0 + h, x0:x0 + w])
    assert abs(x0 - (W - w - x0)) <= 1 and abs(y0 - (H - h - y0)) <= 1


def test_crop_refuses_its_own_aspect_and_unknown_aspects(coffee):
    with pytest.raises(BrickError, match="nothing to change"):
        run("CROP", image=coffee, aspect="3:2")  # coffee is 600 x 400
    for bad in ("wide", "16:0", "-1:2", ""):
        with pytest.raises(BrickError, match="16:9.*square"):
            run("CROP", image=coffee, aspect=bad)


@pytest.mark.parametrize("angle, k", [(90, 1), (180, 2), (270, 3), (-90, 3), (450, 1)])
def test_rotate_right_angles_are_exact(chelsea, angle, k):
    assert np.array_equal(run("ROTATE", image=chelsea, angle=angle)["image"], np.rot90(chelsea, k))


def test_rotate_30_keeps_the_whole_image_with_transparent_corners(chelsea):
    image = chelsea
    out = run("ROTATE", image=image, angle=30)["image"]
    h, w = image.shape[:2]
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    assert abs(out.shape[1] - (w * c + h * s)) <= 1 and abs(out.shape[0] - (w * s + h * c)) <= 1
    for corner in (out[0, 0], out[0, -1], out[-1, 0], out[-1, -1]):
        assert corner[3] == 0
    opaque = (out[..., 3] == 255).sum()
    visible = (out[..., 3] > 0).sum()
    assert opaque <= h * w <= visible and visible - opaque < 2 * (h + w) * 1.5  # all of it, with an anti-aliased rim
    # the centre pixel is the original's centre, and counter-clockwise means the top-right corner moves up-left
    cy, cx = out.shape[0] // 2, out.shape[1] // 2
    assert np.abs(out[cy, cx, :3].astype(int) - image[h // 2, w // 2, :3].astype(int)).max() < 30
    marker = np.zeros_like(image)
    marker[..., 3] = 255
    marker[:20, -20:, :3] = 255
    turned = run("ROTATE", image=frozen(marker), angle=30)["image"]
    ys, xs = np.nonzero(turned[..., 0] > 128)
    assert ys.mean() < 0.25 * turned.shape[0]  # near the top edge: the top-right corner went up and left


def test_rotate_keeps_soft_alpha_and_refuses_zero(chelsea):
    image = with_soft_alpha(chelsea)
    assert np.array_equal(run("ROTATE", image=image, angle=180)["image"][..., 3], np.rot90(image, 2)[..., 3])
    for angle in (0, 360, -720):
        with pytest.raises(BrickError, match="nothing to change"):
            run("ROTATE", image=chelsea, angle=angle)


def test_flip_equals_numpy(chelsea):
    assert np.array_equal(run("FLIP", image=chelsea, direction="horizontal")["image"], np.fliplr(chelsea))
    assert np.array_equal(run("FLIP", image=chelsea, direction="vertical")["image"], np.flipud(chelsea))
    with pytest.raises(BrickError, match="'horizontal'.*'vertical'"):
        run("FLIP", image=chelsea, direction="diagonal")
    symmetric = frozen(np.full((8, 8, 4), 200, np.uint8))
    with pytest.raises(BrickError, match="nothing to change"):
        run("FLIP", image=symmetric, direction="horizontal")


# --- STRAIGHTEN ---------------------------------------------------------------------------------


def _opaque_inside(image: np.ndarray, degrees: float) -> np.ndarray:
    """A tilted photo as a camera gives it: ROTATE's output cut to a centred window of the original's
    aspect that lies wholly inside the turned picture (3 px spare for the anti-aliased rim)."""
    h, w = image.shape[:2]
    turned = run("ROTATE", image=image, angle=degrees)["image"]
    c, s = math.cos(math.radians(abs(degrees))), math.sin(math.radians(abs(degrees)))
    scale = min(w / (w * c + h * s), h / (w * s + h * c))
    cw, ch = int(w * scale) - 6, int(h * scale) - 6
    y0, x0 = (turned.shape[0] - ch) // 2, (turned.shape[1] - cw) // 2
    out = turned[y0:y0 + ch, x0:x0 + cw]
    assert (out[..., 3] == 255).all()
    return frozen(out)


def _stripe_angle(image: np.ndarray) -> float:
    """The stripes' angle in degrees counter-clockwise from horizontal, from the structure tensor (image
    moments of the gradient) -- a measure that shares nothing with the brick's line detector."""
    grey = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float64)
    gx, gy = cv2.Sobel(grey, cv2.CV_64F, 1, 0, ksize=5), cv2.Sobel(grey, cv2.CV_64F, 0, 1, ksize=5)
    gx, gy = gx[8:-8, 8:-8], gy[8:-8, 8:-8]
    gradient = 0.5 * math.degrees(math.atan2(2 * (gx * gy).sum(), (gx * gx).sum() - (gy * gy).sum()))
    along = (gradient - 90.0 + 90.0) % 180.0 - 90.0  # the stripes run across their gradient
    return -along  # image y points down: counter-clockwise is a negative image angle


@pytest.fixture(scope="module")
def stripes():
    """Level horizontal stripes (period 24 px, soft-edged) over a smooth random texture, in colour."""
    rng = np.random.default_rng(7)
    h, w = 360, 480
    y = np.arange(h, dtype=np.float64)[:, None]
    band = 60.0 * np.tanh(3.0 * np.sin(2 * np.pi * y / 24.0)) * np.ones((1, w))
    texture = cv2.GaussianBlur(rng.normal(0, 40, (h, w)), (0, 0), 3)
    grey = np.clip(128 + band + texture, 0, 255)
    rgb = np.dstack([grey, grey * 0.8 + 30, grey * 0.6 + 60]).clip(0, 255).astype(np.uint8)
    return frozen(np.dstack([rgb, np.full((h, w), 255, np.uint8)]))


@pytest.fixture(scope="module")
def camera():
    return photo("camera")  # 512 x 512, level: the tripod, the buildings behind


@pytest.mark.parametrize("degrees", [6.0, -4.0])
def test_straighten_levels_tilted_stripes(stripes, degrees):
    tilted = _opaque_inside(stripes, degrees)
    assert abs(_stripe_angle(tilted) - degrees) < 0.3  # the measure sees the tilt ROTATE made
    out = run("STRAIGHTEN", image=tilted)["image"]
    assert abs(_stripe_angle(out)) < 0.5
    assert out.dtype == np.uint8 and out.shape[2] == 4 and (out[..., 3] == 255).all()  # no empty corner
    assert out.shape[0] < tilted.shape[0] and out.shape[1] < tilted.shape[1]
    # The largest crop: close to the closed-form rectangle inside the turned picture, less the margin.
    inner_w, inner_h = inscribed_size(tilted.shape[1], tilted.shape[0], degrees)
    assert inner_w - 8 <= out.shape[1] <= inner_w and inner_h - 8 <= out.shape[0] <= inner_h


def _residual_turn(original: np.ndarray, levelled: np.ndarray, span: float = 1.5, step: float = 0.1) -> float:
    """The angle (degrees, within +-span) that best turns the original's centre onto `levelled`, by
    normalised correlation over a grid of `step`: pixels against pixels, no lines involved."""
    ref = cv2.cvtColor(np.ascontiguousarray(original[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    got = cv2.cvtColor(np.ascontiguousarray(levelled[..., :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = ref.shape
    gh, gw = got.shape
    best, best_score = 0.0, -2.0
    for angle in np.arange(-span, span + step / 2, step):
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), float(angle), 1.0)
        turned = cv2.warpAffine(ref, m, (w, h), flags=cv2.INTER_LINEAR)
        y0, x0 = (h - gh) // 2, (w - gw) // 2
        window = turned[y0:y0 + gh, x0:x0 + gw]
        score = float(np.corrcoef(window.ravel(), got.ravel())[0, 1])
        if score > best_score:
            best, best_score = float(angle), score
    assert best_score > 0.8
    return best


def _centred_window(image: np.ndarray, shape) -> np.ndarray:
    y0, x0 = (image.shape[0] - shape[0]) // 2, (image.shape[1] - shape[1]) // 2
    return image[y0:y0 + shape[0], x0:x0 + shape[1]]


@pytest.mark.parametrize("degrees", [6.0, -4.0])
def test_straighten_levels_a_tilted_photo(camera, degrees):
    tilted = _opaque_inside(camera, degrees)
    out = run("STRAIGHTEN", image=tilted)["image"]
    assert abs(_residual_turn(camera, out)) <= 0.5
    before = _residual_turn(camera, _centred_window(tilted, out.shape), span=8.0, step=0.5)
    assert abs(before - degrees) <= 0.5  # the check sees the tilt ROTATE made
    assert (out[..., 3] == 255).all() and out.shape[0] < tilted.shape[0] and out.shape[1] < tilted.shape[1]



def test_straighten_refuses_a_level_photo(camera, stripes):
    for image in (camera, stripes):
        with pytest.raises(BrickError, match=r"STRAIGHTEN: nothing to change: the picture is already level"):
            run("STRAIGHTEN", image=image)


def test_straighten_refuses_pictures_without_straight_lines(chelsea):
    noise = frozen(np.dstack([np.random.default_rng(3).integers(0, 256, (300, 400, 3), dtype=np.uint8),
                              np.full((300, 400), 255, np.uint8)]))
    for image in (noise, chelsea):  # a cat's fur and whiskers are not a horizon
        with pytest.raises(BrickError, match="STRAIGHTEN: found no straight lines to level by") as err:
            run("STRAIGHTEN", image=image)
        assert "\n" not in str(err.value)


def test_straighten_refuses_lines_that_disagree():
    image = np.full((360, 480, 4), 255, np.uint8)
    image[..., :3] = 200
    for y in range(10, 170, 14):  # the top half leans 5 degrees one way, the bottom half 5 the other
        cv2.line(image, (0, y), (479, y - round(479 * math.tan(math.radians(5)))), (40, 40, 40, 255), 3)
    for y in range(200, 340, 14):
        cv2.line(image, (0, y), (479, y + round(479 * math.tan(math.radians(5)))), (40, 40, 40, 255), 3)
    with pytest.raises(BrickError, match=r"STRAIGHTEN: the straight lines disagree \(some lean 5.0 degrees, others -5.0\)"):
        run("STRAIGHTEN", image=frozen(image))
    # One line at every whole degree from -14 to 14: no angle stands out.
    spread = np.full((360, 480, 4), 255, np.uint8)
    spread[..., :3] = 200
    for i, degrees in enumerate(range(-14, 15)):
        cx, cy, t = 90 + (i % 5) * 75, 30 + (i // 5) * 55, math.radians(degrees)
        dx, dy = round(80 * math.cos(t)), round(80 * math.sin(t))
        cv2.line(spread, (cx - dx, cy - dy), (cx + dx, cy + dy), (40, 40, 40, 255), 3)
    with pytest.raises(BrickError, match="STRAIGHTEN: the straight lines disagree .*spread over 15 degrees"):
        run("STRAIGHTEN", image=frozen(spread))


def test_straighten_keeps_soft_alpha(stripes):
    tilted = _opaque_inside(stripes, 6.0)
    soft = with_soft_alpha(tilted)
    opaque_out = run("STRAIGHTEN", image=tilted)["image"]
    out = run("STRAIGHTEN", image=soft)["image"]
    assert out.shape == opaque_out.shape and out.dtype == np.uint8
    visible = out[..., 3] > 100
    assert np.abs(out[..., :3].astype(int) - opaque_out[..., :3].astype(int))[visible].max() <= 3
    # The left-to-right ramp, turned 6 degrees: still rising left to right, never cleared.
    columns = out[..., 3].astype(float).mean(axis=0)
    assert np.all(np.diff(columns) > 0) and out[..., 3].min() >= 40 and columns[-1] - columns[0] > 150


def test_straighten_max_angle(stripes):
    tilted = _opaque_inside(stripes, 6.0)
    with pytest.raises(BrickError, match="found no straight lines to level by.*within 3 degrees"):
        run("STRAIGHTEN", image=tilted, max_angle=3)
    assert abs(_stripe_angle(run("STRAIGHTEN", image=tilted, max_angle=8.0)["image"])) < 0.5
    for bad in ("lots", 0, 90, float("nan")):
        with pytest.raises(BrickError, match="max_angle must be a number of degrees between 1 and 45"):
            run("STRAIGHTEN", image=tilted, max_angle=bad)


def test_inscribed_size_is_the_largest_rectangle():
    for w, h, degrees in ((480, 360, 6.0), (360, 480, -4.0), (600, 100, 10.0), (300, 300, 45.0)):
        c, s = math.cos(math.radians(abs(degrees))), math.sin(math.radians(abs(degrees)))
        widths = np.linspace(1, w, 20000)
        # A centred W x H rectangle fits inside the turned one iff, seen in its frame, W c + H s <= w and W s + H c <= h.
        heights = np.minimum((w - widths * c) / s, (h - widths * s) / c)
        best = float((widths * np.clip(heights, 0, None)).max())
        iw, ih = inscribed_size(w, h, degrees)
        assert iw * c + ih * s <= w + 1e-6 and iw * s + ih * c <= h + 1e-6
        assert abs(iw * ih - best) <= 0.002 * best


def test_straighten_in_a_workflow_and_the_model_builders_prompt(stripes):
    from lego_edit.bricks.builtin.catalog import BY_NAME
    from lego_edit.builder.prompt import system_prompt

    spec = BY_NAME["STRAIGHTEN"]
    assert spec.family == "geometry" and [(p.name, p.optional) for p in spec.inputs] == [("image", False),
                                                                                         ("max_angle", True)]
    prompt = system_prompt(default_registry())
    assert f"### STRAIGHTEN\nPurpose: {spec.purpose}" in prompt and spec.constraints in prompt
    tilted = _opaque_inside(stripes, -4.0)
    workflow = Workflow.from_dict({"process": "level it", "pipeline": [
        {"step": 1, "model": "STRAIGHTEN", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]})
    executor = Executor(default_registry())
    try:
        (_, image), = executor.run(workflow, {"image": tilted}).result
        assert abs(_stripe_angle(image)) < 0.5 and image.shape[0] < tilted.shape[0]
        with pytest.raises(StepFailed, match="already level"):
            executor.run(workflow, {"image": stripes})
    finally:
        executor.close()


@pytest.fixture(scope="module")
def disk():
    mask = np.zeros((300, 400), np.uint8)
    cv2.circle(mask, (200, 150), 60, 255, -1)
    return frozen(mask)


def test_grow_mask_grows_monotonically_and_erodes_with_negative(disk):
    area = lambda m: int((m >= 128).sum())  # noqa: E731
    areas = [area(run("GROW-MASK", mask=disk, pixels=p)["mask"]) for p in (-30, -10, -2, 2, 10, 30)]
    areas.insert(3, area(disk))
    assert all(a < b for a, b in zip(areas, areas[1:], strict=False))
    grown = run("GROW-MASK", mask=disk, pixels=10)["mask"]
    assert abs(area(grown) - np.pi * 70 ** 2) < 0.03 * np.pi * 70 ** 2  # a true (Euclidean) 10 px
    assert np.all(grown[disk > 0] == 255)
    eroded = run("GROW-MASK", mask=disk, pixels=-10)["mask"]
    assert abs(area(eroded) - np.pi * 50 ** 2) < 0.03 * np.pi * 50 ** 2
    assert np.all(eroded[disk == 0] == 0)


def test_grow_mask_fraction_of_the_long_side(disk):
    by_fraction = run("GROW-MASK", mask=disk, pixels=0.025)["mask"]  # 2.5 % of 400 = 10 px
    assert np.array_equal(by_fraction, run("GROW-MASK", mask=disk, pixels=10)["mask"])


def test_grow_mask_refuses_nothing_to_do(disk):
    for pixels in (0, 0.0):
        with pytest.raises(BrickError, match="nothing to change"):
            run("GROW-MASK", mask=disk, pixels=pixels)
    with pytest.raises(BrickError, match="empty"):
        run("GROW-MASK", mask=np.zeros((10, 10), np.uint8), pixels=3)
    with pytest.raises(BrickError, match="nothing to change"):
        run("GROW-MASK", mask=np.full((10, 10), 255, np.uint8), pixels=3)


# --- TRIM ---------------------------------------------------------------------------------------

_PAD = ((13, 29), (7, 41))  # top, bottom; left, right: uneven on purpose


def _padded(image: np.ndarray, fill: tuple[int, int, int, int]) -> np.ndarray:
    (top, bottom), (left, right) = _PAD
    h, w = image.shape[:2]
    out = np.empty((h + top + bottom, w + left + right, 4), np.uint8)
    out[:] = fill
    out[top:top + h, left:left + w] = image
    return out


@pytest.mark.parametrize("fill", [(255, 255, 255, 255), (0, 0, 0, 255)], ids=["white", "black"])
def test_trim_returns_exactly_the_photo_inside_a_plain_border(coffee, fill):
    out = run("TRIM", image=frozen(_padded(coffee, fill)))["image"]
    assert out.dtype == np.uint8 and np.array_equal(out, coffee)


def test_trim_removes_transparent_padding_whatever_colour_it_hides(chelsea):
    padded = _padded(chelsea, (0, 0, 0, 0))
    clear = padded[..., 3] == 0
    padded[clear, :3] = np.random.default_rng(1).integers(0, 256, (int(clear.sum()), 3))  # hidden colours differ
    padded[:5, :, 3] = 9  # a faint haze at the top is still border at the default tolerance (0.1 = 25 levels)
    assert np.array_equal(run("TRIM", image=frozen(padded))["image"], chelsea)


@pytest.mark.parametrize("fill", [255, 0], ids=["white", "black"])
def test_trim_of_noisy_padding_is_within_a_pixel(coffee, fill):
    rng = np.random.default_rng(7)
    padded = _padded(coffee, (fill, fill, fill, 255))
    border = np.ones(padded.shape[:2], bool)
    (top, _), (left, _) = _PAD
    border[top:top + coffee.shape[0], left:left + coffee.shape[1]] = False
    noise = np.abs(rng.normal(0.0, 3.0, (int(border.sum()), 3)))  # JPEG-like grain in the flat border
    padded[border, :3] = np.clip(fill - noise if fill else noise, 0, 255).astype(np.uint8)
    specks = border & (rng.random(border.shape) < 0.0005)  # and a few stray specks of any colour
    padded[specks, :3] = rng.integers(0, 256, (int(specks.sum()), 3))
    out = run("TRIM", image=frozen(padded))["image"]
    assert abs(out.shape[0] - coffee.shape[0]) <= 1 and abs(out.shape[1] - coffee.shape[1]) <= 1
    h, w = coffee.shape[:2]
    # all of the photo, nothing of it cut, at most a pixel of border left on any side
    assert any(np.array_equal(out[y:y + h, x:x + w], coffee) for y in (0, 1) for x in (0, 1))


def test_trim_removes_a_bottom_line_of_white_only(coffee):
    lined = np.concatenate([coffee, np.full((1, coffee.shape[1], 4), 255, np.uint8)])
    assert np.array_equal(run("TRIM", image=frozen(lined))["image"], coffee)


def test_trim_keeps_the_tapering_edge_of_a_shape():
    logo = np.full((300, 400, 4), 255, np.uint8)
    cv2.circle(logo, (170, 140), 60, (20, 40, 200, 255), -1, lineType=cv2.LINE_AA)
    cv2.line(logo, (250, 40), (330, 260), (20, 40, 200, 255), 1, lineType=cv2.LINE_AA)  # a thin antialiased stroke
    ys, xs = np.nonzero((np.abs(logo[..., :3].astype(int) - 255) > 25).any(axis=-1))
    out = run("TRIM", image=frozen(logo))["image"]
    assert np.array_equal(out, logo[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
    stroke = np.full((300, 400, 4), 255, np.uint8)
    stroke[100:200, 50] = (0, 0, 0, 255)  # a one-pixel line: one pixel in each row, yet not noise
    assert np.array_equal(run("TRIM", image=frozen(stroke))["image"], stroke[100:200, 50:51])


def test_trim_keeps_soft_alpha(coffee):
    soft = with_soft_alpha(coffee)
    out = run("TRIM", image=frozen(_padded(soft, (255, 255, 255, 255))))["image"]
    assert np.array_equal(out[..., 3], soft[..., 3]) and np.array_equal(out, soft)


def test_trim_refuses_a_photo_without_a_border_and_a_blank_image(coffee):
    rocket = photo("rocket")
    for image in (coffee, rocket):  # coffee's corners differ; rocket's top corners share a sky that is not plain
        with pytest.raises(BrickError, match="no plain border"):
            run("TRIM", image=image)
    with pytest.raises(BrickError, match="found no plain border to trim"):
        run("TRIM", image=coffee)
    with pytest.raises(BrickError, match="nothing to change: the picture has no plain border"):
        run("TRIM", image=rocket)
    for blank in (np.full((120, 90, 4), 255, np.uint8), np.zeros((64, 64, 4), np.uint8)):
        with pytest.raises(BrickError, match="whole image .* is border"):
            run("TRIM", image=frozen(blank))


def test_trim_tolerance(coffee):
    padded = _padded(coffee, (255, 255, 255, 255))
    h, w = padded.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    paper = np.rint(232 + 23 * (xx / (w - 1) + yy / (h - 1)) / 2).astype(np.uint8)  # a scan's uneven paper
    border = np.ones(padded.shape[:2], bool)
    (top, _), (left, _) = _PAD
    border[top:top + coffee.shape[0], left:left + coffee.shape[1]] = False
    padded[..., :3] = np.where(border[..., None], paper[..., None], padded[..., :3])
    assert np.array_equal(run("TRIM", image=frozen(padded))["image"], coffee)  # 23 levels corner to corner
    with pytest.raises(BrickError, match="found no plain border"):
        run("TRIM", image=frozen(padded), tolerance=0.02)  # 5 levels: neighbouring corners differ by 11
    for bad in (-0.1, 1.5, "wide", float("nan")):
        with pytest.raises(BrickError, match="tolerance must be a number from 0 to 1"):
            run("TRIM", image=coffee, tolerance=bad)


def test_trim_in_a_workflow_and_the_model_builders_prompt(chelsea):
    from lego_edit.bricks.builtin.catalog import BY_NAME
    from lego_edit.builder.prompt import system_prompt

    spec = BY_NAME["TRIM"]
    assert spec.family == "geometry" and [(p.name, p.optional) for p in spec.inputs] == [("image", False),
                                                                                         ("tolerance", True)]
    prompt = system_prompt(default_registry())
    assert f"### TRIM\nPurpose: {spec.purpose}" in prompt and spec.constraints in prompt
    workflow = Workflow.from_dict({"process": "remove the white space", "pipeline": [
        {"step": 1, "model": "TRIM", "input": {"image": "init[image]"}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]})
    executor = Executor(default_registry())
    try:
        (_, image), = executor.run(workflow, {"image": frozen(_padded(chelsea, (255, 255, 255, 255)))}).result
        assert np.array_equal(image, chelsea)
        with pytest.raises(StepFailed, match="TRIM: found no plain border"):
            executor.run(workflow, {"image": chelsea})
    finally:
        executor.close()


# --- CROP-EDGES and CROP-TO --------------------------------------------------------------------------

@pytest.mark.parametrize("cuts, box", [({"bottom": 0.25}, (0, 0, 600, 300)), ({"left": 1 / 3}, (200, 0, 600, 400)),
                                       ({"top": 40, "right": 0.1}, (0, 40, 540, 400)),
                                       ({"left": 0.1, "right": 0.1, "top": 0.1, "bottom": 0.1}, (60, 40, 540, 360))])
def test_crop_edges_cuts_exactly_the_named_sides(coffee, cuts, box):
    out = run("CROP-EDGES", image=coffee, **cuts)["image"]
    left, top, right, bottom = box
    assert out.shape == (bottom - top, right - left, 4) and out.dtype == coffee.dtype
    assert np.array_equal(out, coffee[top:bottom, left:right])


def test_crop_edges_keeps_soft_alpha_and_refuses_no_cut_or_everything(coffee):
    soft = with_soft_alpha(coffee)
    assert np.array_equal(run("CROP-EDGES", image=soft, right=0.5)["image"][..., 3], soft[:, :300, 3])
    with pytest.raises(BrickError, match="nothing to change"):
        run("CROP-EDGES", image=coffee)
    with pytest.raises(BrickError, match="nothing to change"):
        run("CROP-EDGES", image=coffee, top=0.0001)  # rounds to no pixel
    with pytest.raises(BrickError, match="leaves nothing"):
        run("CROP-EDGES", image=coffee, left=0.6, right=0.5)
    for bad in (-0.1, "a bit", float("nan"), True):
        with pytest.raises(BrickError, match="left must be a number"):
            run("CROP-EDGES", image=coffee, left=bad)


def _square_mask(shape, top, left, size):
    mask = np.zeros(shape[:2], np.uint8)
    mask[top:top + size, left:left + size] = 255
    return frozen(mask)


def test_crop_to_is_the_masks_box_with_its_margin_clipped_at_the_edges(coffee):
    out = run("CROP-TO", image=coffee, mask=_square_mask(coffee.shape, 100, 200, 100))["image"]
    assert np.array_equal(out, coffee[90:210, 190:310])  # 10 % of 100 px each side
    out = run("CROP-TO", image=coffee, mask=_square_mask(coffee.shape, 100, 200, 100), margin=0)["image"]
    assert np.array_equal(out, coffee[100:200, 200:300])
    corner = run("CROP-TO", image=coffee, mask=_square_mask(coffee.shape, 0, 0, 50), margin=0.5)["image"]
    assert np.array_equal(corner, coffee[0:75, 0:75])  # no room beyond the image


def test_crop_to_refuses_an_empty_mask_a_full_window_and_a_mask_of_another_size(coffee):
    with pytest.raises(BrickError, match="mask is empty"):
        run("CROP-TO", image=coffee, mask=frozen(np.zeros(coffee.shape[:2], np.uint8)))
    with pytest.raises(BrickError, match="nothing to change"):
        run("CROP-TO", image=coffee, mask=_square_mask(coffee.shape, 10, 110, 380), margin=0.3)
    with pytest.raises(BrickError, match="make the mask on this image"):
        run("CROP-TO", image=coffee, mask=frozen(np.zeros((10, 10), np.uint8)))
    with pytest.raises(BrickError, match="margin must be"):
        run("CROP-TO", image=coffee, mask=_square_mask(coffee.shape, 100, 200, 100), margin=5)


def test_crop_to_the_salient_object_in_a_workflow():
    image = np.full((240, 320, 4), 128, np.uint8)
    image[60:140, 180:260, :3] = (220, 30, 30)  # a red square on grey
    workflow = Workflow.from_dict({"process": "zoom in on the red square", "pipeline": [
        {"step": 1, "model": "SOS", "input": {"image": "init[image]"}, "output": {"mask": "step1[mask]"}},
        {"step": 2, "model": "CROP-TO", "input": {"image": "init[image]", "mask": "step1[mask]"},
         "output": {"image": "step2[image]"}},
        {"result": "[step2[image]]"}]})
    executor = Executor(default_registry())
    try:
        (_, out), = executor.run(workflow, {"image": frozen(image)}).result
    finally:
        executor.close()
    red = np.all(out[..., :3] == (220, 30, 30), axis=-1)
    assert red.sum() == 80 * 80  # the whole object is kept
    assert 80 <= out.shape[0] <= 110 and 80 <= out.shape[1] <= 110  # and little else


# --- SCALE ----------------------------------------------------------------------------------------


def test_scale_to_a_size_of_the_same_aspect_matches_an_area_resize(coffee):
    h, w = coffee.shape[:2]  # 400 x 600
    out = run("SCALE", image=frozen(coffee), width=300, height=200)["image"]
    assert out.shape == (200, 300, 4)
    reference = cv2.resize(np.ascontiguousarray(coffee[..., :3]), (300, 200), interpolation=cv2.INTER_AREA)
    assert np.abs(out[..., :3].astype(int) - reference).max() <= 1
    assert (h, w) == (400, 600)


def test_scale_by_a_factor_or_one_side_keeps_the_aspect(coffee):
    assert run("SCALE", image=coffee, factor=0.5)["image"].shape == (200, 300, 4)
    assert run("SCALE", image=coffee, width=900)["image"].shape == (600, 900, 4)
    assert run("SCALE", image=coffee, height=100)["image"].shape == (100, 150, 4)
    bigger = run("SCALE", image=coffee, factor=2)["image"]
    assert bigger.shape == (800, 1200, 4)
    # enlarging adds no new colours beyond the source's range (Lanczos clipped)
    assert bigger[..., :3].min() >= 0 and abs(bigger[..., :3].astype(float).mean() - coffee[..., :3].mean()) < 2


def test_scale_to_another_aspect_fills_and_crops_evenly_instead_of_stretching(coffee):
    out = run("SCALE", image=coffee, width=200, height=200)["image"]  # 3:2 to 1:1
    assert out.shape == (200, 200, 4)
    # the middle of the photo, not a squashed whole: the same as scaling the height to 200 and cropping the centre
    cover = cv2.resize(np.ascontiguousarray(coffee[..., :3]), (300, 200), interpolation=cv2.INTER_AREA)
    assert np.abs(out[..., :3].astype(int) - cover[:, 50:250]).max() <= 1


def test_scale_keeps_alpha_and_the_colour_next_to_transparency(chelsea):
    image = with_soft_alpha(chelsea)
    out = run("SCALE", image=image, factor=0.5)["image"]
    assert out.shape[:2] == (round(chelsea.shape[0] / 2), round(chelsea.shape[1] / 2))
    alpha = cv2.resize(image[..., 3], (out.shape[1], out.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(out[..., 3].astype(int) - alpha).max() <= 1
    edge = (out[..., 3] > 20) & (out[..., 3] < 235)
    inside = out[..., 3] >= 235
    # premultiplied: half-transparent pixels are not darkened toward the black of the transparent ones
    assert out[..., :3][edge].mean() > 0.8 * out[..., :3][inside].mean()


def test_scale_refuses_no_size_its_own_size_and_bad_values(coffee):
    with pytest.raises(BrickError, match="say the new size"):
        run("SCALE", image=coffee)
    with pytest.raises(BrickError, match="nothing to change: the image is already 600x400"):
        run("SCALE", image=coffee, width=600)
    with pytest.raises(BrickError, match="not both"):
        run("SCALE", image=coffee, width=100, factor=0.5)
    with pytest.raises(BrickError, match="factor must be above 0"):
        run("SCALE", image=coffee, factor=-1)
    with pytest.raises(BrickError, match="width must be from 1"):
        run("SCALE", image=coffee, width=0)
