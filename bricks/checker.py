"""Strict checking of a parsed workflow against the brick registry.

Every problem is reported at once, each with its step and field, so a person (or the Builder's
self-repair loop) can fix them all in one go. Warnings do not stop a run.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lego_edit.bricks.registry import Registry
from lego_edit.bricks.valuetype import ValueType
from lego_edit.bricks.workflow import Ref, Workflow

INIT_TYPES: dict[str, ValueType] = {"image": ValueType.IMAGE, "mask": ValueType.MASK}


class ProblemCode(str, enum.Enum):
    """The kind of a checker problem: what a program (the daemon's clients, the Builder's repair loop)
    matches on. The message is for people and may change; the codes are listed in docs/workflow.md."""

    BAD_STEP_NUMBER = "bad_step_number"  # a step number that is not an integer
    DUPLICATE_STEP = "duplicate_step"  # two steps with one number
    UNKNOWN_BRICK = "unknown_brick"  # `model` names no brick of the registry
    UNKNOWN_OUTPUT = "unknown_output"  # a declared output the brick does not have
    BAD_OUTPUT = "bad_output"  # an output not written as stepN[key] with its own step and key
    UNKNOWN_INPUT = "unknown_input"  # an input the brick does not have
    MISSING_INPUT = "missing_input"  # a required input absent or null
    TYPE_MISMATCH = "type_mismatch"  # a reference or literal of the wrong value type
    BAD_REF = "bad_ref"  # a reference to a step, output or caller input that does not exist
    MISSING_INIT = "missing_init"  # init[key] the caller does not supply this time
    FORWARD_REF = "forward_ref"  # a reference to a later step
    CYCLE = "cycle"  # a step that depends on itself, directly or through others
    BAD_RESULT = "bad_result"  # the result names nothing, or names something no step produces
    CONSTRAINT = "constraint"  # a caller's constraint (e.g. the user's feedback) is broken
    UNUSED_OUTPUT = "unused_output"  # warning: a declared output nothing reads
    UNAVAILABLE = "unavailable"  # warning: a brick with no usable backend on this machine

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    message: str
    step: Any = None  # step number, or None for the workflow as a whole
    field: str | None = None  # "input.mask", "output.image", "model", "result", ...
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = "workflow" if self.step is None else f"step {self.step}"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the daemon's `invalid_workflow.problems`): step is null unless an integer."""
        return {"code": self.code.value, "severity": self.severity,
                "step": self.step if isinstance(self.step, int) and not isinstance(self.step, bool) else None,
                "field": self.field, "message": self.message}


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class InvalidWorkflow(ValueError):
    """Raised by the executor (and the Builder) when a workflow does not check clean."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        errors = report.errors
        super().__init__(f"{len(errors)} problem(s) in the workflow:\n" + "\n".join(str(p) for p in errors))


Constraint = Callable[[Workflow], Iterable[str]]


def _literal_ok(value: Any, expected: ValueType) -> bool:
    if expected is ValueType.FLOAT:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        if isinstance(value, str):
            try:
                float(value)
                return True
            except ValueError:
                return False
        return False
    if expected is ValueType.STR:
        return isinstance(value, str)
    return False  # Images and Masks only arrive by reference


def check(
    workflow: Workflow,
    registry: Registry,
    *,
    inits: Sequence[str] = ("image", "mask"),
    constraints: Sequence[Constraint] = (),
    report_unavailable: bool = False,
) -> CheckReport:
    """Check `workflow` against `registry`; `inits` are the caller inputs that exist (init[...]).

    `report_unavailable` adds a warning for each brick with no usable backend on this machine: the
    workflow is still valid (it runs where the models are installed).
    """
    problems: list[Problem] = []
    err = problems.append
    numbers: dict[Any, int] = {}
    produced: dict[tuple[int, str], ValueType] = {}  # (step, key) -> type, for well-formed steps
    position: dict[int, int] = {}

    for index, step in enumerate(workflow.steps):
        n = step.number
        if not isinstance(n, int) or isinstance(n, bool):
            said = repr(n) if len(repr(n)) <= 60 else repr(n)[:59] + "\u2026"
            err(Problem(ProblemCode.BAD_STEP_NUMBER, f"step number {said} is not an integer", step=n if n is not None else f"#{index + 1}", field="step"))
        elif n in numbers:
            err(Problem(ProblemCode.DUPLICATE_STEP, f"step number {n} is used twice", step=n, field="step"))
        else:
            numbers[n] = index
            position[n] = index
        brick = registry.get(step.model) if isinstance(step.model, str) else None
        if brick is None:
            err(Problem(ProblemCode.UNKNOWN_BRICK, f"unknown brick {step.model!r}", step=n, field="model"))
            continue
        for key, declared in step.outputs.items():
            port = brick.output(key)
            if port is None:
                err(Problem(ProblemCode.UNKNOWN_OUTPUT, f"{brick.name} has no output {key!r} (outputs: {', '.join(p.name for p in brick.outputs)})",
                            step=n, field=f"output.{key}"))
            elif declared is not None and isinstance(n, int) and declared != Ref(n, key):
                err(Problem(ProblemCode.BAD_OUTPUT, f"output {key!r} must be written as step{n}[{key}], not {declared}", step=n,
                            field=f"output.{key}"))
        if isinstance(n, int):
            for port in brick.outputs:
                declared_null = port.name in step.outputs and step.outputs[port.name] is None
                if not declared_null:
                    produced[(n, port.name)] = port.type

    for step in workflow.steps:
        n = step.number
        brick = registry.get(step.model) if isinstance(step.model, str) else None
        if brick is None:
            continue
        for name, value in step.inputs.items():
            port = brick.input(name)
            fld = f"input.{name}"
            if port is None:
                err(Problem(ProblemCode.UNKNOWN_INPUT, f"{brick.name} has no input {name!r} (inputs: {', '.join(p.name for p in brick.inputs)})",
                            step=n, field=fld))
                continue
            if isinstance(value, Ref):
                actual = _ref_type(value, n, position, produced, inits, registry, workflow, err, fld)
                if actual is not None and actual is not port.type:
                    err(Problem(ProblemCode.TYPE_MISMATCH, f"type mismatch: {value} is a {actual}, {brick.name}.{name} needs a {port.type}",
                                step=n, field=fld))
            elif value is None:
                if not port.optional:
                    err(Problem(ProblemCode.MISSING_INPUT, f"required input {name!r} is null", step=n, field=fld))
            elif not _literal_ok(value, port.type):
                err(Problem(ProblemCode.TYPE_MISMATCH, f"{brick.name}.{name} needs a {port.type}, got the literal {value!r}", step=n, field=fld))
        for port in brick.inputs:
            if not port.optional and port.name not in step.inputs:
                err(Problem(ProblemCode.MISSING_INPUT, f"missing required input {port.name!r} ({port.type})", step=n, field=f"input.{port.name}"))

    _check_cycles(workflow, err)

    if not workflow.result:
        said = f" ({workflow.result_raw!r})" if workflow.result_raw not in (None, "", []) else ""
        err(Problem(ProblemCode.BAD_RESULT, f"the result names no step output{said}", field="result"))
    for ref in workflow.result:
        if ref.step is None:
            if ref.key not in inits:
                err(Problem(ProblemCode.BAD_RESULT, f"{ref} is not a caller input (have: {', '.join(inits)})", field="result"))
        elif ref.step not in numbers:
            err(Problem(ProblemCode.BAD_RESULT, f"{ref} refers to step {ref.step}, which does not exist", field="result"))
        elif (ref.step, ref.key) not in produced:
            err(Problem(ProblemCode.BAD_RESULT, f"{ref}: step {ref.step} has no output {ref.key!r}", field="result"))

    used = {(r.step, r.key) for s in workflow.steps for _, r in s.refs()} | {(r.step, r.key) for r in workflow.result}
    for step in workflow.steps:
        for key, declared in step.outputs.items():
            if declared is not None and isinstance(step.number, int) and (step.number, key) in produced \
                    and (step.number, key) not in used:
                problems.append(Problem(ProblemCode.UNUSED_OUTPUT, f"output {key!r} is not used by any step or the result", step=step.number,
                                        field=f"output.{key}", severity="warning"))

    if report_unavailable:
        for step in workflow.steps:
            brick = registry.get(step.model) if isinstance(step.model, str) else None
            if brick is not None and brick.active_backend() is None:
                problems.append(Problem(ProblemCode.UNAVAILABLE, brick.unavailable_message(), step=step.number, field="model", severity="warning"))

    for constraint in constraints:
        for message in constraint(workflow):
            err(Problem(ProblemCode.CONSTRAINT, message, field="constraint"))
    return CheckReport(problems)


def _ref_type(ref: Ref, n: Any, position: dict[int, int], produced: dict[tuple[int, str], ValueType],
              inits: Sequence[str], registry: Registry, workflow: Workflow, err: Callable[[Problem], None],
              fld: str) -> ValueType | None:
    if ref.step is None:
        if ref.key not in INIT_TYPES:
            err(Problem(ProblemCode.BAD_REF, f"{ref}: the caller inputs are {', '.join(f'init[{k}]' for k in INIT_TYPES)}", step=n, field=fld))
            return None
        if ref.key not in inits:
            err(Problem(ProblemCode.MISSING_INIT, f"{ref} is not supplied by the caller", step=n, field=fld))
        return INIT_TYPES[ref.key]
    if ref.step == n:
        err(Problem(ProblemCode.CYCLE, f"{ref} refers to the step itself (a cycle)", step=n, field=fld))
        return None
    if ref.step not in position:
        err(Problem(ProblemCode.BAD_REF, f"{ref} refers to step {ref.step}, which does not exist", step=n, field=fld))
        return None
    if isinstance(n, int) and n in position and position[ref.step] > position[n]:
        err(Problem(ProblemCode.FORWARD_REF, f"{ref} refers to step {ref.step}, which comes later", step=n, field=fld))
        return produced.get((ref.step, ref.key))
    source = workflow.steps[position[ref.step]]
    brick = registry.get(source.model) if isinstance(source.model, str) else None
    if brick is None:
        return None  # already reported at that step
    if (ref.step, ref.key) not in produced:
        if brick.output(ref.key) is None:
            err(Problem(ProblemCode.BAD_REF, f"{ref}: {brick.name} has no output {ref.key!r}", step=n, field=fld))
        else:
            err(Problem(ProblemCode.BAD_REF, f"{ref}: step {ref.step} declares output {ref.key!r} as null", step=n, field=fld))
        return None
    return produced[(ref.step, ref.key)]


def _check_cycles(workflow: Workflow, err: Callable[[Problem], None]) -> None:
    """Report each step that lies on a dependency cycle of two or more steps."""
    deps = {k: v for k, v in workflow.dependencies().items() if isinstance(k, int)}
    state: dict[int, int] = {}  # 1 = on the stack, 2 = done
    on_cycle: set[int] = set()

    # Depth-first, with an explicit stack: a chain of thousands of steps must not hit the recursion limit.
    for root in deps:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        todo = [iter(sorted(deps.get(root, ())))]
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                todo.pop()
                state[path.pop()] = 2
                continue
            if dep not in deps or dep == path[-1]:
                continue
            if state.get(dep) == 1:
                on_cycle.update(path[path.index(dep):])
            elif state.get(dep) is None:
                state[dep] = 1
                path.append(dep)
                todo.append(iter(sorted(deps.get(dep, ()))))
    for node in sorted(on_cycle):
        err(Problem(ProblemCode.CYCLE, f"step {node} is part of a dependency cycle", step=node, field="input"))
