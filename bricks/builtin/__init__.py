"""The built-in bricks. Importing the backend modules attaches their backends to the catalog."""

from __future__ import annotations

from lego_edit.bricks.registry import Brick


def builtin_bricks() -> tuple[Brick, ...]:
    from lego_edit.bricks.builtin import canvas, color, inpaint, masks, refine, segment, style  # noqa: F401  (attach backends)
    from lego_edit.bricks.builtin.catalog import ALL

    return ALL
