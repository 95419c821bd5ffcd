"""Model backends of the Builder: the prompt from the live catalog, an OpenAI-compatible endpoint
served for real on loopback, parse -> check -> repair, refusals, feedback constraints."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lego_edit.bricks.checker import ProblemCode, check
from lego_edit.bricks.registry import Brick, Port, Registry
from lego_edit.bricks.values import ValueType
from lego_edit.bricks.workflow import Workflow
from lego_edit.builder import Builder, BuilderConfig, PlanError
from lego_edit.builder.prompt import NO_JSON, NOT_A_WORKFLOW, REPAIR_HINTS

GOOD = {"process": "brighten", "pipeline": [
    {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.7}, "output": {"image": "step1[image]"}},
    {"result": "[step1[image]]"}]}
BROKEN = {"process": "brighten", "pipeline": [
    {"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[mask]"}, "output": {"image": "step1[image]"}},
    {"result": "[step2[image]]"}]}


def openai_builder(registry, url, **kw):
    return Builder(registry, BuilderConfig(backend="openai", openai_base_url=url, openai_model="lego-builder",
                                           openai_api_key="sk-test", **kw))


IMAGE = np.zeros((600, 900, 4), np.uint8)


def test_openai_plan_with_image_as_data_url(registry, chat):
    server = chat("<think>The user wants it brighter.</think>" + json.dumps(GOOD))
    plan = openai_builder(registry, server.url).plan("make it brighter", image=IMAGE)
    assert plan.backend == "openai" and plan.attempts == 1
    assert plan.reasoning == "The user wants it brighter."
    assert [s.model for s in plan.workflow.steps] == ["FLUX-BRIGHT"]
    sent = server.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test"
    assert sent["body"]["temperature"] == 0
    system, user = sent["body"]["messages"]
    assert "### FLUX-BRIGHT" in system["content"] and "### RES" in system["content"]
    image_part, text_part = user["content"]
    assert image_part["image_url"]["url"].startswith("data:image/png;base64,")
    assert "Instruction: make it brighter" in text_part["text"]


def test_broken_answers_are_repaired_with_the_precise_errors(registry, chat):
    server = chat("Sure! Here it is: " + json.dumps(BROKEN), json.dumps(GOOD))
    plan = openai_builder(registry, server.url).plan("make it brighter", image=IMAGE)
    assert plan.attempts == 2
    second = server.requests[1]["body"]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    repair = second[-1]["content"]
    assert "ratio" in repair and "step2" in repair
    report = check(Workflow.from_dict(BROKEN), registry, inits=("image",))
    codes = {p.code for p in report.errors}
    assert codes == {"missing_init", "type_mismatch", "missing_input", "bad_result"}
    for problem in report.errors:  # every problem, where it is, and how to fix its kind
        assert f"- {problem}" in repair and REPAIR_HINTS[problem.code] in repair


def test_an_answer_without_json_is_repaired(registry, chat):
    server = chat("I would brighten the image.", json.dumps(GOOD))
    plan = openai_builder(registry, server.url).plan("make it brighter", image=IMAGE)
    assert plan.attempts == 2
    assert REPAIR_HINTS[NO_JSON] in server.requests[1]["body"]["messages"][-1]["content"]


def test_every_checker_error_has_a_repair_hint():
    errors = {c for c in ProblemCode if c not in (ProblemCode.UNUSED_OUTPUT, ProblemCode.UNAVAILABLE)}
    assert errors <= set(REPAIR_HINTS)
    assert set(REPAIR_HINTS) <= {*ProblemCode, NO_JSON, NOT_A_WORKFLOW}


def test_bounded_repairs_then_a_clear_error(registry, chat):
    server = chat(*[json.dumps(BROKEN)] * 5)
    with pytest.raises(PlanError) as info:
        openai_builder(registry, server.url, max_repairs=2).plan("make it brighter", image=IMAGE)
    assert info.value.code == "invalid_workflow" and len(server.requests) == 3
    assert {p["code"] for p in info.value.problems} == {"missing_init", "type_mismatch", "missing_input", "bad_result"}


def test_model_refusal_is_a_refusal(registry, chat):
    server = chat('{"refuse": "this is a question, not an edit"}')
    with pytest.raises(PlanError) as info:
        openai_builder(registry, server.url).plan("what is in this picture?", image=IMAGE)
    assert info.value.code == "refused" and "question" in str(info.value)


def test_unreachable_endpoint_and_http_errors(registry, chat):
    with pytest.raises(PlanError) as info:
        openai_builder(registry, "http://127.0.0.1:9/v1").plan("make it brighter", image=IMAGE)
    assert info.value.code == "backend_error" and "cannot reach" in str(info.value)
    server = chat(503)
    with pytest.raises(PlanError) as info:
        openai_builder(registry, server.url).plan("make it brighter", image=IMAGE)
    assert info.value.code == "backend_error" and "503" in str(info.value)


def test_user_mask_is_announced(registry, chat):
    server = chat(json.dumps(GOOD))
    mask = np.zeros(IMAGE.shape[:2], np.uint8)
    mask[10:20, 10:20] = 255
    openai_builder(registry, server.url).plan("make this brighter", image=IMAGE, mask=mask)
    text = server.requests[0]["body"]["messages"][1]["content"][1]["text"]
    assert "The user supplied a mask (init[mask])." in text


def test_feedback_becomes_prompt_text_and_is_enforced(registry, chat):
    uses_sos = {"process": "remove", "pipeline": [
        {"step": 1, "model": "SOS", "input": {"image": "init[image]"}, "output": {"mask": "step1[mask]"}},
        {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
         "output": {"image": "step2[image]"}},
        {"result": "[step2[image]]"}]}
    uses_res = json.loads(json.dumps(uses_sos).replace('"SOS", "input": {"image": "init[image]"}',
                                                       '"RES", "input": {"image": "init[image]", "prompt": "lamp"}'))
    server = chat(json.dumps(uses_sos), json.dumps(uses_res))
    plan = openai_builder(registry, server.url).plan("remove the lamp", image=IMAGE, feedback=["don't use SOS"])
    assert [s.model for s in plan.workflow.steps] == ["RES", "FASTINPAINT"] and plan.attempts == 2
    first_user = server.requests[0]["body"]["messages"][1]["content"][1]["text"]
    assert "SOS" in first_user.split("feedback")[-1]
    assert "SOS" in server.requests[1]["body"]["messages"][-1]["content"]


def test_a_new_brick_is_in_the_prompt_and_usable_without_builder_changes(registry, chat):
    reg = Registry(list(registry))
    grain = Brick("FILM-GRAIN", "Add film grain to the image.", (Port("image", ValueType.IMAGE),
                  Port("strength", ValueType.FLOAT, doc="0..1")), (Port("image", ValueType.IMAGE),),
                  constraints="Strength 0.3 is subtle.")
    grain.backend("numpy")(lambda ctx, image, strength: {"image": image.copy()})
    reg.register(grain)
    answer = {"process": "film grain", "pipeline": [
        {"step": 1, "model": "FILM-GRAIN", "input": {"image": "init[image]", "strength": 0.4}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]}
    server = chat(json.dumps(answer))
    plan = openai_builder(reg, server.url).plan("add film grain", image=IMAGE)
    assert [s.model for s in plan.workflow.steps] == ["FILM-GRAIN"]
    system = server.requests[0]["body"]["messages"][0]["content"]
    assert "### FILM-GRAIN" in system and "Add film grain" in system and "strength (Float)" in system


def test_missing_model_name_is_a_backend_error(registry):
    with pytest.raises(PlanError) as info:
        Builder(registry, BuilderConfig(backend="openai")).plan("make it brighter", image=IMAGE)
    assert info.value.code == "backend_error" and "openai_model" in str(info.value)
