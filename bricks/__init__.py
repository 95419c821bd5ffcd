"""Lego Edit bricks: value types, the brick registry, workflows, the executor and the built-in bricks."""

from lego_edit.bricks.registry import (
    Backend,
    Brick,
    BrickContext,
    BrickError,
    BrickUnavailable,
    Port,
    Registry,
    default_registry,
)
from lego_edit.bricks.values import ValueType

__all__ = [
    "Backend",
    "Brick",
    "BrickContext",
    "BrickError",
    "BrickUnavailable",
    "Port",
    "Registry",
    "ValueType",
    "default_registry",
]
