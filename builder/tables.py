"""What the rules planner and the feedback rules know about the bricks, read off a registry.

Every brick declares its typed ports, its role (segment, mask, predict, edit) and its edit family
(bricks/builtin/catalog.py for the built-in ones). The planner and the feedback constraints need a
few views of that: the input and output names, which inputs are optional, which bricks segment,
which only pass a mask on, which change pixels, what kind of edit each one makes. `brick_tables`
derives them all from the bricks themselves, so a brick registered by a third party is known the
same way as a built-in one and no copy can drift from the catalog.

The tables are computed once per registry (and again only when its bricks change), so planning
stays a fraction of a millisecond. With no registry, the built-in catalog's declarations are read:
nothing of the image stack is needed for that.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lego_edit.bricks.registry import Brick, BrickSpec, Registry

# BrickRole values (bricks.registry.BrickRole is a str enum; comparing values keeps this module free of imports)
SEGMENT, MASK, PREDICT, EDIT = "segment", "mask", "predict", "edit"
_MASK_TYPE, _IMAGE_TYPE = "Mask", "Image"  # ValueType values


def _value(x: Any) -> str:
    return str(getattr(x, "value", x))


@dataclass(frozen=True)
class BrickTables:
    """Views of a set of bricks, by brick name.

    - `inputs` / `outputs`: port names in declaration order (outputs with their `optional` flag);
    - `optional_inputs`, `mask_inputs`, `mask_outputs`: port names by property;
    - `roles`: the BrickRole value; `families`: the edit family of the bricks that have one;
    - `segmenters`: SEGMENT-role bricks;
    - `mask_helpers`: bricks that only pass a mask on (reshaped, combined, refined) — the MASK role,
      and segmenters that take a mask (they refine it);
    - `editing`: bricks that change pixels of the image they are given — the EDIT role, and
      MASK-role bricks that also produce an image (they lay or scale images).
    """

    names: tuple[str, ...]
    inputs: Mapping[str, tuple[str, ...]]
    outputs: Mapping[str, tuple[tuple[str, bool], ...]]
    optional_inputs: Mapping[str, frozenset[str]]
    mask_inputs: Mapping[str, frozenset[str]]
    mask_outputs: Mapping[str, frozenset[str]]
    roles: Mapping[str, str]
    families: Mapping[str, str]
    segmenters: frozenset[str]
    mask_helpers: frozenset[str]
    editing: frozenset[str]

    @classmethod
    def of(cls, bricks: Iterable[Brick | BrickSpec]) -> BrickTables:
        bricks = tuple(bricks)
        roles = {b.name: _value(b.role) for b in bricks}
        mask_inputs = {b.name: frozenset(p.name for p in b.inputs if _value(p.type) == _MASK_TYPE) for b in bricks}
        image_out = {b.name for b in bricks if any(_value(p.type) == _IMAGE_TYPE for p in b.outputs)}
        segmenters = frozenset(n for n, r in roles.items() if r == SEGMENT)
        return cls(
            names=tuple(b.name for b in bricks),
            inputs={b.name: tuple(p.name for p in b.inputs) for b in bricks},
            outputs={b.name: tuple((p.name, p.optional) for p in b.outputs) for b in bricks},
            optional_inputs={b.name: frozenset(p.name for p in b.inputs if p.optional) for b in bricks},
            mask_inputs=mask_inputs,
            mask_outputs={b.name: frozenset(p.name for p in b.outputs if _value(p.type) == _MASK_TYPE) for b in bricks},
            roles=roles,
            families={b.name: b.family for b in bricks if b.family},
            segmenters=segmenters,
            mask_helpers=frozenset(n for n, r in roles.items() if r == MASK)
            | frozenset(n for n in segmenters if mask_inputs[n]),
            editing=frozenset(n for n, r in roles.items() if r == EDIT or r == MASK and n in image_out),
        )

    def __contains__(self, name: object) -> bool:
        return name in self.inputs

    def is_mask_input(self, model: str, name: str) -> bool:
        """Is input `name` of brick `model` a mask? (Of a brick not in the tables: when it is called so.)"""
        known = self.mask_inputs.get(model)
        return name in known if known is not None else name.startswith("mask")

    def is_mask_output(self, model: str, key: str) -> bool:
        known = self.mask_outputs.get(model)
        return key in known if known is not None else key == "mask"


_lock = threading.Lock()
_by_registry: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], BrickTables]] = weakref.WeakKeyDictionary()
_builtin: list[tuple[tuple[Any, ...], BrickTables]] = []


def _builtin_declarations() -> tuple[BrickSpec, ...]:
    from lego_edit.bricks.builtin.catalog import ALL

    return tuple(ALL)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def brick_tables(registry: Registry | BrickTables | None = None) -> BrickTables:
    """The tables of `registry`'s bricks (the built-in catalog's when None), computed once per registry
    and recomputed when a brick is registered or replaced."""
    if isinstance(registry, BrickTables):
        return registry
    if registry is None:
        if _builtin:
            return _builtin[0][1]
        specs = _builtin_declarations()
        with _lock:
            if not _builtin:
                _builtin.append((specs, BrickTables.of(specs)))
            return _builtin[0][1]
    bricks = tuple(registry)
    cached = _by_registry.get(registry)
    if cached is not None and _same(cached[0], bricks):
        return cached[1]
    tables = BrickTables.of(bricks)
    with _lock:
        _by_registry[registry] = (bricks, tables)
    return tables
