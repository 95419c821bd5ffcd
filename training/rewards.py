"""Rewards for reinforcement learning with ground truth, computed on the Builder's answer text.

Components, each in 0..1:

- `format`: the answer holds a workflow (tolerant parsing, as the Builder reads answers) or a refusal.
- `valid`: the workflow passes our checker against the catalog, with init[mask] only when the
  example has a mask, and with the example's feedback constraints. A refusal is not valid.
- `match`: 1 - the structural distance to the ground truth (below). Against a ground-truth refusal
  it is 1 for a refusal and 0 otherwise; a refusal against a ground-truth workflow is 0.
- `feedback`: the fraction of the example's feedback constraints the workflow honours (1 when
  there are none); 0 when the answer holds no workflow.

The total is the weighted sum (`RewardWeights`; GRPO gets the weights and logs every component).

Structural distance between a predicted workflow P and the truth T, in 0..1:

    d = w_bricks * (1 - J(bricks)) + w_edges * (1 - J(edges)) + w_args * (1 - A)

- J is the multiset Jaccard index |P ∩ T| / |P ∪ T| (1 when both are empty).
- bricks: the steps' brick names.
- edges: (source brick, output key, consumer brick, input name) for every reference, source "init"
  for init[...]; the result list adds (source brick, key, "RESULT", position from the end), so the
  final image matters, step numbers do not.
- A, argument agreement: the literal inputs (brick, input, value) matched one to one; a string
  agrees when equal after case and space folding, a number within `number_tolerance`, null with
  null; A = matched / max(|literals P|, |literals T|) (1 when both have none).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

COMPONENTS = ("format", "valid", "match", "feedback")


@dataclass
class RewardWeights:
    format: float = 0.25
    valid: float = 0.5
    match: float = 1.0
    feedback: float = 0.25
    # structural distance
    bricks: float = 0.4
    edges: float = 0.4
    args: float = 0.2
    number_tolerance: float = 0.1

    def component_weights(self) -> list[float]:
        return [float(getattr(self, c)) for c in COMPONENTS]


@dataclass
class Answer:
    """A Builder answer as read: the workflow (as a dict, normalised by our parser), or a refusal."""

    workflow: dict[str, Any] | None = None
    refusal: str | None = None
    problem: str = ""

    @property
    def parsed(self) -> bool:
        return self.workflow is not None or self.refusal is not None


def completion_text(completion: Any) -> str:
    """The text of a TRL completion: a string, or a conversation whose last message is the answer."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        content = completion[-1].get("content", "") if isinstance(completion[-1], dict) else ""
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content)
    return ""


def read_answer(text: str) -> Answer:
    from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError, parse_json

    try:
        data = parse_json(text)
    except WorkflowSyntaxError as exc:
        return Answer(problem=f"no workflow JSON ({exc})")
    if isinstance(data, dict) and "refuse" in data and "pipeline" not in data:
        return Answer(refusal=str(data["refuse"]))
    try:
        return Answer(workflow=Workflow.from_dict(data).to_dict())
    except WorkflowSyntaxError as exc:
        return Answer(problem=str(exc))


# -- structural distance -----------------------------------------------------------------------------

def _jaccard(a: Counter, b: Counter) -> float:
    union = sum((a | b).values())
    return 1.0 if union == 0 else sum((a & b).values()) / union


def _parsed(workflow: dict[str, Any]):
    from lego_edit.bricks.workflow import Workflow

    return Workflow.from_dict(workflow)


def brick_multiset(workflow: dict[str, Any]) -> Counter:
    return Counter(str(s.model) for s in _parsed(workflow).steps)


def edge_multiset(workflow: dict[str, Any]) -> Counter:
    wf = _parsed(workflow)
    brick_of = {s.number: str(s.model) for s in wf.steps if isinstance(s.number, int)}

    def source(ref) -> str:
        return "init" if ref.step is None else brick_of.get(ref.step, "?")

    edges: Counter = Counter()
    for step in wf.steps:
        for name, ref in step.refs():
            edges[(source(ref), ref.key, str(step.model), name)] += 1
    for position, ref in enumerate(reversed(wf.result)):
        edges[(source(ref), ref.key, "RESULT", position)] += 1
    return edges


