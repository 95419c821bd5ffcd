"""Reading and writing Images and Masks as files (PNG, JPEG, WebP, TIFF, ...).

The working image is always uint8 RGBA (straight alpha). Reading also gives the source's
`FormatProfile` (gray / RGB / RGBA, 8 or 16 bits, alpha, file format) and, for deeper sources, the
source's own 16-bit pixels, so that `write_image` can follow the input: RGB stays RGB, grey stays
grey, 16-bit stays 16-bit where the format allows, and pixels the edit did not change keep their
16-bit values exactly.

16-bit and float inputs are scaled into 8 bits, never clipped (I;16 / I;16B, I, F, and 16-bit RGB(A)
PNG / TIFF, which Pillow cannot hold, through OpenCV). Pillow's decompression-bomb check is replaced
by our own limit, tested on the header's dimensions before anything is decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lego_edit.bricks.values import to_rgba

DEFAULT_MAX_PIXELS = 8192 * 8192  # the daemon config's limits.max_pixels default

# file extension -> format written
WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF"}
SUPPORTED_EXTENSIONS = ".png, .jpg/.jpeg, .webp, .tif/.tiff"
_DEEP_FORMATS = ("PNG", "TIFF")  # the formats written at 16 bits
GREY_TOLERANCE = 2  # 8-bit levels between R, G and B up to which a result from a grey source is still grey


class ImageReadError(ValueError):
    """An image that cannot be read; `code` says why in one word (for `--json`)."""

    code = "unreadable_image"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class ImageTooLarge(ImageReadError):
    code = "too_large"

    def __init__(self, name: str, width: int, height: int, limit: int) -> None:
        super().__init__(f"{name} is {width}x{height} ({width * height:,} pixels), over the limit of "
                         f"{limit:,} pixels", "too_large")
        self.width, self.height, self.limit = width, height, limit


class ImageWriteError(ValueError):
    """An image that cannot be written where asked (format, transparency, disk)."""

    code = "cannot_write"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


@dataclass
class FormatProfile:
    """What the source file was, so the output can follow it."""

    mode: str = "RGBA"  # "gray", "RGB" or "RGBA" (the colour model; alpha is `has_alpha`)
    bit_depth: int = 8  # 8 or 16 (float sources count as 16)
    has_alpha: bool = True
    format: str | None = None  # Pillow's name: "PNG", "JPEG", "TIFF", ...
    # the source's pixels at 16 bits (H x W x C, C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), oriented like the
    # working image; only for 16-bit sources
    source16: np.ndarray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "bit_depth": self.bit_depth, "has_alpha": self.has_alpha, "format": self.format}


_DEFAULT_PROFILE = FormatProfile(mode="RGB", bit_depth=8, has_alpha=False)


def _name(source: str | Path | bytes) -> str:
    return "the data" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)


def pillow():
    from PIL import Image

    # Our own limit (checked on the header in `_open`) replaces Pillow's bomb check, which would warn
    # from 89 M pixels and refuse from 179 M whatever the configured limit.
    Image.MAX_IMAGE_PIXELS = None
    return Image


def _open(source: str | Path | bytes, max_pixels: int | None = DEFAULT_MAX_PIXELS):
    """The Pillow image, header read and size checked, pixels not yet decoded."""
    Image = pillow()
    from PIL import UnidentifiedImageError

    name = _name(source)
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            img = Image.open(io.BytesIO(bytes(source)))
        else:
            img = Image.open(source)
    except FileNotFoundError:  # only a path can be missing
        raise ImageReadError(f"{name}: no such file", "no_such_file") from None
    except IsADirectoryError:
        raise ImageReadError(f"{name} is a folder, not an image", "unreadable_image") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageReadError(f"{name} is not a readable image ({exc.__class__.__name__})") from None
    width, height = img.size
    if max_pixels is not None and max_pixels > 0 and width * height > max_pixels:
        img.close()
        raise ImageTooLarge(name, width, height, max_pixels)
    return img


def _decode(img, name: str) -> None:
    try:
        img.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageReadError(f"{name} is not a readable image ({exc.__class__.__name__})") from None


def _orientation(img) -> int:
    try:
        return int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block is no reason to refuse the picture
        return 1


def _orient(array: np.ndarray, orientation: int) -> np.ndarray:
    """EXIF orientation applied to an H x W (x C) array, as ImageOps.exif_transpose does."""
    if orientation == 2:
        array = array[:, ::-1]
    elif orientation == 3:
        array = array[::-1, ::-1]
    elif orientation == 4:
        array = array[::-1]
    elif orientation == 5:
        array = array.swapaxes(0, 1)
    elif orientation == 6:
        array = np.rot90(array, -1)
    elif orientation == 7:
        array = array[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        array = np.rot90(array, 1)
    return np.ascontiguousarray(array)


def _rawmode(img) -> str:
    try:
        return str(img.tile[0][3]) if img.tile else ""
    except (IndexError, TypeError):
        return ""


def _to16(values: np.ndarray, mode: str) -> np.ndarray:
    """Pillow's I / F pixels as uint16, scaled (not clipped) into 0..65535."""
    values = values.astype(np.float64) if mode == "F" else values.astype(np.int64)
    if mode == "F":
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    values = np.maximum(values, 0)
    top = float(values.max()) if values.size else 0.0
    if mode == "F":  # floats: 0..1 is the usual range; else 0..255, 0..65535, else their own maximum
        scale = next((r for r in (1.0, 255.0, 65535.0) if top <= r), top)
    else:  # 32-bit integers (16-bit PNGs in older Pillow): 0..65535, else their own maximum
        scale = 65535.0 if top <= 65535 else top
    return np.rint(values * (65535.0 / scale)).astype(np.uint16)


