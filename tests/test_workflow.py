"""Parsing is tolerant of real model output; serialization round-trips."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lego_edit.bricks.refs import Ref
from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError, parse_workflow, split_reasoning
from tests.conftest import REFERENCE_WORKFLOWS

REMOVE_DOG = {
    "process": "remove the dog",
    "pipeline": [
        {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "dog"},
         "output": {"mask": "step1[mask]", "image": "step1[image]"}},
        {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
         "output": {"image": "step2[image]", "score": "step2[score]"}},
        {"result": "[step1[image], step2[image]]"},
    ],
}


@pytest.mark.parametrize("name", ["example2.txt", "example3.txt"])
def test_reference_workflows_parse_verbatim(name):
    wf = parse_workflow((REFERENCE_WORKFLOWS / name).read_text(encoding="utf-8"))
    assert wf.steps and wf.result
    assert all(isinstance(s.number, int) for s in wf.steps)
    again = parse_workflow(wf.to_json())
    assert again.to_dict() == wf.to_dict()


def test_reference_example2_structure():
    wf = parse_workflow((REFERENCE_WORKFLOWS / "example2.txt").read_text(encoding="utf-8"))
    assert [s.model for s in wf.steps] == ["RES", "FASTINPAINT", "FLUX-INPAINT"]
    assert wf.result == [Ref(1, "image"), Ref(3, "image")]
    assert wf.step(3).inputs["preimage"] == Ref(2, "image")
    assert wf.dependencies() == {1: set(), 2: {1}, 3: {1, 2}}


def test_think_prefix_and_code_fence():
    text = "<think>The user wants the dog gone. I'll segment it first.</think>\n```json\n" + json.dumps(REMOVE_DOG) + "\n```"
    reasoning, _ = split_reasoning(text)
    assert "segment it first" in reasoning
    assert parse_workflow(text).to_dict() == Workflow.from_dict(REMOVE_DOG).to_dict()


def test_trailing_commas_fullwidth_commas_and_missing_comma():
    text = json.dumps(REMOVE_DOG, ensure_ascii=False)
    broken = (text.replace('"prompt": "dog"}', '"prompt": "dog",}')  # trailing comma
              .replace('"image": "init[image]", "mask"', '"image": "init[image]"，"mask"')  # full-width comma
              .replace('"step": 2, "model"', '"step": 2 "model"'))  # missing comma
    assert broken != text
    assert parse_workflow(broken).to_dict() == Workflow.from_dict(REMOVE_DOG).to_dict()


def test_fullwidth_commas_inside_strings_are_kept():
    data = dict(REMOVE_DOG, process="移除狗，然后保存")
    assert parse_workflow(json.dumps(data, ensure_ascii=False)).process == "移除狗，然后保存"


@pytest.mark.parametrize("result", ["[step1[image], step2[image]]", ["step1[image]", "step2[image]"],
                                    "step1[image], step2[image]"])
def test_result_as_string_or_list(result):
    data = json.loads(json.dumps(REMOVE_DOG))
    data["pipeline"][-1]["result"] = result
    assert Workflow.from_dict(data).result == [Ref(1, "image"), Ref(2, "image")]


def test_step_numbers_given_as_strings():
    data = json.loads(json.dumps(REMOVE_DOG))
    data["pipeline"][0]["step"] = "1"
    assert Workflow.from_dict(data).steps[0].number == 1


@pytest.mark.parametrize("text", ["", "no json here", "[1, 2, 3]", '{"process": "x"}'])
def test_text_without_a_workflow_is_a_syntax_error(text):
    with pytest.raises(WorkflowSyntaxError):
        parse_workflow(text)


def test_identity_workflow():
    wf = Workflow.identity()
    assert wf.steps == [] and wf.result == [Ref(None, "image")]
    assert parse_workflow(wf.to_json()).result == [Ref(None, "image")]


# -- properties ---------------------------------------------------------------------------------

keys = st.sampled_from(["image", "mask", "caption", "score"])
literals = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=12))


@st.composite
def workflows(draw):
    n = draw(st.integers(0, 6))
    pipeline = []
    for i in range(1, n + 1):
        inputs = {}
        for name in draw(st.lists(st.sampled_from(["image", "mask", "prompt", "ratio"]), unique=True, max_size=3)):
            if draw(st.booleans()) and i > 1:
                inputs[name] = f"step{draw(st.integers(1, i - 1))}[{draw(keys)}]"
            elif draw(st.booleans()):
                inputs[name] = f"init[{draw(st.sampled_from(['image', 'mask']))}]"
            else:
                value = draw(literals)
                if isinstance(value, str) and ("[" in value or "]" in value):
                    value = value.replace("[", "(").replace("]", ")")
                inputs[name] = value
        pipeline.append({"step": i, "model": draw(st.sampled_from(["RES", "BBOX", "COMPOSE", "X"])),
                         "input": inputs, "output": {draw(keys): f"step{i}[{draw(keys)}]"}})
    refs = [f"step{draw(st.integers(1, n))}[{draw(keys)}]" for _ in range(draw(st.integers(1, 2)))] if n else ["init[image]"]
    pipeline.append({"result": "[" + ", ".join(refs) + "]"})
    return {"process": draw(st.text(max_size=20)), "pipeline": pipeline}


@settings(max_examples=150, deadline=None)
@given(workflows())
def test_serialization_round_trips(data):
    wf = Workflow.from_dict(data)
    assert Workflow.from_dict(json.loads(wf.to_json())).to_dict() == wf.to_dict()
    assert parse_workflow(wf.to_json(indent=None)).to_dict() == wf.to_dict()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parser_never_crashes_on_arbitrary_text(text):
    try:
        parse_workflow(text)
    except WorkflowSyntaxError:
        pass
