"""The run as one self-contained HTML page (styles, charts and script inline; thumbnails in a folder beside it).

report.html: the run's facts, the summary table by type and by source, bar charts (inline SVG), and a gallery
— source, result, truth and step masks, the plan as a graph, the judge's scores, reasoning and raw answer —
filterable by type and by verdict. compare.html: two runs side by side, the items whose verdict changed first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from lego_edit.evaluation.plan_graph import plan_svg
from lego_edit.evaluation.runner import VERDICTS, load_records, read_run
from lego_edit.evaluation.summary import COLUMNS, show, summarise

REPORT = "report.html"
IMAGES = "report_images"
COMPARE = "compare.html"
THUMB = 256

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f0f0f0}
.facts td{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:18px}
.filters{margin:10px 0;display:flex;gap:12px;align-items:center}
.gallery{display:flex;flex-wrap:wrap;gap:14px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;width:560px}
.card h3{font-size:14px;margin:0 0 4px}.card .instruction{font-style:italic;margin:0 0 6px}
.images{display:flex;flex-wrap:wrap;gap:6px}.images figure{margin:0}.images img{max-width:128px;max-height:128px;
border:1px solid #ccc;background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 50%/12px 12px}
figcaption{font-size:11px;color:#555;max-width:128px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;color:#fff}
.v-right-kind{background:#2e7d32}.v-done{background:#1565c0}.v-wrong-kind{background:#ef6c00}
.v-refused{background:#757575}.v-failed{background:#c62828}.small{font-size:12px;color:#555}
pre{white-space:pre-wrap;font-size:11px;background:#f6f6f6;padding:6px;max-height:200px;overflow:auto}
.changed{background:#fff8e1}
svg.plan{max-width:100%;height:auto}
"""

FILTER_SCRIPT = """
(function(){
  var t=document.getElementById('filter-type'),v=document.getElementById('filter-verdict'),
      n=document.getElementById('shown-count');
  function apply(){var shown=0;document.querySelectorAll('#gallery .card').forEach(function(c){
    var ok=(!t.value||c.dataset.type===t.value)&&(!v.value||c.dataset.verdict===v.value);
    c.style.display=ok?'':'none';if(ok)shown++;});n.textContent=shown+' shown';}
  t.addEventListener('change',apply);v.addEventListener('change',apply);apply();
})();
"""


def _slug_class(verdict: str) -> str:
    return "v-" + verdict.replace(" ", "-")


# -- thumbnails ---------------------------------------------------------------------------------------

def _thumbnail(src: str | Path, dest: Path) -> bool:
    """A copy at most THUMB pixels on the long side (PNG, alpha kept); False when the source cannot be read."""
    from PIL import Image

    try:
        with Image.open(src) as im:
            im.load()
            picture = im.convert("RGBA") if im.mode in ("RGBA", "LA", "P") else im.convert("RGB")
    except (OSError, ValueError):
        return False
    picture.thumbnail((THUMB, THUMB))
    dest.parent.mkdir(parents=True, exist_ok=True)
    picture.save(dest, optimize=True)
    return True


def _changed_thumbnail(source: str, result: str, dest: Path) -> bool:
    """Where the result differs from the source (white), when both are readable and the same size."""
    from PIL import Image

    from lego_edit.evaluation.regions import changed_mask

    try:
        with Image.open(source) as a, Image.open(result) as b:
            sa, sb = np.asarray(a.convert("RGBA")), np.asarray(b.convert("RGBA"))
    except (OSError, ValueError):
        return False
    if sa.shape != sb.shape:
        return False
    picture = Image.fromarray(changed_mask(sa, sb))
    picture.thumbnail((THUMB, THUMB))
    dest.parent.mkdir(parents=True, exist_ok=True)
    picture.save(dest, optimize=True)
    return True


