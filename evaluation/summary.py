"""The numbers of a run: its records aggregated by edit type, by source, and over all items.

Every rate is a share of the group's items; a mean is over the items that have the number (a region score
needs a truth mask; a judge score a verdict that parsed whole, so GEdit's SC, PQ and overall are means over
the same items). Judge parse failures and
judge errors are counted, never dropped.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any

# (column key, header, how it is shown): the summary table, in the report and in summary.json alike.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("count", "items", "int"),
    ("valid", "valid plan", "pct"),
    ("refused", "refused", "pct"),
    ("failed", "failed", "pct"),
    ("right_kind", "right kind", "pct"),
    ("region_n", "with truth", "int"),
    ("iou", "IoU", "num"),
    ("outside_mean", "change outside (mean)", "num"),
    ("outside_max", "change outside (max)", "num"),
    ("alpha_kept", "alpha kept", "pct"),
    ("judged", "judged", "int"),
    ("gedit_sc", "GEdit SC", "num"),
    ("gedit_pq", "GEdit PQ", "num"),
    ("gedit_overall", "GEdit overall", "num"),
    ("imgedit", "ImgEdit", "num"),
    ("parse_failures", "judge parse failures", "int"),
    ("judge_errors", "judge errors", "int"),
    ("plan_s", "plan s", "sec"),
    ("edit_s", "edit s", "sec"),
)


def _mean(values: Iterable[float | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def _judge_score(record: dict[str, Any], protocol: str, key: str) -> float | None:
    verdict = (record.get("judge") or {}).get(protocol)
    if not verdict or verdict.get("parse_failed"):
        return None
    value = (verdict.get("scores") or {}).get(key)
    return None if value is None else float(value)


def row(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary row of a group of records."""
    n = len(records)
    region = [r["region"] for r in records if r.get("region") and "iou" in r["region"]]
    judged_kind = [r["right_kind"] for r in records if r.get("right_kind") is not None]
    out: dict[str, Any] = {
        "count": n,
        "valid": round(sum(bool(r.get("plan_valid")) for r in records) / n, 4) if n else None,
        "refused": round(sum(r.get("status") == "refused" for r in records) / n, 4) if n else None,
        "failed": round(sum(r.get("status") == "failed" for r in records) / n, 4) if n else None,
        "right_kind": round(sum(judged_kind) / len(judged_kind), 4) if judged_kind else None,
        "right_kind_n": len(judged_kind),
        "region_n": len(region),
        "iou": _mean(x["iou"] for x in region),
        "outside_mean": _mean(x["outside_mean"] for x in region),
        "outside_max": _mean(x["outside_max"] for x in region),
        "alpha_kept": _mean(x["alpha_kept"] for x in region),
        "gedit_sc": _mean(_judge_score(r, "gedit", "sc") for r in records),
        "gedit_pq": _mean(_judge_score(r, "gedit", "pq") for r in records),
        "gedit_overall": _mean(_judge_score(r, "gedit", "overall") for r in records),
        "imgedit": _mean(_judge_score(r, "imgedit", "mean") for r in records),
        "judged": sum(bool(r.get("judge")) for r in records),
        "parse_failures": sum(bool(v.get("parse_failed")) for r in records for v in (r.get("judge") or {}).values()),
        "judge_errors": sum(bool(r.get("judge_error")) for r in records),
        "plan_s": _mean((r.get("cost") or {}).get("plan_s") for r in records),
        "edit_s": _mean((r.get("cost") or {}).get("edit_s") for r in records),
    }
    return out


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """{"by_type": {type: row}, "by_source": {source: row}, "all": row} (and "subsets", full and intersection, for
    GEdit-Bench items); items without a type are "untyped"."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    by_source: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_type.setdefault(r.get("type") or "untyped", []).append(r)
        by_source.setdefault(r.get("source") or "-", []).append(r)
    out = {"by_type": {k: row(v) for k, v in sorted(by_type.items())},
           "by_source": {k: row(v) for k, v in sorted(by_source.items())},
           "all": row(records)}
    flagged = [r for r in records if "intersection_exist" in (r.get("meta") or {})]
    if flagged:  # GEdit-Bench reports its full set and the subset whose items exist in every compared method
        out["subsets"] = {"full": row(flagged),
                          "intersection": row([r for r in flagged if r["meta"]["intersection_exist"] == "True"])}
    return out


def show(value: Any, how: str) -> str:
    """A cell as the report and the terminal print it ("–" for a number nobody has)."""
    if value is None:
        return "–"
    if how == "pct":
        return f"{100 * float(value):.1f}%"
    if how == "int":
        return str(int(value))
    if how == "sec":
        return f"{float(value):.3f}"
    return f"{float(value):.2f}"


def text_table(summary: dict[str, Any], columns: Sequence[str] = ("count", "valid", "refused", "failed", "right_kind", "iou",
                                                                  "gedit_overall", "imgedit", "parse_failures",
                                                                  "judge_errors")) -> str:
    """The by-type table as plain text (the CLI prints it)."""
    spec = {key: (header, how) for key, header, how in COLUMNS}
    headers = ["type", *[spec[c][0] for c in columns]]
    rows = [[name, *[show(r.get(c), spec[c][1]) for c in columns]]
            for name, r in [*summary["by_type"].items(), ("all", summary["all"])]]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
