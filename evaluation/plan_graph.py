"""A workflow drawn as a small left-to-right graph in inline SVG: inputs, one box per step, the result.

Each step sits one column right of the latest step it reads from, so a chain reads left to right and
independent branches stack; an edge is drawn for every reference a step's inputs make.
"""

from __future__ import annotations

from html import escape
from typing import Any

from lego_edit.bricks.refs import Ref
from lego_edit.builder.feedback import result_refs, steps_of

BOX_W, BOX_H, COL, ROW, PAD = 96, 22, 122, 30, 6


def plan_svg(workflow: dict[str, Any] | None) -> str:
    """The SVG element for `workflow` (a workflow dict); "" for none."""
    if not workflow:
        return ""
    steps = steps_of(workflow)
    column: dict[Any, int] = {}
    edges: list[tuple[Any, Any]] = []
    inits: list[str] = []
    for step in steps:
        sources = [Ref.parse(v) for v in step.inputs.values()]
        refs = [r for r in sources if r is not None]
        for r in refs:
            key: Any = ("init", r.key) if r.step is None else r.step
            if r.step is None and r.key not in inits:
                inits.append(r.key)
            if (key, step.number) not in edges:
                edges.append((key, step.number))
        column[step.number] = 1 + max((column.get(r.step, 0) for r in refs if r.step is not None), default=0)
    for name in inits:
        column[("init", name)] = 0
    last = max(column.values(), default=0) + 1
    for r in result_refs(workflow):
        key = ("init", r.key) if r.step is None else r.step
        if (key, "result") not in edges:
            edges.append((key, "result"))
    column["result"] = last
    rows: dict[int, int] = {}
    place: dict[Any, tuple[int, int]] = {}
    order: list[Any] = [("init", k) for k in inits] + [s.number for s in steps] + ["result"]
    for node in order:
        c = column.get(node, 0)
        place[node] = (PAD + c * COL, PAD + rows.get(c, 0) * ROW)
        rows[c] = rows.get(c, 0) + 1
    width = PAD * 2 + last * COL + BOX_W
    height = PAD * 2 + max(rows.values()) * ROW - (ROW - BOX_H)
    label = {s.number: s.model for s in steps}
    parts = [f'<svg class="plan" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="plan">',
             '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" '
             'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#777"/></marker></defs>']
    for a, b in edges:
        if a not in place or b not in place:
            continue
        (x0, y0), (x1, y1) = place[a], place[b]
        parts.append(f'<line x1="{x0 + BOX_W}" y1="{y0 + BOX_H / 2}" x2="{x1}" y2="{y1 + BOX_H / 2}" '
                     'stroke="#777" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for node in order:
        x, y = place[node]
        if node == "result":
            text, fill = "result", "#e8f5e9"
        elif isinstance(node, tuple):
            text, fill = f"init {node[1]}", "#eeeeee"
        else:
            text, fill = f"{node} {label.get(node, '?')}", "#e3f2fd"
        parts.append(f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="{fill}" stroke="#90a4ae"/>'
                     f'<text x="{x + BOX_W / 2}" y="{y + 15}" font-size="11" text-anchor="middle" '
                     f'font-family="sans-serif">{escape(text[:16])}</text>')
    parts.append("</svg>")
    return "".join(parts)
