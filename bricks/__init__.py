"""Lego Edit bricks: value types, the brick registry, workflows, the executor and the built-in bricks.

The names below load on first use, so `import lego_edit.bricks.refs` (or the catalog) does not pull
in the image stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Backend": "registry", "Brick": "registry", "BrickContext": "registry", "BrickError": "registry",
    "BrickRole": "registry", "BrickSpec": "registry", "BrickUnavailable": "registry", "Port": "registry",
    "Registry": "registry", "default_registry": "registry", "ValueType": "valuetype",
}
__all__ = ["Backend", "Brick", "BrickContext", "BrickError", "BrickRole", "BrickSpec", "BrickUnavailable", "Port",
           "Registry", "ValueType", "default_registry"]

if TYPE_CHECKING:
    from lego_edit.bricks.registry import (
        Backend,
        Brick,
        BrickContext,
        BrickError,
        BrickRole,
        BrickSpec,
        BrickUnavailable,
        Port,
        Registry,
        default_registry,
    )
    from lego_edit.bricks.valuetype import ValueType


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