def _figures(record: dict[str, Any], run_dir: Path, images: Path, prefix: str = "") -> list[tuple[str, str]]:
    """(caption, image path relative to the page) for each picture of the item, thumbnails written on the way."""
    slug = record["slug"]
    out: list[tuple[str, str]] = []
    page = images.parent

    def add(caption: str, src: str | Path | None, name: str) -> None:
        if not src:
            return
        dest = images / f"{prefix}{slug}-{name}.png"
        if dest.exists() or _thumbnail(src, dest):
            out.append((caption, os.path.relpath(dest, page)))

    add("source", record.get("image"), "source")
    add("user mask", record.get("mask"), "mask")
    results = (record.get("files") or {}).get("result") or []
    main = next((r for r in results if r.get("kind") == "image"), results[0] if results else None)
    if main:
        add("result", run_dir / main["path"], "result")
        dest = images / f"{prefix}{slug}-changed.png"
        if record.get("image") and (dest.exists() or _changed_thumbnail(record["image"], str(run_dir / main["path"]),
                                                                        dest)):
            out.append(("changed", os.path.relpath(dest, page)))
    add("truth mask", record.get("truth_mask"), "truth")
    add("reference", record.get("reference"), "reference")
    for n, path in enumerate((record.get("files") or {}).get("steps") or []):
        name = Path(path).stem
        if "mask" in name:
            add(name, run_dir / path, f"step{n}")
    return out


# -- charts -------------------------------------------------------------------------------------------

def bar_chart(title: str, bars: Sequence[tuple[str, float | None]], maximum: float, how: str) -> str:
    """A horizontal bar chart as inline SVG; a missing value is drawn as "–" with no bar."""
    label_w, bar_w, row_h = 110, 220, 20
    height = 26 + row_h * len(bars)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" '
             f'height="{height}" role="img" aria-label="{escape(title)}">',
             f'<text x="0" y="14" font-size="13" font-weight="bold" font-family="sans-serif">{escape(title)}</text>']
    for i, (label, value) in enumerate(bars):
        y = 22 + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end" '
                     f'font-family="sans-serif">{escape(label)}</text>')
        if value is not None and maximum > 0:
            w = max(1.0, bar_w * min(1.0, max(0.0, value / maximum)))
            parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="#5c6bc0"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 13}" font-size="11" '
                     f'font-family="sans-serif">{escape(show(value, how))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _charts(summary: dict[str, Any]) -> str:
    groups = [*summary["by_type"].items(), ("all", summary["all"])]
    specs = [("right kind of plan", "right_kind", 1.0, "pct"), ("valid plan", "valid", 1.0, "pct"),
             ("IoU with the truth", "iou", 1.0, "num"), ("GEdit overall (0–10)", "gedit_overall", 10.0, "num"),
             ("ImgEdit (1–5)", "imgedit", 5.0, "num")]
    charts = []
    for title, key, top, how in specs:
        bars = [(name, row.get(key)) for name, row in groups]
        if any(v is not None for _, v in bars):
            charts.append(bar_chart(title, bars, top, how))
    return f'<div class="charts">{"".join(charts)}</div>'


# -- tables -------------------------------------------------------------------------------------------

def _table(table_id: str, first: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for _, h, _ in COLUMNS)
    body = []
    for name, r in rows:
        cells = "".join(f'<td data-key="{k}" data-value="{"" if r.get(k) is None else r[k]}">'
                        f'{escape(show(r.get(k), how))}</td>' for k, _, how in COLUMNS)
        body.append(f'<tr data-group="{escape(name)}"><td>{escape(name)}</td>{cells}</tr>')
    return (f'<table id="{table_id}"><thead><tr><th>{escape(first)}</th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _facts(run: dict[str, Any], records: Sequence[dict[str, Any]] = ()) -> str:
    planned: dict[str, int] = {}
    for r in records:
        if r.get("backend"):
            planned[r["backend"]] = planned.get(r["backend"], 0) + 1
    who = ", ".join(f"{k} ×{v}" for k, v in sorted(planned.items()))
    facts = [("suite", f"{run.get('suite')} ({run.get('suite_kind')})"),
             ("builder", f"{run.get('builder')}" + (f" (planned by {who})" if who else "")),
             ("judge", run.get("judge_model") or run.get("judge") or "none"),
             ("protocols", ", ".join(run.get("protocols") or []) or "–"),
             ("items", f"{run.get('finished_items', '?')} of {run.get('items', '?')} finished"
                       + (" (interrupted)" if run.get("interrupted") else "")),
             ("wall time", f"{run.get('wall_s', 0):.1f} s"), ("peak memory", f"{run.get('peak_rss_mb', 0):.0f} MB"
                                                                + (f", GPU {run['peak_gpu_mb']:.0f} MB"
                                                                   if run.get("peak_gpu_mb") else "")),
             ("model load time", f"{run.get('model_load_s', 0):.1f} s")]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in facts)
    return f'<table class="facts" id="facts">{rows}</table>'


