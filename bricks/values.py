"""The checks on the values that flow between bricks (their types: bricks/valuetype.py).

Image: numpy uint8 H x W x 4, RGBA with straight alpha. Mask: numpy uint8 H x W, 0..255.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lego_edit.bricks.valuetype import ValueType

__all__ = ["ValueType", "blend", "conforms", "split_alpha", "to_rgba", "type_of", "with_alpha"]


def type_of(value: Any) -> ValueType | None:
    """The ValueType a Python value carries, or None for null."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.dtype == np.uint8 and value.ndim == 3 and value.shape[2] == 4:
            return ValueType.IMAGE
        if value.dtype == np.uint8 and value.ndim == 2:
            return ValueType.MASK
        raise TypeError(f"array of shape {value.shape} and dtype {value.dtype} is neither Image nor Mask")
    if isinstance(value, bool):
        raise TypeError("booleans are not a Lego Edit value")
    if isinstance(value, (int, float)):
        return ValueType.FLOAT
    if isinstance(value, str):
        return ValueType.STR
    raise TypeError(f"{type(value).__name__} is not a Lego Edit value")


def conforms(value: Any, expected: ValueType) -> bool:
    try:
        return type_of(value) == expected
    except TypeError:
        return False


def to_rgba(array: np.ndarray) -> np.ndarray:
    """Any uint8 gray / RGB / RGBA array as an RGBA Image (opaque where there was no alpha)."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"images must be uint8, got {array.dtype}")
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"cannot read an image of shape {array.shape}")
    if array.shape[2] == 3:
        alpha = np.full(array.shape[:2] + (1,), 255, np.uint8)
        array = np.concatenate([array, alpha], axis=2)
    return np.ascontiguousarray(array)


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB copy and alpha view: bricks that work in RGB drop alpha and put it back with `with_alpha`."""
    return np.ascontiguousarray(image[..., :3]), image[..., 3]


def with_alpha(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.dstack([rgb.astype(np.uint8), alpha]))


def blend(base: np.ndarray, edited: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`edited` inside the (soft) mask, `base` outside; pixels where mask == 0 are exactly `base`."""
    weight = (mask.astype(np.float32) / 255.0)[..., None]
    out = base.astype(np.float32) * (1.0 - weight) + edited.astype(np.float32) * weight
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    untouched = mask == 0
    out[untouched] = base[untouched]
    return out
