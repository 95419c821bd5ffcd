"""Reading and writing Images and Masks as files (PNG, JPEG, ...) with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from lego_edit.bricks.values import to_rgba


class ImageReadError(ValueError):
    pass


def _open(source: str | Path | bytes):
    from PIL import Image, UnidentifiedImageError

    name = "the data" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            img = Image.open(io.BytesIO(bytes(source)))
        else:
            img = Image.open(source)
        img.load()
        return img
    except FileNotFoundError:  # only a path can be missing
        raise ImageReadError(f"{name}: no such file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ImageReadError(f"{name} is not a readable image ({exc.__class__.__name__})") from None


def load_image(source: str | Path | bytes) -> np.ndarray:
    """Any image file as an RGBA Image (EXIF orientation applied)."""
    from PIL import ImageOps

    img = ImageOps.exif_transpose(_open(source))
    return to_rgba(np.asarray(img.convert("RGBA")))


def load_mask(source: str | Path | bytes) -> np.ndarray:
    """A mask file: grayscale as is; an image with transparency gives its alpha."""
    img = _open(source)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"))
        if rgba[..., 3].min() < 255:
            return np.ascontiguousarray(rgba[..., 3])
    return np.ascontiguousarray(np.asarray(img.convert("L")))


def save(array: np.ndarray, path: str | Path) -> Path:
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(array)).save(path)  # 2-D -> L, H x W x 4 -> RGBA
    return path


def encode_png(array: np.ndarray, compress_level: int = 1) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()