# -- gallery ------------------------------------------------------------------------------------------

HEADLINE = {"gedit": ("sc", "pq", "overall"), "imgedit": ("mean",)}
SCALE = {"gedit": "0–10", "imgedit": "1–5"}


def _judge_html(record: dict[str, Any]) -> str:
    parts = []
    if record.get("judge_error"):
        parts.append(f'<p class="small">judge error: {escape(record["judge_error"])}</p>')
    for protocol, verdict in (record.get("judge") or {}).items():
        values = dict(verdict.get("scores") or {})
        head = [] if verdict.get("parse_failed") else [k for k in HEADLINE.get(protocol, ()) if k in values]
        scores = ", ".join(f"{escape(k.replace('_', ' '))} {values[k]:.3g}" for k in values if k not in head)
        state = ("parse failed" if verdict.get("parse_failed") else
                 ", ".join(f"{k} {values[k]:.2f}" for k in head) + f" ({SCALE.get(protocol, '')})")
        parts.append(f'<p class="judge" data-protocol="{escape(protocol)}"><b>{escape(protocol)}</b>: '
                     f'{escape(state)}{"; " + scores if scores else ""}'
                     + (" <span class=small>(judged on the unchanged source)</span>"
                        if record.get("judged_unchanged") else "") + "</p>")
        if verdict.get("reasoning"):
            parts.append(f'<p class="small reasoning">{escape(verdict["reasoning"])}</p>')
        parts.append(f"<details><summary>raw answer</summary><pre>{escape(verdict.get('raw', ''))}</pre></details>")
    return "".join(parts)


def _card(record: dict[str, Any], figures: list[tuple[str, str]], extra_class: str = "") -> str:
    verdict = record.get("verdict", "")
    region = record.get("region") or {}
    region_text = (f"IoU {region['iou']:.2f}, change outside mean {region['outside_mean']:.1f} / max "
                   f"{region['outside_max']:.0f}, alpha kept {100 * region['alpha_kept']:.1f}%"
                   if "iou" in region else f"region: {region['error']}" if "error" in region
                   else "region: the result's size differs from the source's" if region else "")
    cost = record.get("cost") or {}
    plan = record.get("plan") or {}
    imgs = "".join(f'<figure><img src="{escape(src)}" alt="{escape(cap)}" loading="lazy">'
                   f"<figcaption>{escape(cap)}</figcaption></figure>" for cap, src in figures)
    message = f'<p class="small">{escape(record.get("code") or "")}: {escape(record.get("message") or "")}</p>' \
        if record.get("status") != "done" else ""
    return (f'<article class="card {extra_class}" data-id="{escape(str(record["id"]))}" '
            f'data-type="{escape(record.get("type") or "untyped")}" data-verdict="{escape(verdict)}">'
            f'<h3>{escape(str(record["id"]))} <span class="badge {_slug_class(verdict)}">{escape(verdict)}</span> '
            f'<span class="small">{escape(record.get("type") or "untyped")}</span></h3>'
            f'<p class="instruction">{escape(record.get("instruction", ""))}</p>{message}'
            f'<div class="images">{imgs}</div>'
            + (f'<p class="small">{escape(plan.get("reasoning", ""))}</p>{plan_svg(plan.get("workflow"))}' if plan else "")
            + (f'<p class="small">{escape(region_text)}</p>' if region_text else "")
            + _judge_html(record)
            + f'<p class="small">plan {cost.get("plan_s", 0):.3f} s, edit {cost.get("edit_s", 0):.3f} s'
            + (f', judge {cost["judge_s"]:.1f} s' if cost.get("judge_s") else "") + "</p></article>")


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>")


