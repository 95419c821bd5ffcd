"""The ground-truth rewards on hand-made answers: exact values for a perfect, a close, a far, an
invalid, an unreadable and a refusing answer, and for feedback honoured or broken."""

from __future__ import annotations

import json

import pytest

from lego_edit.training.rewards import (
    COMPONENTS,
    Example,
    RewardWeights,
    components,
    structural_distance,
    trl_reward_functions,
)


def wf(*steps, result="[step1[image]]"):
    return {"process": "p", "pipeline": [*steps, {"result": result}]}


def step(n, model, inputs, outputs=("image",)):
    return {"step": n, "model": model, "input": inputs, "output": {k: f"step{n}[{k}]" for k in outputs}}


BRIGHT = wf(step(1, "FLUX-BRIGHT", {"image": "init[image]", "ratio": 0.65}))


def answer(workflow) -> str:
    return "<think>brighten it</think>\n" + json.dumps(workflow)


@pytest.fixture(scope="module")
def truth():
    return Example(truth=BRIGHT)


def test_the_ground_truth_itself_scores_every_component(registry, truth):
    got = components(answer(BRIGHT), truth, registry)
    assert got == {"format": 1.0, "valid": 1.0, "match": 1.0, "feedback": 1.0, "total": 2.0}


def test_a_close_answer_loses_only_the_argument_share(registry, truth):
    close = wf(step(1, "FLUX-BRIGHT", {"image": "init[image]", "ratio": 0.8}))  # 0.15 off: beyond the 0.1 tolerance
    got = components(answer(close), truth, registry)
    assert got["valid"] == 1.0 and got["match"] == pytest.approx(0.8)
    assert got["total"] == pytest.approx(1.8)
    within = wf(step(1, "FLUX-BRIGHT", {"image": "init[image]", "ratio": 0.7}))
    assert components(answer(within), truth, registry)["match"] == pytest.approx(1.0)


def test_a_far_answer_is_valid_but_matches_nothing(registry, truth):
    far = wf(step(1, "FLIP", {"image": "init[image]", "direction": "horizontal"}))
    got = components(answer(far), truth, registry)
    assert got == {"format": 1.0, "valid": 1.0, "match": 0.0, "feedback": 1.0, "total": 1.0}


def test_an_extra_step_costs_bricks_edges_and_arguments(registry, truth):
    longer = wf(step(1, "FLUX-BRIGHT", {"image": "init[image]", "ratio": 0.65}),
                step(2, "FLIP", {"image": "step1[image]", "direction": "horizontal"}), result="[step2[image]]")
    # bricks J = 1/2, edges J = 1/4, arguments 1/2: d = 0.4*0.5 + 0.4*0.75 + 0.2*0.5 = 0.6
    assert structural_distance(longer, BRIGHT) == pytest.approx(0.6)
    assert components(answer(longer), truth, registry)["match"] == pytest.approx(0.4)


def test_an_invalid_answer_parses_but_does_not_check(registry, truth):
    bad = wf(step(1, "FLUX-BRIGHT", {"image": "init[mask]"}))  # no mask was given, ratio missing
    got = components(answer(bad), truth, registry)
    # edges J = 1/3 (the result edge agrees), no arguments against one: d = 0.4*2/3 + 0.2 = 0.4667
    assert got["format"] == 1.0 and got["valid"] == 0.0
    assert got["match"] == pytest.approx(1 - (0.4 * 2 / 3 + 0.2))
    assert got["total"] == pytest.approx(0.25 + got["match"] + 0.25)


def test_unreadable_text_scores_zero(registry, truth):
    assert components("step one: brighten. done", truth, registry) == dict.fromkeys((*COMPONENTS, "total"), 0.0)


def test_refusals_against_a_refusal_and_against_a_workflow(registry, truth):
    refusal = '<think>a question</think>\n{"refuse": "that is a question"}'
    got = components(refusal, Example(refusal="a question, not an edit"), registry)
    assert got == {"format": 1.0, "valid": 0.0, "match": 1.0, "feedback": 0.0, "total": 1.25}
    assert components(refusal, truth, registry)["match"] == 0.0
    assert components(answer(BRIGHT), Example(refusal="no"), registry)["match"] == 0.0


def test_feedback_constraints_are_rewarded_when_honoured(registry):
    example = Example(truth=BRIGHT, feedback=("don't use FLIP",))
    flip = wf(step(1, "FLIP", {"image": "init[image]", "direction": "horizontal"}))
    broken = components(answer(flip), example, registry)
    assert broken["feedback"] == 0.0 and broken["valid"] == 0.0  # the checker enforces the constraint too
    kept = components(answer(BRIGHT), example, registry)
    assert kept["feedback"] == 1.0 and kept["valid"] == 1.0


def test_weights_come_from_the_config(registry, truth):
    w = RewardWeights(format=0.0, valid=2.0, match=0.0, feedback=0.0)
    assert components(answer(BRIGHT), truth, registry, w)["total"] == 2.0
    assert w.component_weights() == [0.0, 2.0, 0.0, 0.0]
    # the distance's own weights: arguments alone
    only_args = RewardWeights(bricks=0.0, edges=0.0, args=1.0)
    close = wf(step(1, "FLUX-BRIGHT", {"image": "init[image]", "ratio": 0.8}))
    assert structural_distance(close, BRIGHT, only_args) == 1.0


def test_trl_reward_functions_read_the_dataset_columns(registry):
    funcs = trl_reward_functions(registry)
    assert [f.__name__ for f in funcs] == list(COMPONENTS)
    completions = [[{"role": "assistant", "content": answer(BRIGHT)}], [{"role": "assistant", "content": "nope"}]]
    columns = {"truth": [json.dumps(BRIGHT)] * 2, "refusal": [""] * 2, "has_mask": [False] * 2, "feedback": [[], []]}
    assert [f(prompts=[None, None], completions=completions, **columns) for f in funcs] == [
        [1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