def to8(values16: np.ndarray) -> np.ndarray:
    """16-bit values to the nearest 8-bit ones (v / 257 rounded)."""
    return ((values16.astype(np.uint32) + 128) // 257).astype(np.uint8)


def to16(values8: np.ndarray) -> np.ndarray:
    return values8.astype(np.uint16) * np.uint16(257)


def _read_deep_with_cv2(img, source: str | Path | bytes, name: str) -> np.ndarray:
    """A 16-bit RGB(A) / gray+alpha PNG or TIFF as uint16, RGB(A) channel order (OpenCV keeps all 16 bits)."""
    import cv2

    if isinstance(source, (bytes, bytearray, memoryview)):
        data = np.frombuffer(bytes(source), np.uint8)
    else:
        data = np.fromfile(str(source), np.uint8)
    logging = cv2.utils.logging
    previous = logging.setLogLevel(logging.LOG_LEVEL_ERROR)  # libtiff's warnings (e.g. on RGBA without ExtraSamples)
    try:
        array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    finally:
        logging.setLogLevel(previous)
    if array is None or array.dtype != np.uint16:
        raise ImageReadError(f"{name} is not a readable image (16-bit data OpenCV cannot decode)")
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 3:
        array = array[..., ::-1]
    elif array.shape[2] == 4:
        array = array[..., [2, 1, 0, 3]]
    if img.mode in ("LA", "La") and array.shape[2] == 4:  # gray + alpha: keep it gray
        array = array[..., [0, 3]]
    return np.ascontiguousarray(array)


def read_image(source: str | Path | bytes, *, max_pixels: int | None = DEFAULT_MAX_PIXELS,
               ) -> tuple[np.ndarray, FormatProfile]:
    """Any image file as (RGBA Image, its FormatProfile); EXIF orientation applied.

    Raises ImageTooLarge (before decoding) when width x height exceeds `max_pixels` (None or 0: no limit).
    """
    name = _name(source)
    img = _open(source, max_pixels)
    fmt = img.format
    mode = img.mode
    rawmode = _rawmode(img)  # before anything loads the pixels (a PNG's getexif() does)
    deep = mode.startswith("I") or mode == "F" or ";16" in rawmode
    opencv = deep and not (mode.startswith("I") or mode == "F")
    # EXIF orientation; a PNG's eXIf chunk after the pixels would need Pillow's 8-bit decode: not for OpenCV's
    orientation = 1 if opencv and fmt == "PNG" and "exif" not in img.info else _orientation(img)
    if deep:
        if opencv:  # 16-bit RGB / RGBA / LA, which Pillow would cut to 8 bits
            src = _read_deep_with_cv2(img, source, name)
        elif mode.startswith("I;16"):
            _decode(img, name)
            src = np.asarray(img).astype(np.uint16)[..., None]
        elif mode in ("I", "F"):
            _decode(img, name)
            src = _to16(np.asarray(img), mode)[..., None]
        else:
            _decode(img, name)
            src = _to16(np.asarray(img.convert("I")), "I")[..., None]
        img.close()
        src = _orient(src, orientation)
        channels = src.shape[2]
        profile = FormatProfile(mode="gray" if channels <= 2 else ("RGBA" if channels == 4 else "RGB"),
                                bit_depth=16, has_alpha=channels in (2, 4), format=fmt, source16=src)
        eight = to8(src)
        if channels == 1:
            image = to_rgba(eight[..., 0])
        elif channels == 2:
            image = np.dstack([eight[..., 0]] * 3 + [eight[..., 1]])
        else:
            image = to_rgba(eight)
        return np.ascontiguousarray(image), profile

    _decode(img, name)
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info) \
        or (mode in ("L", "RGB") and "transparency" in img.info)
    gray = mode in ("1", "L", "LA", "La")
    try:
        rgba = np.asarray(img.convert("RGBA"))
    except (OSError, ValueError) as exc:
        raise ImageReadError(f"{name} is not a readable image ({exc.__class__.__name__})") from None
    finally:
        img.close()
    profile = FormatProfile(mode="gray" if gray else ("RGBA" if has_alpha else "RGB"), bit_depth=8,
                            has_alpha=has_alpha, format=fmt)
    return to_rgba(_orient(rgba, orientation)), profile


