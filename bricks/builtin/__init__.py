"""The built-in bricks. Importing the backend modules attaches their backends to the catalog."""

from __future__ import annotations

from bricks.registry import Brick


def builtin_bricks() -> tuple[Brick, ...]:
    from bricks.builtin import canvas, color, inpaint, masks, refine, segment, style  # noqa: F401  (attach backends)
    from bricks.builtin.catalog import ALL

    return ALL
