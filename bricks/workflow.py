"""The workflow format of the reference Lego-Edit Builder: tolerant parsing, a graph model, serialization.

Parsing forgives what real model output gets wrong (a <think> prefix, code fences, trailing or
missing commas, full-width punctuation, `result` as a list or a string); whether the workflow
makes sense is the checker's job (bricks.checker), which reports every problem at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lego_edit.bricks.refs import Ref

_THINK_RE = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_FENCE_RE = re.compile(r"```(?:json)?", re.I)
# Full-width punctuation a model writing Chinese slips into JSON syntax (outside strings only).
_FULLWIDTH = {"，": ",", "：": ":", "“": '"', "”": '"', "｛": "{", "｝": "}", "［": "[", "］": "]"}


# Bounds on the work parsing a workflow text costs (the daemon parses texts from clients and models):
# longer texts are refused, nesting deeper than any workflow has is refused before a parser recurses,
# and the tolerant reader (json_repair, superlinear on some malformed shapes) only sees small, shallow
# texts; everything else here is one linear pass.
MAX_WORKFLOW_CHARS = 256 * 1024
MAX_NESTING = 64
MAX_REPAIR_CHARS = 12 * 1024
MAX_REPAIR_NESTING = 8


class WorkflowSyntaxError(ValueError):
    """The text holds no workflow at all (no JSON object, or not the workflow shape)."""


@dataclass
class Step:
    """One tool call. `inputs` values are Refs or literals; `outputs` maps key -> declared ref (or None)."""

    number: Any  # an int when well formed; the checker reports anything else
    model: Any
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def refs(self) -> Iterator[tuple[str, Ref]]:
        for name, value in self.inputs.items():
            if isinstance(value, Ref):
                yield name, value

    def literals(self) -> dict[str, Any]:
        return {k: v for k, v in self.inputs.items() if not isinstance(v, Ref)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "model": self.model,
            "input": {k: (str(v) if isinstance(v, Ref) else v) for k, v in self.inputs.items()},
            "output": {k: (str(v) if isinstance(v, Ref) else v) for k, v in self.outputs.items()},
        }


@dataclass
class Workflow:
    process: str
    steps: list[Step]
    result: list[Ref]
    result_raw: Any = None  # what the text said, kept for error messages
    notes: list[str] = field(default_factory=list)  # tolerances applied while parsing

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any) -> Workflow:
        if not isinstance(data, dict):
            raise WorkflowSyntaxError("a workflow is a JSON object with a 'pipeline' list")
        pipeline = data.get("pipeline")
        if not isinstance(pipeline, list):
            raise WorkflowSyntaxError("the workflow has no 'pipeline' list")
        steps: list[Step] = []
        result_raw: Any = data.get("result")
        for entry in pipeline:
            if isinstance(entry, dict) and "result" in entry and "model" not in entry:
                result_raw = entry["result"]
                continue
            if not isinstance(entry, dict):
                steps.append(Step(number=None, model=None, inputs={"?": entry}))
                continue
            steps.append(_step_from_dict(entry))
        return cls(process=str(data.get("process", "")), steps=steps, result=_parse_result(result_raw),
                   result_raw=result_raw)

    @classmethod
    def identity(cls) -> Workflow:
        """Zero steps, result `init[image]`: pure transport (benchmarks, round-trip checks)."""
        return cls(process="identity", steps=[], result=[Ref(None, "image")], result_raw="[init[image]]")

    # -- graph ----------------------------------------------------------------------------------
    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)

    def dependencies(self) -> dict[Any, set[Any]]:
        """Step number -> the step numbers it reads from (the graph's edges)."""
        return {s.number: {r.step for _, r in s.refs() if r.step is not None} for s in self.steps
                if _hashable(s.number)}

    def to_dict(self) -> dict[str, Any]:
        pipeline: list[dict[str, Any]] = [s.to_dict() for s in self.steps]
        pipeline.append({"result": "[" + ", ".join(str(r) for r in self.result) + "]"})
        return {"process": self.process, "pipeline": pipeline}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _int_or_raw(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _literal(value: Any) -> Any:
    ref = Ref.parse(value)
    return ref if ref is not None else value


def _step_from_dict(entry: dict[str, Any]) -> Step:
    inputs = entry.get("input") or {}
    outputs = entry.get("output") or {}
    if not isinstance(inputs, dict):
        inputs = {"?": inputs}
    if not isinstance(outputs, dict):
        outputs = {"?": outputs}
    model = entry.get("model")
    return Step(
        number=_int_or_raw(entry.get("step")),
        model=model.strip() if isinstance(model, str) else model,
        inputs={str(k): _literal(v) for k, v in inputs.items()},
        outputs={str(k): _literal(v) for k, v in outputs.items()},
    )


def _parse_result(raw: Any) -> list[Ref]:
    if raw is None:
        return []
    if isinstance(raw, list):
        found = []
        for item in raw:
            found.extend(_parse_result(item))
        return found
    if isinstance(raw, str):
        return list(Ref.find_all(raw))
    return []


def _outside_strings(text: str) -> str:
    """Map full-width punctuation to ASCII where it is JSON syntax, leaving string contents alone."""
    return _scan(text)[0]


def _scan(text: str) -> tuple[str, int, list[str]]:
    """One pass: (the text with full-width punctuation mapped outside strings, the deepest nesting of
    brackets, the closers still open at the end, innermost last). A string left open counts as closed
    by a quote (the first entry of the list)."""
    out, in_string, escaped = [], False, False
    depth, deepest, stack = 0, 0, []
    closers = {"{": "}", "[": "]"}
    for ch in text:
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        ch = _FULLWIDTH.get(ch, ch)
        if ch == '"':
            in_string = True
        elif ch in closers:
            stack.append(closers[ch])
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "}]" and stack:
            stack.pop()
            depth -= 1
        out.append(ch)
    return "".join(out), deepest, (['"'] if in_string else []) + stack


_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _repair_small(body: str, open_closers: list[str]) -> Any:
    """The usual model slips, fixed in linear time: trailing commas, brackets (and a string) left open
    at the end. The value, or None when that is not enough."""
    fixed = body.rstrip()
    if open_closers and open_closers[0] == '"':
        fixed += '"'
        open_closers = open_closers[1:]
    fixed = (fixed.rstrip().rstrip(",") + "".join(reversed(open_closers)))
    fixed = _TRAILING_COMMA.sub(r"\1", fixed)  # commas inside strings are rare enough to accept the risk
    try:
        return json.loads(fixed)
    except (json.JSONDecodeError, RecursionError):
        return None


def split_reasoning(text: str) -> tuple[str, str]:
    """(reasoning, the JSON object's text) of a model's answer."""
    thoughts = " ".join(m.group(0) for m in _THINK_RE.finditer(text))
    reasoning = re.sub(r"</?think>", "", thoughts, flags=re.I).strip()
    body = _FENCE_RE.sub("", _THINK_RE.sub("", text))
    start, end = body.find("{"), body.rfind("}")
    if start < 0:
        raise WorkflowSyntaxError("no JSON object found in the text")
    before = body[:start].strip()
    if before and not reasoning:
        reasoning = before
    return reasoning, body[start: end + 1] if end > start else body[start:]


def parse_json(text: str) -> Any:
    """The JSON value of the workflow text, repairing the usual model mistakes. WorkflowSyntaxError for
    a text longer than MAX_WORKFLOW_CHARS or nested deeper than MAX_NESTING, before any parsing."""
    if len(text) > MAX_WORKFLOW_CHARS:
        raise WorkflowSyntaxError(f"the workflow text is {len(text)} characters long, above the limit of "
                                  f"{MAX_WORKFLOW_CHARS} ({MAX_WORKFLOW_CHARS // 1024} KiB)")
    _, body = split_reasoning(text)
    body, deepest, open_closers = _scan(body)
    if deepest > MAX_NESTING:
        raise WorkflowSyntaxError(f"the workflow text nests brackets {deepest} levels deep, above the limit of "
                                  f"{MAX_NESTING}")
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        pass
    value = _repair_small(body, open_closers)
    if isinstance(value, dict) and value:
        return value
    if len(body) > MAX_REPAIR_CHARS or deepest > MAX_REPAIR_NESTING:
        raise WorkflowSyntaxError(f"the text is not valid JSON, and at {len(body)} characters and {deepest} levels "
                                  f"of nesting it is beyond the tolerant reader (at most {MAX_REPAIR_CHARS} characters, "
                                  f"{MAX_REPAIR_NESTING} levels)")
    import json_repair  # tolerant reader: trailing/missing commas, unclosed brackets

    try:
        value = json_repair.loads(body)
    except (ValueError, RecursionError) as e:
        raise WorkflowSyntaxError("the text is not a readable JSON workflow") from e
    if not isinstance(value, dict) or not value:
        raise WorkflowSyntaxError("the text is not a readable JSON workflow")
    return value


def parse_workflow(text: str) -> Workflow:
    """Text (a file, a model's answer) -> Workflow. Raises WorkflowSyntaxError if there is none."""
    return Workflow.from_dict(parse_json(text))
