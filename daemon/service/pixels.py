"""Pixels between the wire and the bricks: views on received frames, one swap for BGRA, PNG only when asked.

Raw RGBA8 and GRAY8 frames become numpy views on libzmq's buffer (no copy); a BGRA8 frame is
swapped to RGBA into a new array (never in place: in embedded use the frame may be the sender's own
buffer, even an immutable `bytes`); PNG is decoded with Pillow. Outgoing raw layers are the arrays themselves (sent
without copying); an unchanged PNG goes back as the very bytes the client sent.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from lego_edit.daemon.service.protocol import ProtocolError, WireImage


def _bgra_swap(array: np.ndarray) -> np.ndarray:
    """RGBA <-> BGRA (the same swap both ways), one pass with OpenCV."""
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_BGRA2RGBA)


class DecodeBudget:
    """A semaphore on bytes: PNG decodes of all jobs together hold at most `capacity` bytes at their peak."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.held = capacity, 0
        self._cond = threading.Condition()

    @contextmanager
    def hold(self, nbytes: int, role: str, cancel: threading.Event | None = None) -> Iterator[None]:
        if nbytes > self.capacity:
            raise ProtocolError("too_large", f"{role}: decoding this PNG needs about {nbytes >> 20} MiB; the daemon "
                                             f"allows {self.capacity >> 20} MiB (limits.decode_memory_mb)")
        with self._cond:
            while self.held + nbytes > self.capacity:
                if cancel is not None and cancel.is_set():
                    from lego_edit.bricks.executor import RunCancelled

                    raise RunCancelled()
                self._cond.wait(0.1)
            self.held += nbytes
        try:
            yield
        finally:
            with self._cond:
                self.held -= nbytes
                self._cond.notify_all()


def png_decode_bytes(data: bytes, role: str, width: int, height: int, max_pixels: int | None) -> int:
    """The peak bytes decoding `data` may take, read from its header only (Pillow opens lazily)."""
    from PIL import UnidentifiedImageError

    from lego_edit.bricks.imageio import pillow

    try:
        img = pillow().open(io.BytesIO(data))  # Pillow's bomb check off: the limit is ours, checked below
        w, h = img.size
        mode = img.mode
        raw = str(img.tile[0][3]) if img.tile else ""
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, IndexError, TypeError) as exc:
        raise ProtocolError("bad_request", f"{role}: the PNG cannot be read ({type(exc).__name__})") from None
    if (w, h) != (width, height):
        raise ProtocolError("bad_request", f"{role}: the PNG is {w}x{h}, its header said {width}x{height}")
    if max_pixels and w * h > max_pixels:
        raise ProtocolError("too_large", f"{role}: {w}x{h} is {w * h} pixels; the limit is {max_pixels}")
    deep = ";16" in raw or mode.startswith("I") or mode == "F"
    # the decoded file (8 bytes a pixel when 16-bit), its 8-bit RGBA and a conversion's temporary
    return w * h * ((8 + 4 + 8) if deep else (4 + 4 + 4))


def to_array(wire: WireImage, *, budget: DecodeBudget | None = None, max_pixels: int | None = None,
             cancel: threading.Event | None = None) -> np.ndarray:
    """An RGBA Image (role image) or a Mask (role mask), read-only where it is a view on the frame.

    Never writes into the received frame (the sender may still own it: the in-process Server is
    handed buffers zero-copy), so BGRA8 is swapped into a new array."""
    if wire.format == "PNG":
        from lego_edit.bricks.imageio import load_image, load_mask

        data = bytes(wire.data)  # the one copy imageio would make anyway (bytes() of bytes is the same object)
        need = png_decode_bytes(data, wire.role, wire.width, wire.height, max_pixels)
        with budget.hold(need, wire.role, cancel) if budget is not None else nullcontext():
            try:
                load = load_mask if wire.role == "mask" else load_image
                array = load(data, max_pixels=max_pixels)
            except MemoryError:
                raise
            except Exception as exc:  # a broken chunk, a truncated stream: the client's file, not a daemon bug
                raise ProtocolError("bad_request", f"{wire.role}: the PNG cannot be decoded: "
                                                   f"{type(exc).__name__}: {str(exc)[:200]}") from None
        if array.shape[:2] != (wire.height, wire.width):  # EXIF rotation can turn the picture
            raise ValueError(f"{wire.role}: the PNG decodes to {array.shape[1]}x{array.shape[0]}, "
                             f"not {wire.width}x{wire.height}")
        return array
    if wire.format == "GRAY8":
        return np.frombuffer(wire.data, np.uint8).reshape(wire.height, wire.width)
    view = np.frombuffer(wire.data, np.uint8).reshape(wire.height, wire.width, 4)
    if wire.format == "BGRA8":
        return _bgra_swap(view)  # into a new array: the frame may be the sender's own memory (zero-copy inproc)
    view.flags.writeable = False
    return view


@dataclass
class Passthrough:
    """The frame a request sent, kept so an unchanged image goes back as the very same bytes."""

    array: np.ndarray
    format: str
    data: memoryview

    @classmethod
    def of(cls, wire: WireImage, array: np.ndarray) -> Passthrough | None:
        """For BGRA8 and PNG frames (an RGBA8 image is its frame already); the frame is never written to."""
        if wire.format == "RGBA8":
            return None
        return cls(array, wire.format, wire.data)


def encode(value: np.ndarray, reply_format: str, passthrough: Passthrough | None = None) -> tuple[dict[str, Any], Any]:
    """(descriptor without its frame number, buffer to send) for an Image or a Mask."""
    height, width = value.shape[:2]
    mask = value.ndim == 2
    fmt = "PNG" if reply_format == "PNG" else ("GRAY8" if mask else reply_format)
    if passthrough is not None and passthrough.format == fmt and _same_memory(value, passthrough.array):
        return {"width": width, "height": height, "format": fmt}, passthrough.data
    if fmt == "PNG":
        from lego_edit.bricks.imageio import encode_png

        buffer: Any = encode_png(value)
    elif fmt == "BGRA8":
        buffer = _bgra_swap(value)
    else:
        buffer = np.ascontiguousarray(value)
    return {"width": width, "height": height, "format": fmt}, buffer


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `a` is `b` or a view of exactly the same pixels (the executor hands out views)."""
    return (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])
