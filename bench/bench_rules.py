"""The offline rules planner on the 737 ImgEdit-Bench instructions: coverage and speed.

For each edit type: how many instructions get a plan that checks clean, how many are refused
cleanly (PlanRefused), and how many plans are "the right kind" for the type (RIGHT_KIND below —
the one definition, shared with tests/test_rules_planner.py). Then the median and p95 planning time.

Run: python bench/bench_rules.py   (exit status 1 if a budget is missed)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, verdict  # noqa: E402
from lego_edit.bricks.refs import Ref  # noqa: E402
from lego_edit.builder.feedback import result_refs, steps_of  # noqa: E402
from lego_edit.builder.rules import PlanRefused, plan_rules  # noqa: E402
from lego_edit.builder.tables import brick_tables  # noqa: E402

BENCHMARK = Path(__file__).resolve().parents[1] / "tests" / "data" / "benchmarks" / "imgedit_basic_edit.json"
EDIT_TYPES = ("add", "remove", "replace", "adjust", "style", "background", "extract", "action", "compose")

# Budgets: the floors the planner must not fall below (it aims well above them).
MIN_VALID_OR_REFUSED = 0.90
MIN_RIGHT_KIND = 0.70
MAX_MEDIAN_MS = 5.0


# -- what "the right kind of plan" means for each ImgEdit edit type ----------------------------------
def _models(workflow: dict[str, Any]) -> set[str]:
    return {s.model for s in steps_of(workflow)}


def _uses(*bricks: str) -> Callable[[dict[str, Any]], bool]:
    return lambda workflow: bool(_models(workflow) & set(bricks))


def _local_style(workflow: dict[str, Any]) -> bool:
    return any(s.model == "FLUX-STYLE" and s.inputs.get("mask") is not None for s in steps_of(workflow))


def _adjust(workflow: dict[str, Any]) -> bool:
    return _uses("FLUX-RCM", "FLUX-BRIGHT", "FLUX-ENV")(workflow) or _local_style(workflow)


def _cutout_result(workflow: dict[str, Any]) -> bool:
    """A RES or SOS cut-out (their `image` output) is among the results."""
    producers = {s.number: s.model for s in steps_of(workflow)}
    return any(r.step is not None and r.key == "image" and producers.get(r.step) in ("RES", "SOS")
               for r in result_refs(workflow))


def _chained(workflow: dict[str, Any]) -> bool:
    """Several edits, one after the other: at least two different edit families (remove, recolour,
    background, brightness ...: the catalog's `family` of each brick), the later ones working on an
    edited image."""
    family_of = brick_tables().families
    families = {family_of[s.model] for s in steps_of(workflow) if s.model in family_of}
    edited = any(Ref.parse(v) not in (None, Ref(None, "image")) for s in steps_of(workflow)
                 if s.model in family_of for k, v in s.inputs.items() if k in ("image", "image1"))
    return len(families) >= 2 and edited


RIGHT_KIND: dict[str, Callable[[dict[str, Any]], bool]] = {
    "add": _uses("ADD-PRED", "FLUX-FILL"),
    "remove": _uses("FASTINPAINT", "FLUX-INPAINT"),
    "replace": _uses("FLUX-FILL"),
    "adjust": _adjust,
    "style": _uses("FLUX-STYLE"),
    "background": _uses("FLUX-CBG"),
    "extract": _cutout_result,
    "action": _uses("FLUX-POSE"),
    "compose": _chained,
}


def right_kind(edit_type: str, workflow: dict[str, Any]) -> bool:
    return RIGHT_KIND[edit_type](workflow)


# -- running the benchmark ---------------------------------------------------------------------------
@dataclass
class Outcome:
    key: str
    edit_type: str
    prompt: str
    status: str  # "plan" | "invalid" | "refused" | "crash"
    right_kind: bool
    seconds: float
    detail: str = ""


def load_benchmark(path: Path = BENCHMARK) -> list[tuple[str, str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(key, item["edit_type"], item["prompt"]) for key, item in data.items()]


def _checker() -> Callable[[dict[str, Any]], list[str]]:
    """Errors of a workflow dict by bricks.checker (the full check), or the planner's own light check if the
    checker cannot be imported here."""
    try:
        from lego_edit.bricks import default_registry
        from lego_edit.bricks.checker import check
        from lego_edit.bricks.workflow import Workflow
    except ImportError:  # pragma: no cover - the checker ships with the project
        from lego_edit.builder.rules import well_formed

        return lambda workflow: well_formed(workflow, has_mask=False)
    registry = default_registry()
    return lambda workflow: [str(p) for p in check(Workflow.from_dict(workflow), registry, inits=("image",)).errors]


def evaluate(items: list[tuple[str, str, str]] | None = None) -> list[Outcome]:
    items = items if items is not None else load_benchmark()
    errors_of = _checker()
    outcomes = []
    for key, edit_type, prompt in items:
        start = time.perf_counter()
        try:
            plan = plan_rules(prompt)
        except PlanRefused as exc:
            outcomes.append(Outcome(key, edit_type, prompt, "refused", False, time.perf_counter() - start, exc.reason))
            continue
        except Exception as exc:  # a crash is a bug: reported, never counted as a clean refusal
            outcomes.append(Outcome(key, edit_type, prompt, "crash", False, time.perf_counter() - start, repr(exc)))
            continue
        seconds = time.perf_counter() - start
        errors = errors_of(plan.workflow)
        status = "invalid" if errors else "plan"
        outcomes.append(Outcome(key, edit_type, prompt, status, not errors and right_kind(edit_type, plan.workflow),
                                seconds, "; ".join(errors)))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for edit_type in (*EDIT_TYPES, "all"):
        group = [o for o in outcomes if edit_type in ("all", o.edit_type)]
        if not group:
            continue
        n = len(group)
        table[edit_type] = {
            "count": n,
            "valid": sum(o.status == "plan" for o in group) / n,
            "refused": sum(o.status == "refused" for o in group) / n,
            "right_kind": sum(o.right_kind for o in group) / n,
        }
    return table


def planning_times(outcomes: list[Outcome]) -> tuple[float, float]:
    """(median, p95) planning time in milliseconds, timed again in a second pass (the first pass also ran
    the checker; here only the planner runs, after one warm-up pass)."""
    samples = []
    for o in outcomes:
        start = time.perf_counter()
        try:
            plan_rules(o.prompt)
        except PlanRefused:
            pass
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> int:
    outcomes = evaluate()
    table = summary(outcomes)
    print("\nRules planner on ImgEdit-Bench basic edits (plans checked by bricks.checker)")
    header = f"{'edit type':<11} {'count':>5} {'valid plan':>10} {'refused':>8} {'ok total':>8} {'right kind':>10}"
    print(header)
    print("-" * len(header))
    for edit_type, row in table.items():
        print(f"{edit_type:<11} {int(row['count']):>5} {row['valid']:>10.1%} {row['refused']:>8.1%} "
              f"{row['valid'] + row['refused']:>8.1%} {row['right_kind']:>10.1%}")
    crashes = [o for o in outcomes if o.status in ("crash", "invalid")]
    for o in crashes[:10]:
        print(f"  {o.status}: {o.prompt!r}: {o.detail}")
    planning_times(outcomes)  # warm-up pass
    median_ms, p95_ms = planning_times(outcomes)
    total = table["all"]
    rows = [
        ("valid plan or clean refusal", f"{total['valid'] + total['refused']:.1%}", f">= {MIN_VALID_OR_REFUSED:.0%}",
         verdict(total["valid"] + total["refused"] >= MIN_VALID_OR_REFUSED)),
        ("right kind of plan", f"{total['right_kind']:.1%}", f">= {MIN_RIGHT_KIND:.0%}",
         verdict(total["right_kind"] >= MIN_RIGHT_KIND)),
        ("median planning time", f"{median_ms:.3f} ms", f"<= {MAX_MEDIAN_MS:g} ms", verdict(median_ms <= MAX_MEDIAN_MS)),
        ("p95 planning time", f"{p95_ms:.3f} ms", "-", "-"),
    ]
    print_table("Budgets", rows)
    ok = all(r[3] != "NO" for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