def load_image(source: str | Path | bytes, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Any image file as an RGBA Image (EXIF orientation applied; 16-bit and float scaled to 8 bits)."""
    return read_image(source, max_pixels=max_pixels)[0]


def load_mask(source: str | Path | bytes, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """A mask file: grayscale as is; an image with transparency gives its alpha."""
    image, profile = read_image(source, max_pixels=max_pixels)
    if profile.has_alpha and image[..., 3].min() < 255:
        return np.ascontiguousarray(image[..., 3])
    if profile.mode == "gray":
        return np.ascontiguousarray(image[..., 0])
    from PIL import Image

    return np.ascontiguousarray(np.asarray(Image.fromarray(np.ascontiguousarray(image[..., :3])).convert("L")))


# -- writing ------------------------------------------------------------------------------------

def output_format(path: str | Path) -> str:
    """The format a path's extension asks for; ImageWriteError (one line naming the supported ones) otherwise."""
    suffix = Path(path).suffix.lower()
    fmt = WRITE_FORMATS.get(suffix)
    if fmt is None:
        what = f"unknown image extension {suffix!r}" if suffix else "no file extension"
        raise ImageWriteError(f"{path}: {what}; write one of {SUPPORTED_EXTENSIONS}", "unsupported_format")
    return fmt


@dataclass
class Written:
    """What `write_image` wrote."""

    path: Path
    format: str
    mode: str  # "gray", "RGB" or "RGBA" (gray with alpha is "gray" + has_alpha)
    has_alpha: bool
    bit_depth: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "mode": self.mode, "has_alpha": self.has_alpha, "bit_depth": self.bit_depth,
                **({"notes": self.notes} if self.notes else {})}


def _layout(array: np.ndarray, channels: int) -> np.ndarray:
    """H x W x C (C = 1, 2, 3, 4) pixels in another layout: gray <-> RGB, alpha added (opaque) or dropped."""
    top = np.iinfo(array.dtype).max
    have = array.shape[2]
    color = array[..., :1] if have <= 2 else array[..., :3]
    alpha = array[..., have - 1:] if have in (2, 4) else np.full(array.shape[:2] + (1,), top, array.dtype)
    if channels in (1, 2):
        color = color if color.shape[2] == 1 else color[..., :1]
    elif color.shape[2] == 1:
        color = np.repeat(color, 3, axis=2)
    parts = [color, alpha] if channels in (2, 4) else [color]
    return np.ascontiguousarray(np.concatenate(parts, axis=2))


def write_image(image: np.ndarray, path: str | Path, profile: FormatProfile | None = None,
                original: np.ndarray | None = None) -> Written:
    """Write an RGBA Image (or a Mask) following `profile` (default: RGB, 8 bits), in the format of the
    extension. RGB stays RGB while the result is opaque; gray stays gray while R = G = B (to within
    GREY_TOLERANCE levels: then their mean is written); 16 bits stay 16
    in PNG and TIFF, where pixels equal to `original` (the 8-bit working copy of the source) get the source's
    own 16-bit values back. JPEG cannot hold transparency: an opaque result loses its alpha, a transparent
    one is an ImageWriteError."""
    path = Path(path)
    fmt = output_format(path)
    profile = profile or _DEFAULT_PROFILE
    image = np.asarray(image)
    notes: list[str] = []
    if image.ndim == 2:  # a Mask: 8-bit gray in any format
        return _write(image[..., None], path, fmt, 8, "gray", False, notes)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageWriteError(f"{path}: cannot write an array of {image.dtype} {image.shape}")
    image = to_rgba(image)
    transparent = bool(image[..., 3].min() < 255)
    has_alpha = profile.has_alpha or transparent
    if fmt == "JPEG" and has_alpha:
        if transparent:
            raise ImageWriteError(f"{path}: JPEG has no transparency and this result is transparent; "
                                  "write PNG, WebP or TIFF instead", "no_transparency")
        has_alpha = False
    if fmt == "WEBP" and not transparent:  # libwebp stores no alpha channel for an opaque picture
        has_alpha = False
    gray = profile.mode == "gray" and _still_grey(image)
    if profile.mode == "gray" and not gray:
        notes.append("the result is no longer grey: written as RGB")
    if fmt == "WEBP" and gray:
        gray = False
        notes.append("WebP holds no grayscale: written as RGB")
    mode = "gray" if gray else ("RGBA" if has_alpha else "RGB")
    channels = (2 if has_alpha else 1) if gray else (4 if has_alpha else 3)
    bit_depth = profile.bit_depth if fmt in _DEEP_FORMATS else 8
    if profile.bit_depth > 8 and bit_depth == 8:
        notes.append(f"{fmt} holds 8 bits per channel: the {profile.bit_depth}-bit source is written at 8 bits")
    pixels = _layout(_grey(image) if gray else image, channels)
    if bit_depth == 16:
        pixels = to16(pixels)
        source = profile.source16
        if original is not None and source is not None and original.shape == image.shape \
                and source.shape[:2] == image.shape[:2]:
            same = (image == original).all(axis=2)
            pixels[same] = _layout(source, channels)[same]
        notes.append("16 bits kept: edited pixels carry 8-bit precision, unchanged pixels keep their 16-bit values")
    return _write(pixels, path, fmt, bit_depth, mode, has_alpha, notes)


