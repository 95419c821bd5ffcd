"""Image files as a user brings them: 16-bit and float sources, gray / RGB / RGBA kept, JPEG / WebP / TIFF out,
oversized images refused from their header, --json errors, and the sample photo's shape."""

from __future__ import annotations

import json
import struct
import time
import warnings
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from lego_edit.bricks.imageio import ImageTooLarge, _open, load_image, load_mask, read_image, save, write_image
from tests.conftest import red_disk_photo
from tests.test_cli import cli


def noisy16(rgb8: np.ndarray, seed: int = 0) -> np.ndarray:
    """A genuinely 16-bit version of an 8-bit picture: low bytes vary, each value still rounds to the 8-bit one."""
    rng = np.random.default_rng(seed)
    values = rgb8.astype(np.int32) * 257 + rng.integers(-120, 121, rgb8.shape)
    return np.clip(values, 0, 65535).astype(np.uint16)


def _swap(values: np.ndarray) -> np.ndarray:
    """RGB(A) <-> BGR(A), OpenCV's order."""
    if values.ndim == 2:
        return values
    return values[..., [2, 1, 0, 3]] if values.shape[2] == 4 else values[..., ::-1]


def write16(path, values: np.ndarray) -> None:
    """A 16-bit PNG / TIFF through OpenCV."""
    assert cv2.imwrite(str(path), np.ascontiguousarray(_swap(values)))


def read16(path) -> np.ndarray:
    values = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert values is not None
    return _swap(values)


def one_line(done) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lego-edit: error:"), done.stderr
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    return lines[0]


def json_error(done) -> dict:
    answer = json.loads(done.stdout)
    assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}, done.stdout
    return answer["error"]