def write_report(folder: str | Path, records: Sequence[dict[str, Any]] | None = None,
                 run: dict[str, Any] | None = None) -> Path:
    """Write report.html (+ report_images/) and summary.json for the run in `folder`; returns the page's path."""
    folder = Path(folder)
    records = list(records) if records is not None else load_records(folder)
    run = run if run is not None else read_run(folder)
    summary = summarise(records)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    images = folder / IMAGES
    images.mkdir(exist_ok=True)
    types = sorted({r.get("type") or "untyped" for r in records})
    verdicts = [v for v in VERDICTS if any(r.get("verdict") == v for r in records)]
    options_t = "".join(f'<option value="{escape(t)}">{escape(t)}</option>' for t in types)
    options_v = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in verdicts)
    cards = "".join(_card(r, _figures(r, folder, images)) for r in records)
    title = f"Lego Edit evaluation: {run.get('suite', folder.name)}"
    subsets = (f'<h2>GEdit-Bench subsets</h2>{_table("subsets", "subset", list(summary["subsets"].items()))}'
               if "subsets" in summary else "")
    body = (f"<h1>{escape(title)}</h1>{_facts(run, records)}"
            f'<h2>Summary by type</h2>{_table("summary", "type", [*summary["by_type"].items(), ("all", summary["all"])])}'
            f'<h2>By source</h2>{_table("by-source", "source", list(summary["by_source"].items()))}{subsets}'
            f"<h2>Charts</h2>{_charts(summary)}"
            f'<h2>Gallery</h2><div class="filters"><label>type <select id="filter-type"><option value="">all</option>'
            f'{options_t}</select></label><label>verdict <select id="filter-verdict"><option value="">all</option>'
            f'{options_v}</select></label><span id="shown-count"></span></div>'
            f'<div class="gallery" id="gallery">{cards}</div><script>{FILTER_SCRIPT}</script>')
    page = folder / REPORT
    page.write_text(_page(title, body), encoding="utf-8")
    return page


# -- compare ------------------------------------------------------------------------------------------

def _overall(record: dict[str, Any] | None) -> float | None:
    """The record's judge score on 0..1 (GEdit's if judged so, else ImgEdit's)."""
    for protocol in ("gedit", "imgedit"):
        verdict = ((record or {}).get("judge") or {}).get(protocol)
        if verdict and verdict.get("overall") is not None:
            return float(verdict["overall"])
    return None