def _still_grey(image: np.ndarray) -> bool:
    """R, G and B equal to within GREY_TOLERANCE levels everywhere (an edit through a colour space such as CIELAB
    brings an 8-bit grey back with channels 1 level apart)."""
    rgb = image[..., :3]
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    return bool(spread.max(initial=0) <= GREY_TOLERANCE)


def _grey(image: np.ndarray) -> np.ndarray:
    """R = G = B = their rounded mean (alpha kept)."""
    out = image.copy()
    mean = (image[..., :3].astype(np.uint16).sum(axis=2) + 1) // 3
    out[..., :3] = mean.astype(np.uint8)[..., None]
    return out


def _write(pixels: np.ndarray, path: Path, fmt: str, bit_depth: int, mode: str, has_alpha: bool,
           notes: list[str]) -> Written:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if bit_depth == 16 and pixels.shape[2] != 2:
            _write_cv2(pixels, path, fmt)
        else:
            if bit_depth == 16:  # 16-bit gray + alpha: Pillow and OpenCV write none; RGBA keeps all 16 bits
                pixels, mode = _layout(pixels, 4), "RGBA"
                notes.append("16-bit gray with alpha is written as 16-bit RGBA")
                _write_cv2(pixels, path, fmt)
            else:
                _write_pillow(pixels, path, fmt)
    except OSError as exc:
        raise ImageWriteError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return Written(path, fmt, mode, has_alpha, bit_depth, notes)


def _write_cv2(pixels: np.ndarray, path: Path, fmt: str) -> None:
    import cv2

    bgr = pixels
    if pixels.shape[2] == 3:
        bgr = pixels[..., ::-1]
    elif pixels.shape[2] == 4:
        bgr = pixels[..., [2, 1, 0, 3]]
    ok, data = cv2.imencode(".png" if fmt == "PNG" else ".tif", np.ascontiguousarray(bgr))
    if not ok:
        raise ImageWriteError(f"{path}: OpenCV could not encode the 16-bit {fmt}")
    path.write_bytes(data.tobytes())


def _write_pillow(pixels: np.ndarray, path: Path, fmt: str) -> None:
    from PIL import Image

    array = pixels[..., 0] if pixels.shape[2] == 1 else pixels
    img = Image.fromarray(np.ascontiguousarray(array))  # L, LA, RGB or RGBA by the channel count
    options: dict[str, Any] = {}
    if fmt == "JPEG":
        options = {"quality": 95}
    elif fmt == "WEBP":
        options = {"quality": 95}
    elif fmt == "TIFF":
        options = {"compression": "tiff_lzw"}
    elif fmt == "PNG":
        options = {"compress_level": 6}
    img.save(path, format=fmt, **options)


def save(array: np.ndarray, path: str | Path) -> Path:
    """An Image or Mask as it is (H x W -> L, H x W x 4 -> RGBA); the format from the extension, PNG without one."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = WRITE_FORMATS.get(path.suffix.lower(), "PNG")
    img = Image.fromarray(np.ascontiguousarray(array))  # 2-D -> L, H x W x 4 -> RGBA
    if fmt == "JPEG" and img.mode == "RGBA":
        img = img.convert("RGB")
    img.save(path, format=fmt)
    return path


def encode_png(array: np.ndarray, compress_level: int = 1) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()
