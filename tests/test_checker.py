"""Checking names every problem with its step and field; valid workflows check clean."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lego_edit.bricks.checker import ProblemCode, check
from lego_edit.bricks.workflow import Workflow, parse_workflow
from tests.conftest import REFERENCE_WORKFLOWS


def wf(*steps, result="[step1[mask]]"):
    return Workflow.from_dict({"process": "t", "pipeline": [*steps, {"result": result}]})


def step(n, model, inputs, outputs=None):
    return {"step": n, "model": model, "input": inputs, "output": outputs or {}}


def problems(report):
    return {(p.step, p.field) for p in report.errors}


def coded(report):
    return {(p.step, p.field, p.code) for p in report.errors}


@pytest.mark.parametrize("name", ["example2.txt", "example3.txt"])
def test_reference_workflows_check_clean(registry, name):
    report = check(parse_workflow((REFERENCE_WORKFLOWS / name).read_text(encoding="utf-8")), registry)
    assert report.ok, report.summary()
    assert not report.warnings


def test_every_problem_is_reported_with_its_step(registry):
    report = check(wf(
        step(1, "RES", {"image": "init[image]", "prompt": "dog", "colour": "red"}),  # unknown input
        step(2, "NOPE", {"image": "init[image]"}),  # unknown brick
        step(3, "FASTINPAINT", {"image": "step1[mask]", "mask": "step1[mask]"}),  # type mismatch
        step(4, "BBOX", {}),  # missing required input
        step(5, "BBOX", {"mask": "step9[mask]"}),  # missing step
        step(6, "BBOX", {"mask": "step7[mask]"}),  # later step
        step(7, "BBOX", {"mask": "step1[mask]"}),
        step(8, "FLUX-BRIGHT", {"image": "init[image]", "ratio": "bright"}),  # literal of the wrong type
        result="[step1[mask], step3[image], step42[image]]",
    ), registry)
    C = ProblemCode
    assert coded(report) >= {
        (1, "input.colour", C.UNKNOWN_INPUT), (2, "model", C.UNKNOWN_BRICK), (3, "input.image", C.TYPE_MISMATCH),
        (4, "input.mask", C.MISSING_INPUT), (5, "input.mask", C.BAD_REF), (6, "input.mask", C.FORWARD_REF),
        (8, "input.ratio", C.TYPE_MISMATCH), (None, "result", C.BAD_RESULT),
    }
    assert "step42" in next(p.message for p in report.errors if p.field == "result" and "step42" in p.message)
    assert all(p.message and str(p).endswith(p.message) for p in report.problems)  # the English stays for people


def test_cycles_are_reported(registry):
    report = check(wf(
        step(1, "BBOX", {"mask": "step2[mask]"}),
        step(2, "BBOX", {"mask": "step1[mask]"}),
        step(3, "BBOX", {"mask": "step3[mask]"}),
    ), registry)
    cyclic = {p.step for p in report.errors if p.code is ProblemCode.CYCLE}
    assert cyclic == {1, 2, 3}


def test_result_naming_nothing(registry):
    report = check(wf(step(1, "BBOX", {"mask": "init[mask]"}), result="done"), registry)
    assert (None, "result", ProblemCode.BAD_RESULT) in coded(report)


def test_unused_outputs_are_warnings(registry):
    report = check(wf(step(1, "RES", {"image": "init[image]", "prompt": "sky"},
                           {"mask": "step1[mask]", "image": "step1[image]"})), registry)
    assert report.ok
    assert [(w.step, w.field, w.code) for w in report.warnings] == [(1, "output.image", ProblemCode.UNUSED_OUTPUT)]


def test_output_declared_null_cannot_be_used(registry):
    report = check(wf(
        step(1, "CMI-PRED", {"image": "init[image]"}, {"caption": "step1[caption]", "image": None, "mask": None}),
        step(2, "FLUX-FILL", {"image": "step1[image]", "mask": "init[mask]", "prompt": "step1[caption]"}),
        result="[step2[image]]"), registry)
    assert (2, "input.image", ProblemCode.BAD_REF) in coded(report)


def test_missing_caller_mask(registry):
    report = check(wf(step(1, "BBOX", {"mask": "init[mask]"})), registry, inits=["image"])
    assert (1, "input.mask", ProblemCode.MISSING_INIT) in coded(report)


def test_zero_step_identity_is_valid(registry):
    assert check(Workflow.identity(), registry).ok


def test_constraints_are_enforced(registry):
    no_res = lambda w: [f"step {s.number} uses RES" for s in w.steps if s.model == "RES"]  # noqa: E731
    report = check(wf(step(1, "RES", {"image": "init[image]", "prompt": "sky"}, {"mask": "step1[mask]"})),
                   registry, constraints=[no_res])
    assert not report.ok and "uses RES" in report.summary()
    assert [(p.code, p.field) for p in report.errors] == [(ProblemCode.CONSTRAINT, "constraint")]


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=30))
def test_checker_reports_instead_of_crashing(registry, junk):
    data = {"process": "junk", "pipeline": [junk, {"step": 1, "model": "BBOX", "input": junk, "output": junk}]}
    try:
        workflow = Workflow.from_dict(json.loads(json.dumps(data)))
    except Exception as exc:  # only the documented syntax error may escape
        assert type(exc).__name__ == "WorkflowSyntaxError"
        return
    report = check(workflow, registry)
    assert not report.ok


def test_every_code_has_a_kind_and_a_json_form(registry):
    report = check(wf(
        {"step": "one", "model": "BBOX", "input": {"mask": "init[mask]"}, "output": {}},
        step(2, "BBOX", {"mask": "init[mask]"}, {"mask": "step1[mask]", "box": "step2[box]"}),
        step(2, "BBOX", {"mask": "init[selection]"}),
        result="[step2[mask]]"), registry, report_unavailable=True)
    codes = {p.code for p in report.problems}
    assert {ProblemCode.BAD_STEP_NUMBER, ProblemCode.DUPLICATE_STEP, ProblemCode.BAD_OUTPUT, ProblemCode.UNKNOWN_OUTPUT,
            ProblemCode.BAD_REF} <= codes
    for p in report.problems:
        d = p.to_dict()
        assert d == {"code": p.code.value, "severity": p.severity, "step": d["step"], "field": p.field,
                     "message": p.message}
        assert d["step"] is None or isinstance(d["step"], int)
        assert json.loads(json.dumps(d)) == d
    assert len({c.value for c in ProblemCode}) == len(ProblemCode)