def compare(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """Per item present in both runs: the verdicts and judge scores of A and B; `changed`: items whose verdict
    differs; `only_a` / `only_b`: ids in one run only; summaries of both over the shared items."""
    a = {r["id"]: r for r in load_records(run_a)}
    b = {r["id"]: r for r in load_records(run_b)}
    shared = [i for i in a if i in b]
    items = [{"id": i, "type": a[i].get("type"), "instruction": a[i].get("instruction"),
              "instruction_b": b[i].get("instruction"),
              "verdict_a": a[i].get("verdict"), "verdict_b": b[i].get("verdict"),
              "overall_a": _overall(a[i]), "overall_b": _overall(b[i])} for i in shared]
    return {"a": str(run_a), "b": str(run_b), "items": items,
            "changed": [x for x in items if x["verdict_a"] != x["verdict_b"]],
            "only_a": [i for i in a if i not in b], "only_b": [i for i in b if i not in a],
            "summary_a": summarise([a[i] for i in shared]), "summary_b": summarise([b[i] for i in shared])}


def _instructions(item: dict[str, Any]) -> str:
    """The item's instruction, or both when the two runs asked differently."""
    a, b = item.get("instruction") or "", item.get("instruction_b") or ""
    return a if a == b else f"{a} → {b}"


def write_compare(run_a: str | Path, run_b: str | Path, out: str | Path) -> Path:
    """compare.html (+ report_images/) and compare.json in `out`; returns the page's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = compare(run_a, run_b)
    (out / "compare.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    images = out / IMAGES
    images.mkdir(exist_ok=True)
    a = {r["id"]: r for r in load_records(run_a)}
    b = {r["id"]: r for r in load_records(run_b)}
    name_a, name_b = Path(run_a).name or str(run_a), Path(run_b).name or str(run_b)
    rows = []
    keys = [("count", "int"), ("valid", "pct"), ("refused", "pct"), ("right_kind", "pct"), ("iou", "num"),
            ("gedit_overall", "num"), ("imgedit", "num"), ("parse_failures", "int"), ("plan_s", "sec"),
            ("edit_s", "sec")]
    groups = [*data["summary_a"]["by_type"], "all"]
    for group in groups:
        ra = data["summary_a"]["all"] if group == "all" else data["summary_a"]["by_type"].get(group, {})
        rb = data["summary_b"]["all"] if group == "all" else data["summary_b"]["by_type"].get(group, {})
        cells = "".join(f'<td data-key="{k}-a">{escape(show(ra.get(k), how))}</td>'
                        f'<td data-key="{k}-b">{escape(show(rb.get(k), how))}</td>' for k, how in keys)
        rows.append(f'<tr data-group="{escape(group)}"><td>{escape(group)}</td>{cells}</tr>')
    header = {k: h for k, h, _ in COLUMNS}
    head = "".join(f'<th colspan="2">{escape(header.get(k, k))}</th>' for k, _ in keys)
    sub = "".join(f"<th>{escape(name_a)}</th><th>{escape(name_b)}</th>" for _ in keys)
    table = (f'<table id="compare-summary"><thead><tr><th rowspan="2">type</th>{head}</tr><tr>{sub}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table>')
    changed_rows = "".join(
        f'<tr class="changed" data-id="{escape(str(x["id"]))}"><td>{escape(str(x["id"]))}</td>'
        f'<td>{escape(x["type"] or "")}</td><td style="text-align:left">{escape(_instructions(x))}</td>'
        f'<td>{escape(str(x["verdict_a"]))}</td><td>{escape(str(x["verdict_b"]))}</td>'
        f'<td>{escape(show(x["overall_a"], "num"))}</td><td>{escape(show(x["overall_b"], "num"))}</td></tr>'
        for x in data["changed"])
    changed = (f'<table id="changed"><thead><tr><th>item</th><th>type</th><th>instruction</th><th>{escape(name_a)}</th>'
               f'<th>{escape(name_b)}</th><th>judge {escape(name_a)}</th><th>judge {escape(name_b)}</th></tr></thead>'
               f"<tbody>{changed_rows}</tbody></table>" if data["changed"] else
               '<p id="changed">No item changed its verdict.</p>')
    pairs = []
    for x in sorted(data["items"], key=lambda x: x["verdict_a"] == x["verdict_b"]):
        left = _card(a[x["id"]], _figures(a[x["id"]], Path(run_a), images, "a-"),
                     "changed" if x["verdict_a"] != x["verdict_b"] else "")
        right = _card(b[x["id"]], _figures(b[x["id"]], Path(run_b), images, "b-"),
                      "changed" if x["verdict_a"] != x["verdict_b"] else "")
        pairs.append(f'<div class="pair" style="display:flex;gap:10px;margin-bottom:10px">{left}{right}</div>')
    only = "".join(f"<p class=small>only in {escape(n)}: {escape(', '.join(map(str, ids)))}</p>"
                   for n, ids in ((name_a, data["only_a"]), (name_b, data["only_b"])) if ids)
    title = f"Lego Edit evaluation: {name_a} vs {name_b}"
    body = (f"<h1>{escape(title)}</h1>{only}<h2>Summary (items in both runs)</h2>{table}"
            f"<h2>Items whose verdict changed ({len(data['changed'])})</h2>{changed}"
            f'<h2>Side by side</h2><div id="pairs">{"".join(pairs)}</div>')
    page = out / COMPARE
    page.write_text(_page(title, body), encoding="utf-8")
    return page
