"""Stage 3's reward on hand-made answers: the workflow really runs (offline bricks), the judge is
the evaluation judge talking to a real loopback chat server; every failure gives the configured
reward with its reason, never an exception."""

from __future__ import annotations

import json

import pytest

from lego_edit.training.config import CriticConfig
from lego_edit.training.critic import CriticReward
from tests.train_helpers import photos, small_registry

BRIGHT = {"process": "b", "pipeline": [{"step": 1, "model": "FLUX-BRIGHT", "input": {"image": "init[image]", "ratio": 0.7},
                                        "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}
ANSWER = "<think>brighter</think>\n" + json.dumps(BRIGHT)
SC = '{"reasoning": "brighter, as asked", "score": [8, 9]}'
PQ = '{"reasoning": "clean", "score": [9, 10]}'


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return str(photos(tmp_path_factory.mktemp("critic-photos"), names=("astronaut",)) / "astronaut.png")


def critic_for(server, **overrides):
    from lego_edit.evaluation.judge import JudgeConfig, make_judge

    cfg = CriticConfig(**{"failure_reward": -0.5, **overrides})
    judge = make_judge("openai", JudgeConfig(base_url=server.url if server else "http://127.0.0.1:9/v1", model="judge",
                                             timeout=5))
    return CriticReward(small_registry(), judge, cfg)


def test_a_valid_workflow_is_run_and_judged(chat, photo):
    server = chat(SC, PQ)
    critic = critic_for(server)
    outcome = critic.score(ANSWER, "make it brighter", photo)
    assert outcome.reason == "judged" and outcome.valid == 1.0
    assert outcome.critic == pytest.approx(((min(8, 9) * min(9, 10)) ** 0.5) / 10)  # GEdit overall, 0..1
    sent = server.requests[0]["body"]["messages"]
    assert "make it brighter" in json.dumps(sent)
    images = [p for m in sent if isinstance(m["content"], list) for p in m["content"] if p.get("type") == "image_url"]
    assert len(images) == 2  # the source and the result the executor made
    assert images[0] != images[1]  # the result really is brighter, not the source handed back


def test_failures_give_the_failure_reward(chat, photo):
    critic = critic_for(chat("no scores here", "nor here"))
    assert (critic.score(ANSWER, "make it brighter", photo).critic, critic.failures["judge_unreadable"]) == (-0.5, 1)
    refused = critic.score('{"refuse": "no"}', "x", photo)
    garbage = critic.score("brighten it please", "x", photo)
    invalid = critic.score(json.dumps({**BRIGHT, "pipeline": [{"step": 1, "model": "SOS", "input": {"image": "init[image]"},
                                                               "output": {"mask": "step1[mask]"}}]}), "x", photo)
    assert [(o.valid, o.critic, o.reason) for o in (refused, garbage, invalid)] == [
        (0.0, -0.5, "refused"), (0.0, -0.5, "unparseable"), (0.0, -0.5, "invalid")]
    unreachable = critic_for(None).score(ANSWER, "make it brighter", photo)
    assert (unreachable.valid, unreachable.critic, unreachable.reason) == (1.0, -0.5, "judge_error")


def test_a_run_past_the_time_limit_is_cancelled(chat, photo):
    """The run is held until it is cancelled (or 5 s pass), so the limit always passes first, however the threads
    are scheduled: the critic must give the timeout reward and cancel the run, not wait for it."""
    import threading

    from lego_edit.bricks.executor import Executor
    from lego_edit.evaluation.judge import JudgeConfig, make_judge

    seen_cancel = threading.Event()

    class HeldExecutor(Executor):
        def run(self, workflow, inputs, *, cancel=None, **kwargs):
            if cancel is not None and cancel.wait(5):
                seen_cancel.set()
            return super().run(workflow, inputs, cancel=cancel, **kwargs)

    server = chat(SC, PQ)
    judge = make_judge("openai", JudgeConfig(base_url=server.url, model="judge", timeout=5))
    registry = small_registry()
    critic = CriticReward(registry, judge, CriticConfig(failure_reward=-0.5, timeout_s=0.05), executor=HeldExecutor(registry))
    outcome = critic.score(ANSWER, "make it brighter", photo)
    assert (outcome.valid, outcome.critic, outcome.reason) == (1.0, -0.5, "timeout")
    assert seen_cancel.wait(5)  # the held run was told to stop
    assert server.requests == []  # nothing to judge


def test_trl_functions_score_each_answer_once(chat, photo):
    server = chat(SC, PQ)
    valid, score = critic_for(server).functions()
    completions = [[{"role": "assistant", "content": ANSWER}], [{"role": "assistant", "content": "?"}]]
    columns = {"instruction": ["make it brighter"] * 2, "image_path": [photo] * 2, "mask_path": [""] * 2}
    assert valid(prompts=[None] * 2, completions=completions, **columns) == [1.0, 0.0]
    assert score(prompts=[None] * 2, completions=completions, **columns) == [pytest.approx(0.8485, abs=1e-4), -0.5]
    assert len(server.requests) == 2  # one judgment (two questions), shared by both functions
