"""Pixels between the wire and the bricks: views on received frames, one swap for BGRA, PNG only when asked.

Raw RGBA8 and GRAY8 frames become numpy views on libzmq's buffer (no copy); a BGRA8 frame is
swapped to RGBA in place (no new buffer: fresh 33 MB allocations cost more in page faults than the
swap itself); PNG is decoded with Pillow. Outgoing raw layers are the arrays themselves (sent
without copying); an unchanged PNG goes back as the very bytes the client sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lego_edit.daemon.service.protocol import WireImage


def _bgra_swap(array: np.ndarray) -> np.ndarray:
    """RGBA <-> BGRA (the same swap both ways), one pass with OpenCV."""
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_BGRA2RGBA)


def to_array(wire: WireImage) -> np.ndarray:
    """An RGBA Image (role image) or a Mask (role mask), read-only where it is a view on the frame."""
    if wire.format == "PNG":
        from lego_edit.bricks.imageio import load_image, load_mask

        data = bytes(wire.data)  # the one copy imageio would make anyway (bytes() of bytes is the same object)
        array = load_mask(data) if wire.role == "mask" else load_image(data)
        if array.shape[:2] != (wire.height, wire.width):  # EXIF rotation can turn the picture
            raise ValueError(f"{wire.role}: the PNG decodes to {array.shape[1]}x{array.shape[0]}, "
                             f"not {wire.width}x{wire.height}")
        return array
    if wire.format == "GRAY8":
        return np.frombuffer(wire.data, np.uint8).reshape(wire.height, wire.width)
    view = np.frombuffer(wire.data, np.uint8).reshape(wire.height, wire.width, 4)
    if wire.format == "BGRA8":
        if view.flags.writeable:  # the received frame is ours: swap in place rather than fill a new buffer
            import cv2

            return cv2.cvtColor(view, cv2.COLOR_BGRA2RGBA, dst=view)
        return _bgra_swap(view)
    return view


@dataclass
class Passthrough:
    """The frame a request sent, kept so an unchanged image goes back as the very same bytes."""

    array: np.ndarray
    format: str
    data: memoryview

    @classmethod
    def of(cls, wire: WireImage, array: np.ndarray) -> Passthrough | None:
        """Only where the frame still holds the picture as sent (a BGRA frame swapped in place does not)."""
        if wire.format == "RGBA8" or (wire.format == "BGRA8" and np.shares_memory(array, np.frombuffer(wire.data,
                                                                                                        np.uint8))):
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