def huge_png(width: int, height: int) -> bytes:
    """A 1-bit all-black PNG of any size in a few KB, written by hand (no image in memory)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = zlib.compress(b"\0" * (1 + (width + 7) // 8) * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def ball():
    return red_disk_photo(512)


# -- reading ------------------------------------------------------------------------------------

def test_deep_sources_are_scaled_not_clipped(tmp_path):
    ramp = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    expected = np.rint(ramp / 257).astype(np.uint8)
    Image.fromarray(ramp).save(tmp_path / "i16.png")  # I;16
    assert Image.open(tmp_path / "i16.png").mode == "I;16"
    Image.frombytes("I;16B", (64, 64), ramp.astype(">u2").tobytes()).save(tmp_path / "i16b.tif")
    assert Image.open(tmp_path / "i16b.tif").mode == "I;16B"
    Image.fromarray(ramp.astype(np.int32)).save(tmp_path / "i32.tif")  # I
    Image.fromarray(ramp.astype(np.float32) / 65535).save(tmp_path / "f01.tif")  # F in 0..1
    Image.fromarray(ramp.astype(np.float32) / 257).save(tmp_path / "f255.tif")  # F in 0..255
    for name in ("i16.png", "i16b.tif", "i32.tif", "f01.tif", "f255.tif"):
        image, profile = read_image(tmp_path / name)
        assert profile.mode == "gray" and profile.bit_depth == 16 and not profile.has_alpha, name
        assert np.abs(image[..., 0].astype(int) - expected).max() <= 1, name
        assert (image[..., 0] == image[..., 2]).all() and (image[..., 3] == 255).all()
    rgb = np.dstack([ramp, ramp[::-1], np.full_like(ramp, 30000)])
    for name in ("rgb16.png", "rgb16.tif"):
        write16(tmp_path / name, rgb)
        image, profile = read_image(tmp_path / name)
        assert (profile.mode, profile.bit_depth, profile.format) == ("RGB", 16, "PNG" if name.endswith("png") else "TIFF")
        assert np.array_equal(profile.source16, rgb)
        assert np.abs(image[..., :3].astype(int) - np.rint(rgb / 257)).max() <= 1
    rgba = np.dstack([rgb, ramp])
    write16(tmp_path / "rgba16.png", rgba)
    image, profile = read_image(tmp_path / "rgba16.png")
    assert (profile.mode, profile.has_alpha) == ("RGBA", True)
    assert np.abs(image.astype(int) - np.rint(rgba / 257)).max() <= 1
    assert np.abs(load_mask(tmp_path / "i16.png").astype(int) - expected).max() <= 1  # a 16-bit mask scales too


def test_eight_bit_profiles(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "l.png")
    Image.fromarray(np.dstack([rgb, np.full((8, 8), 9, np.uint8)])).save(tmp_path / "rgba.png")
    Image.fromarray(rgb).save(tmp_path / "rgb.jpg")
    got = {name: read_image(tmp_path / name)[1] for name in ("rgb.png", "l.png", "rgba.png", "rgb.jpg")}
    assert [(p.mode, p.bit_depth, p.has_alpha, p.format) for p in got.values()] == [
        ("RGB", 8, False, "PNG"), ("gray", 8, False, "PNG"), ("RGBA", 8, True, "PNG"), ("RGB", 8, False, "JPEG")]
    assert load_image(tmp_path / "rgb.png").shape == (8, 8, 4)


def test_pillows_bomb_check_is_ours(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(huge_png(14000, 14000))
    assert path.stat().st_size < 100_000
    with pytest.raises(ImageTooLarge) as caught:
        read_image(path)
    assert caught.value.limit == 8192 * 8192 and "14000x14000" in str(caught.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning or Error from Pillow itself
        _open(path, max_pixels=None).close()


# -- the CLI: bit depth and mode follow the input -------------------------------------------------

def test_16bit_gray_png_brightens_at_16_bits(tmp_path, ball):
    image, _ = ball
    gray = noisy16(cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)[:256, :256])
    write16(tmp_path / "photo16.png", gray)
    out = tmp_path / "out.png"
    done = cli("edit", tmp_path / "photo16.png", "make it brighter", "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    item = json.loads(done.stdout)["result"][0]
    assert (item["mode"], item["bit_depth"], item["format"]) == ("gray", 16, "PNG")
    assert Image.open(out).mode == "I;16"
    result = read16(out)
    assert result.dtype == np.uint16 and result.shape == gray.shape
    assert (result == 65535).mean() < 0.01  # not white: no clipping on the way in or out
    assert result.mean() > gray.mean() * 1.1  # visibly brighter
    assert np.corrcoef(result.ravel(), gray.ravel())[0, 1] > 0.9  # the same picture


def test_16bit_rgb_png_brightens_at_16_bits(tmp_path, ball):
    image, _ = ball
    rgb = noisy16(image[:256, :256, :3])
    write16(tmp_path / "photo16.png", rgb)
    out = tmp_path / "out.png"
    done = cli("edit", tmp_path / "photo16.png", "make it brighter", "-o", out)
    assert done.returncode == 0, done.stderr
    assert Image.open(out).mode == "RGB"
    result = read16(out)
    assert result.dtype == np.uint16 and result.shape == rgb.shape
    assert (result == 65535).all(axis=2).mean() < 0.01
    assert result.mean() > rgb.mean() * 1.1


def test_16bit_removal_keeps_the_untouched_pixels_exactly(tmp_path, ball):
    image, truth = ball
    rgb = noisy16(image[..., :3])
    write16(tmp_path / "photo16.png", rgb)
    out = tmp_path / "out.png"
    done = cli("edit", tmp_path / "photo16.png", "remove the red ball", "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["result"][0]["bit_depth"] == 16
    result = read16(out)
    assert result.dtype == np.uint16 and result.shape == rgb.shape
    far = cv2.dilate(truth, np.ones((51, 51), np.uint8)) == 0
    assert np.array_equal(result[far], rgb[far])  # outside the hole: the very 16-bit values of the source
    assert (result[truth > 0][:, 0].astype(int) - rgb[truth > 0][:, 0]).mean() < -50 * 257  # the red is gone


@pytest.mark.parametrize("kind", ["RGB", "L", "RGBA"])
def test_mode_follows_the_input(tmp_path, ball, kind):
    image, _ = ball
    picture = Image.fromarray(np.ascontiguousarray(image[:192, :192])).convert(kind)
    if kind == "RGBA":
        rgba = np.asarray(picture).copy()
        rgba[:40, :40, 3] = 0
        picture = Image.fromarray(rgba)
    picture.save(tmp_path / "in.png")
    out = tmp_path / "out.png"
    done = cli("edit", tmp_path / "in.png", "make it brighter", "-o", out)
    assert done.returncode == 0, done.stderr
    assert Image.open(out).mode == kind
    assert np.asarray(Image.open(out).convert("L")).mean() > np.asarray(picture.convert("L")).mean() + 5


def test_write_image_follows_the_profile(tmp_path):
    _, profile = read_image(_gray_file(tmp_path))
    colour = np.dstack([np.full((4, 4, 3), (200, 10, 10), np.uint8), np.full((4, 4), 255, np.uint8)])
    done = write_image(colour, tmp_path / "o.png", profile)  # a grey source edited into colour: RGB
    assert (done.mode, Image.open(tmp_path / "o.png").mode) == ("RGB", "RGB")
    holed = colour.copy()
    holed[0, 0, 3] = 0
    assert write_image(holed, tmp_path / "o2.png").mode == "RGBA"  # RGB gains alpha only when the edit needs it
    assert Image.open(tmp_path / "o2.png").mode == "RGBA"


def _gray_file(tmp_path):
    Image.fromarray(np.full((4, 4), 100, np.uint8)).save(tmp_path / "g.png")
    return tmp_path / "g.png"


# -- the CLI: formats ---------------------------------------------------------------------------

@pytest.mark.parametrize("suffix,fmt", [(".jpg", "JPEG"), (".webp", "WEBP"), (".tif", "TIFF")])
def test_jpeg_webp_tiff_out(tmp_path, ball, suffix, fmt):
    image, _ = ball
    save(image[:160, :240], tmp_path / "in.png")  # RGBA, opaque
    out = tmp_path / f"out{suffix}"
    done = cli("edit", tmp_path / "in.png", "make it brighter", "-o", out)
    assert done.returncode == 0, done.stderr
    written = Image.open(out)
    assert written.format == fmt and written.size == (240, 160)
    # RGBA in stays RGBA where the format keeps an opaque alpha (TIFF); JPEG has none, WebP drops an opaque one
    assert written.mode == ("RGBA" if fmt == "TIFF" else "RGB")
    assert np.asarray(written.convert("L")).mean() > np.asarray(Image.fromarray(image[:160, :240]).convert("L")).mean()


def test_jpeg_of_a_transparent_result_is_one_clear_error(tmp_path, ball):
    image, _ = ball
    rgba = image[:128, :128].copy()
    rgba[:20, :20, 3] = 0
    save(rgba, tmp_path / "in.png")
    out = tmp_path / "out.jpg"
    done = cli("edit", tmp_path / "in.png", "make it brighter", "-o", out, "--json")
    assert done.returncode == 1
    assert "JPEG has no transparency" in one_line(done) and "PNG" in done.stderr
    assert json_error(done)["code"] == "no_transparency"
    assert not out.exists()


@pytest.mark.parametrize("name,expected", [("out", "no file extension"), ("out.bmp", "unknown image extension")])
def test_bad_output_names_are_one_line(tmp_path, ball, name, expected):
    image, _ = ball
    save(image[:64, :64], tmp_path / "in.png")
    for extra in ((), ("--json",)):
        started = time.monotonic()
        done = cli("edit", tmp_path / "in.png", "make it brighter", "-o", tmp_path / name, *extra)
        assert done.returncode == 1
        line = one_line(done)
        assert expected in line and ".png" in line and ".jpg" in line and ".webp" in line and ".tif" in line
        if extra:
            assert json_error(done)["code"] == "unsupported_format"
        else:
            assert done.stdout == ""
        assert time.monotonic() - started < 60
    assert not (tmp_path / name).exists()


# -- the CLI: limits and errors -----------------------------------------------------------------

@pytest.mark.parametrize("side", [14000, 12000])
def test_oversized_images_are_refused_from_the_header(tmp_path, side):
    path = tmp_path / "huge.png"
    path.write_bytes(huge_png(side, side))
    started = time.monotonic()
    done = cli("edit", path, "make it brighter", "-o", tmp_path / "out.png", "--json")
    assert time.monotonic() - started < 30  # nothing decoded (a decode alone would take seconds and GBs)
    assert done.returncode == 1
    line = one_line(done)
    assert f"{side}x{side}" in line and "67,108,864" in line and "limits.max_pixels" in line
    assert "DecompressionBomb" not in done.stderr + done.stdout
    assert json_error(done)["code"] == "too_large"
    assert not (tmp_path / "out.png").exists()


def test_the_pixel_limit_is_read_from_the_config(tmp_path, ball):
    image, _ = ball
    save(image[:20, :20], tmp_path / "in.png")
    config = tmp_path / "config.toml"
    config.write_text("[limits]\nmax_pixels = 100\n")
    done = cli("edit", tmp_path / "in.png", "make it brighter", "-o", tmp_path / "out.png", "--config", config)
    assert done.returncode == 1 and "over the limit of 100 pixels" in one_line(done)
    config.write_text("[limits]\nmax_pixels = 400\n")
    done = cli("edit", tmp_path / "in.png", "make it brighter", "-o", tmp_path / "out.png", "--config", config)
    assert done.returncode == 0, done.stderr


def test_json_errors_go_to_stdout(tmp_path, ball):
    image, _ = ball
    save(image[:64, :64], tmp_path / "in.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    cases = {
        "no_such_file": ("edit", tmp_path / "missing.png", "make it brighter", "-o", tmp_path / "o.png"),
        "unreadable_image": ("edit", tmp_path / "junk.png", "make it brighter", "-o", tmp_path / "o.png"),
        "plan_refused": ("edit", tmp_path / "in.png", "what colour is the sky?", "-o", tmp_path / "o.png"),
        "bad_workflow": ("run", tmp_path / "junk.png", tmp_path / "in.png", "-o", tmp_path / "o.png"),
    }
    for code, args in cases.items():
        done = cli(*args, "--json")
        assert done.returncode == 1, args
        error = json_error(done)
        assert error["code"] == code, (args, error)
        assert error["message"] and error["message"] in one_line(done)
    assert not (tmp_path / "o.png").exists()


# -- the sample photo ---------------------------------------------------------------------------

def test_sample_keeps_the_photos_aspect_ratio(tmp_path):
    done = cli("sample", tmp_path / "sample.png", "--size", 480)
    assert done.returncode == 0, done.stderr
    assert "480x320" in done.stdout
    picture = Image.open(tmp_path / "sample.png")
    assert picture.size == (480, 320) and picture.mode == "RGB"  # the rocket photo is 640 x 427
    rgb = np.asarray(picture).astype(int)
    red = (rgb[..., 0] > 120) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    assert 0.005 < red.mean() < 0.05  # the red ball is there, round and in the frame
    done = cli("sample", tmp_path / "sample.jpg", "--size", 300)
    assert done.returncode == 0, done.stderr
    assert Image.open(tmp_path / "sample.jpg").size == (300, 200)


def test_16bit_tiff_keeps_unchanged_pixels(tmp_path):
    rgba = noisy16(np.random.default_rng(2).integers(0, 256, (32, 48, 4), np.uint8))
    write16(tmp_path / "in.tif", rgba)
    image, profile = read_image(tmp_path / "in.tif")
    assert (profile.mode, profile.bit_depth, profile.has_alpha) == ("RGBA", 16, True)
    edited = image.copy()
    edited[:8, :8, :3] = 255 - edited[:8, :8, :3]
    done = write_image(edited, tmp_path / "out.tif", profile, image)
    assert (done.format, done.mode, done.bit_depth) == ("TIFF", "RGBA", 16)
    result = read16(tmp_path / "out.tif")
    assert np.array_equal(result[8:], rgba[8:]) and np.array_equal(result[:, 8:], rgba[:, 8:])
    assert np.array_equal(result[:8, :8, :3], (255 - image[:8, :8, :3]).astype(np.uint16) * 257)
    again, profile2 = read_image(tmp_path / "out.tif")  # and it reads back the same, quietly
    assert profile2.bit_depth == 16 and np.array_equal(again, edited)