def _literals(workflow: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [(str(s.model), name, value) for s in _parsed(workflow).steps for name, value in s.literals().items()]


def _agree(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= tolerance + 1e-12
    if isinstance(a, str) and isinstance(b, str):
        return re.sub(r"\s+", " ", a).strip().lower() == re.sub(r"\s+", " ", b).strip().lower()
    return a == b


def argument_agreement(pred: dict[str, Any], truth: dict[str, Any], tolerance: float = 0.1) -> float:
    p, t = _literals(pred), _literals(truth)
    if not p and not t:
        return 1.0
    used = [False] * len(p)
    matched = 0
    for brick, name, value in t:
        for i, (pb, pn, pv) in enumerate(p):
            if not used[i] and pb == brick and pn == name and _agree(pv, value, tolerance):
                used[i] = True
                matched += 1
                break
    return matched / max(len(p), len(t))


def structural_distance(pred: dict[str, Any], truth: dict[str, Any], weights: RewardWeights | None = None) -> float:
    w = weights or RewardWeights()
    total = w.bricks + w.edges + w.args
    if total <= 0:
        raise ValueError("the structural distance needs a positive weight on bricks, edges or args")
    d = (w.bricks * (1 - _jaccard(brick_multiset(pred), brick_multiset(truth)))
         + w.edges * (1 - _jaccard(edge_multiset(pred), edge_multiset(truth)))
         + w.args * (1 - argument_agreement(pred, truth, w.number_tolerance)))
    return d / total


# -- components ----------------------------------------------------------------------------------------

@dataclass
class Example:
    """What the rewards need from a dataset example."""

    truth: dict[str, Any] | None = None
    refusal: str | None = None
    has_mask: bool = False
    feedback: Sequence[str] = field(default_factory=tuple)


def _constraints(feedback: Sequence[str], registry: Any) -> list[Any]:
    from lego_edit.builder.feedback import parse_feedback

    return [c for f in feedback if f and f.strip() for c in parse_feedback(f, registry)]


def is_valid(workflow: dict[str, Any] | None, registry: Any, *, has_mask: bool, constraints: Sequence[Any] = ()) -> bool:
    from lego_edit.bricks.checker import check

    if workflow is None:
        return False
    checks = [lambda wf, c=c: c.violations(wf.to_dict()) for c in constraints]
    return check(_parsed(workflow), registry, inits=("image", "mask") if has_mask else ("image",),
                 constraints=checks).ok


def components(text: str, example: Example, registry: Any, weights: RewardWeights | None = None) -> dict[str, float]:
    """Every component for one answer, and their weighted `total`."""
    w = weights or RewardWeights()
    answer = read_answer(text)
    constraints = _constraints(example.feedback, registry)
    out = {"format": 1.0 if answer.parsed else 0.0,
           "valid": 1.0 if is_valid(answer.workflow, registry, has_mask=example.has_mask, constraints=constraints)
           else 0.0}
    if example.refusal is not None and example.truth is None:
        out["match"] = 1.0 if answer.refusal is not None else 0.0
    elif example.truth is not None and answer.workflow is not None:
        out["match"] = 1.0 - structural_distance(answer.workflow, example.truth, w)
    else:
        out["match"] = 0.0
    if answer.workflow is None:
        out["feedback"] = 0.0
    elif not constraints:
        out["feedback"] = 1.0
    else:
        out["feedback"] = sum(1 for c in constraints if not c.violations(answer.workflow)) / len(constraints)
    out["total"] = sum(getattr(w, c) * out[c] for c in COMPONENTS)
    return out


def example_from_columns(row: dict[str, Any]) -> Example:
    """An Example from the dataset columns GRPO passes to reward functions (see training.chat)."""
    truth = row.get("truth")
    return Example(truth=json.loads(truth) if truth else None, refusal=row.get("refusal") or None,
                   has_mask=bool(row.get("has_mask")), feedback=tuple(row.get("feedback") or ()))


def trl_reward_functions(registry: Any, weights: RewardWeights | None = None) -> list[Any]:
    """One TRL reward function per component (named as the component, so GRPO logs each), to be
    weighted by `RewardWeights.component_weights()` in the GRPO config."""
    w = weights or RewardWeights()

    def make(name: str):
        def reward(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float]:
            n = len(completions)
            rows = [{k: (v[i] if isinstance(v, list) and len(v) == n else None) for k, v in columns.items()}
                    for i in range(n)]
            return [components(completion_text(c), example_from_columns(r), registry, w)[name]
                    for c, r in zip(completions, rows, strict=True)]

        reward.__name__ = name
        return reward

    return [make(name) for name in COMPONENTS]
