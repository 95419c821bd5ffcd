"""Reuse of a previous plan, and the light structural check a reused plan must pass."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from lego_edit.bricks.refs import Ref, step_ref
from lego_edit.builder.feedback import result_refs, steps_of
from lego_edit.builder.rules.recipes import Policy
from lego_edit.builder.tables import BrickTables, brick_tables

if TYPE_CHECKING:
    from lego_edit.bricks.registry import Registry


# -- reuse of a previous plan --------------------------------------------------------------------------
def _families(workflow: dict[str, Any], bricks: BrickTables) -> list[str]:
    found: list[str] = []
    for s in steps_of(workflow):
        family = bricks.families.get(s.model)
        if family and (not found or found[-1] != family):
            found.append(family)
    return found


def well_formed(workflow: dict[str, Any], has_mask: bool, registry: Registry | BrickTables | None = None) -> list[str]:
    """Light structural check (known bricks and ports, required inputs, refs to earlier steps and
    declared outputs, a result): what the planner guarantees of its own output, and what a previous
    plan must pass to be reused. bricks.checker does the full check. Bricks are `registry`'s (the
    built-in catalog when None)."""
    bricks = brick_tables(registry)
    problems: list[str] = []
    produced: set[Ref] = {Ref(None, "image")} | ({Ref(None, "mask")} if has_mask else set())
    for entry in workflow.get("pipeline") or ():
        if not isinstance(entry, dict) or "model" not in entry:
            continue
        number, model, inputs = entry.get("step"), entry.get("model"), entry.get("input") or {}
        if model not in bricks or not isinstance(model, str) or not isinstance(number, int) or not isinstance(inputs, dict):
            problems.append(f"step {number}: unknown brick {model!r}, bad step number or bad inputs")
            continue
        names, optional = bricks.inputs[model], bricks.optional_inputs[model]
        for name, value in inputs.items():
            if name not in names:
                problems.append(f"step {number}: {model} has no input {name!r}")
            r = Ref.parse(value)
            if r is not None and r not in produced:
                problems.append(f"step {number}: {value} is not an earlier output")
            if value is None and name not in optional:
                problems.append(f"step {number}: required input {name!r} is null")
        for name in names:
            if name not in inputs and name not in optional:
                problems.append(f"step {number}: missing input {name!r}")
        raw_outputs = entry.get("output")
        outputs = raw_outputs if isinstance(raw_outputs, dict) else {}
        produced |= {Ref(number, name) for name, _ in bricks.outputs[model]
                     if not (name in outputs and outputs[name] is None)}
    results = result_refs(workflow)
    if not results:
        problems.append("the result names nothing")
    problems += [f"result {r} is not an output" for r in results if r not in produced]
    return problems


def _same_step(old: dict[str, Any], new: dict[str, Any], mapping: dict[int, int]) -> bool:
    if old.get("model") != new["model"]:
        return False
    old_inputs = {k: v for k, v in (old.get("input") or {}).items() if v is not None}
    new_inputs = {}
    for k, v in new["input"].items():
        if v is None:
            continue
        r = Ref.parse(v)
        new_inputs[k] = step_ref(mapping[r.step], r.key) if r is not None and r.step is not None else v
    return old_inputs == new_inputs


def _renumber(workflow: dict[str, Any], mapping: dict[int, int]) -> dict[str, Any]:
    """The planner's own workflow (every value a reference, a literal or null; the result a list of
    references) with its step numbers mapped."""
    def moved(r: Ref) -> Ref:
        return r if r.step is None else Ref(mapping.get(r.step, r.step), r.key)

    def fix(value: Any) -> Any:
        r = Ref.parse(value)
        return value if r is None else str(moved(r))

    pipeline = []
    for entry in workflow["pipeline"]:
        if "model" in entry:
            entry = {"step": mapping[entry["step"]], "model": entry["model"],
                     "input": {k: fix(v) for k, v in entry["input"].items()},
                     "output": {k: fix(v) for k, v in entry["output"].items()}}
        else:
            entry = {"result": "[" + ", ".join(str(moved(r)) for r in Ref.find_all(entry["result"])) + "]"}
        pipeline.append(entry)
    return {"process": workflow["process"], "pipeline": pipeline}


def reuse_previous(previous: dict[str, Any], fresh: dict[str, Any], policy: Policy,
                    bricks: BrickTables) -> tuple[dict[str, Any], str]:
    """Keep what the previous plan got right, so the executor's cache recomputes only what changed.

    - If the previous plan is well formed, breaks none of the constraints and does the same kinds of
      edit as the fresh plan, it is returned unchanged: the feedback asks for nothing it lacks.
    - Otherwise the fresh plan is returned with its leading steps that equal the previous plan's (same
      brick, same inputs) renumbered as they were there, and the rest numbered after them.
    """
    try:
        usable = not well_formed(previous, policy.has_mask, bricks) and \
            not any(c.violations(previous) for c in policy.constraints) and \
            _families(previous, bricks) == _families(fresh, bricks)
    except (KeyError, TypeError, AttributeError):
        usable = False
    if usable:
        return copy.deepcopy(previous), ("The previous plan already honours the feedback and does the same edits; it "
                                         "is reused unchanged.")
    old_steps = [e for e in previous.get("pipeline") or () if isinstance(e, dict) and "model" in e]
    new_steps = [e for e in fresh["pipeline"] if "model" in e]
    mapping: dict[int, int] = {}
    for old, new in zip(old_steps, new_steps, strict=False):
        if not isinstance(old.get("step"), int) or not _same_step(old, new, mapping):
            break
        mapping[new["step"]] = old["step"]
    if not mapping:
        return fresh, "Nothing of the previous plan could be kept."
    kept = len(mapping)
    following = max(mapping.values()) + 1
    for entry in new_steps[kept:]:
        mapping[entry["step"]] = following
        following += 1
    numbers = [str(mapping[e["step"]]) for e in new_steps[:kept]]
    which = f"Step {numbers[0]} is" if kept == 1 else f"Steps {', '.join(numbers)} are"
    return _renumber(fresh, mapping), f"{which} unchanged from the previous plan, so cached results are reused."

