"""The four value types that flow between bricks, as names: pure Python (no numpy), so the catalog
and the Builder can read port types without the image stack. The checks on values live in
bricks/values.py."""

from __future__ import annotations

import enum


class ValueType(str, enum.Enum):
    IMAGE = "Image"  # numpy uint8 H x W x 4, RGBA with straight alpha
    MASK = "Mask"  # numpy uint8 H x W, 0..255
    STR = "Str"
    FLOAT = "Float"

    def __str__(self) -> str:  # "Image", not "ValueType.IMAGE", in messages
        return self.value
