"""Seeds and "next variation" end to end: a real daemon on loopback, the real executor and its step cache,
the protocol client and the session the hosts use.

The stochastic brick is a test-only one (NOISE: Gaussian noise from `ctx.seed`, declared stochastic);
the classical bricks around it are the built-in ones. The model path (the SD inpainting sampler seeded
from `ctx.seed`) runs with tiny random weights under the `models` marker.
"""

from __future__ import annotations

import numpy as np
import pytest

from lego_edit.bricks.cache import step_seed
from lego_edit.bricks.registry import Brick, Port, Registry
from lego_edit.bricks.values import ValueType
from lego_edit.plugins.client.lego_client import Client, ImageData, LegoError
from lego_edit.plugins.client.session import NO_VARIATION, EditSession
from tests.daemon_util import Raw, running_server

W, H = 24, 16
CALLS: list[int | None] = []  # the seed of every NOISE call, in order


def _noise(ctx, image):
    CALLS.append(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    out = image.copy()
    noisy = out[..., :3].astype(np.int16) + rng.integers(-40, 41, size=out[..., :3].shape)
    out[..., :3] = np.clip(noisy, 0, 255).astype(np.uint8)
    return {"image": out}


def noise_brick() -> Brick:
    brick = Brick("NOISE", "test brick: adds seeded Gaussian-like noise", (Port("image", ValueType.IMAGE),),
                  (Port("image", ValueType.IMAGE),))
    brick.backend("test", stochastic=True)(_noise)
    return brick


# BLUR (deterministic) -> NOISE (stochastic) -> FLIP (deterministic, reads the noise)
WORKFLOW = {"process": "blur, noise, flip", "pipeline": [
    {"step": 1, "model": "BLUR", "input": {"image": "init[image]", "amount": 0.5}, "output": {"image": "step1[image]"}},
    {"step": 2, "model": "NOISE", "input": {"image": "step1[image]"}, "output": {"image": "step2[image]"}},
    {"step": 3, "model": "FLIP", "input": {"image": "step2[image]", "direction": "horizontal"},
     "output": {"image": "step3[image]"}},
    {"result": "[step3[image]]"}]}


def photo() -> bytes:
    y, x = np.mgrid[0:H, 0:W]
    checks = ((x // 2 + y // 2) % 2) * 90  # texture for BLUR to smooth (it refuses an image already smooth)
    rgba = np.dstack([x * 10 + checks, y * 14, (x + y) * 5, np.full((H, W), 255)]).astype(np.uint8)
    return rgba.tobytes()


@pytest.fixture(scope="module")
def server():
    from lego_edit.bricks.builtin import builtin_bricks

    with running_server(registry=Registry([*builtin_bricks(), noise_brick()])) as srv:
        yield srv


@pytest.fixture
def client(server):
    c = Client(server.endpoint, keepalive=False)
    c.hello()
    yield c
    c.close()


def image() -> ImageData:
    return ImageData.rgba(photo(), W, H)


def test_the_seed_comes_back_and_a_variation_reruns_only_the_seeded_step(client):
    CALLS.clear()
    first = client.run(WORKFLOW, image(), seed=7, timeout=30)
    assert first.seed == 7 and first.stochastic == [2] and first.variation is True
    assert first.executed == [1, 2, 3] and CALLS == [step_seed(7, 2)]
    steps = {s["step"]: s for s in first.steps}
    assert steps[2]["stochastic"] and steps[2]["seed"] == step_seed(7, 2)
    assert not steps[1]["stochastic"] and "seed" not in steps[1]
    started = [e.header for e in first.events if e.type == "progress" and e.get("state") == "started"]
    assert {h["step"]: h.get("seed") for h in started} == {1: None, 2: step_seed(7, 2), 3: None}

    again = client.variation(first.request_id, timeout=30)  # no seed given: the daemon draws a new one
    assert again.plan is not None and again.plan["backend"] == "variation" and again.plan["seed"] == again.seed
    assert again.plan["workflow"]["pipeline"][1]["model"] == "NOISE"
    assert isinstance(again.seed, int) and again.seed != 7 and again.variation is True
    assert again.cached == [1] and again.executed == [2, 3]  # BLUR reused; NOISE and what reads it rerun
    assert CALLS == [step_seed(7, 2), step_seed(again.seed, 2)]
    a, b = (np.frombuffer(r.layers[0].tobytes(), np.uint8).reshape(H, W, 4) for r in (first, again))
    assert (a[..., :3] != b[..., :3]).mean() > 0.5 and np.array_equal(a[..., 3], b[..., 3])

    back = client.variation(first.request_id, seed=7, timeout=30)  # the first seed again: the first pixels
    assert back.seed == 7 and back.cached == [1, 2, 3] and back.executed == []
    assert back.layers[0].tobytes() == first.layers[0].tobytes()


def test_the_same_seed_recomputed_gives_the_same_bytes(server, client):
    first = client.run(WORKFLOW, image(), seed=123456789, timeout=30)
    server.executor.cache.clear()  # nothing cached: every step computes again
    CALLS.clear()
    second = client.run(WORKFLOW, image(), seed=123456789, timeout=30)
    assert second.executed == [1, 2, 3] and CALLS == [step_seed(123456789, 2)]
    assert second.layers[0].tobytes() == first.layers[0].tobytes()
    other = client.run(WORKFLOW, image(), seed=123456790, timeout=30)
    assert other.cached == [1] and other.layers[0].tobytes() != first.layers[0].tobytes()


def test_without_a_seed_each_job_draws_one(client):
    one = client.run(WORKFLOW, image(), timeout=30)
    two = client.run(WORKFLOW, image(), timeout=30)
    assert isinstance(one.seed, int) and isinstance(two.seed, int) and one.seed != two.seed
    assert 0 <= one.seed < 2**63 and two.cached == [1] and two.executed == [2, 3]
    again = client.run(WORKFLOW, image(), seed=one.seed, timeout=30)  # the reported seed reproduces it
    assert again.layers[0].tobytes() == one.layers[0].tobytes()


def test_an_offline_plan_reports_no_variation(client):
    """The rules Builder's plan runs on classical bricks only: a variation is the same pixels, and says so."""
    session = EditSession("make it brighter", endpoint=client.endpoint)
    session.sent(client.send_edit("make it brighter", image()))
    for event in client.wait(session.request_id, timeout=30):
        session.feed(event)
    assert session.phase.value == "done" and isinstance(session.seed, int)
    assert session.variation is False and session.stochastic_steps == () and not session.can_vary
    assert session.variation_sentence == NO_VARIATION

    again = EditSession.next_variation(session)
    assert again.instruction == "make it brighter" and again.variation_of == session.request_id
    again.sent(client.send_variation(session.request_id))
    events = client.wait(again.request_id, timeout=30)
    for event in events:
        again.feed(event)
    result = events[-1].header
    assert result["variation"] is False and result["stochastic"] == [] and result["executed"] == []
    assert result["seed"] != session.seed and again.status == NO_VARIATION


def test_a_replan_keeps_its_edits_seed_unless_given_one(client):
    first = client.edit("make it brighter", image(), seed=42, timeout=30)
    assert first.plan is not None and first.plan["seed"] == 42 and first.seed == 42
    kept = client.edit(None, feedback="too strong", replan_of=first.request_id, timeout=30)
    assert kept.plan is not None and kept.plan["seed"] == 42 and kept.seed == 42
    given = client.edit(None, feedback="too strong", replan_of=first.request_id, seed=43, timeout=30)
    assert given.seed == 43


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True, "7", [7]])
def test_a_bad_seed_is_refused_and_the_daemon_keeps_serving(server, seed):
    raw = Raw(server.endpoint)
    try:
        desc = {"frame": 1, "width": W, "height": H, "format": "RGBA8"}
        raw.send({"id": "bad-run", "type": "run", "workflow": WORKFLOW, "image": desc, "seed": seed}, photo())
        reply = raw.first("bad-run")
        assert reply["type"] == "error" and reply["code"] == "bad_request" and "seed" in reply["message"]
        raw.send({"id": "bad-edit", "type": "edit", "instruction": "make it brighter", "image": desc, "seed": seed},
                 photo())
        reply = raw.first("bad-edit")
        assert reply["type"] == "error" and reply["code"] == "bad_request"
        assert raw.ping_ok()
        raw.send({"id": "good", "type": "run", "workflow": WORKFLOW, "image": desc, "seed": 2**63 - 1}, photo())
        replies = raw.until_terminal("good")
        assert replies[0][0]["type"] == "accepted" and replies[-1][0]["type"] == "result"
        assert replies[-1][0]["seed"] == 2**63 - 1
    finally:
        raw.sock.close(0)


def test_variation_of_refusals(server, client):
    with pytest.raises(LegoError) as unknown:
        client.variation("never-sent", timeout=10)
    assert unknown.value.code == "bad_request" and "variation_of" in unknown.value.message
    first = client.run(WORKFLOW, image(), seed=1, timeout=30)
    rid = client.send("edit", {"variation_of": first.request_id, "feedback": ["too strong"]})
    last = client.wait(rid, timeout=10)[-1]
    assert last.type == "error" and last.get("code") == "bad_request" and "feedback" in last.get("message")
    planned = client.plan("make it brighter", timeout=30)  # planned without an image: a variation needs one
    with pytest.raises(LegoError) as imageless:
        client.variation(planned.id, timeout=10)
    assert imageless.value.code == "bad_request" and "image" in imageless.value.message
    from_plan = client.variation(planned.id, image(), seed=3, timeout=30)  # the image sent with the variation
    assert from_plan.seed == 3 and from_plan.variation is False and from_plan.layers
    assert client.ping()["type"] == "pong"


@pytest.mark.models
def test_the_sd_inpainting_sampler_follows_the_step_seed(tmp_path):
    """The real diffusers path: ctx.seed drives the generator (same seed, same bytes on a cold cache;
    another seed, other pixels); without one the configured seed does."""
    pytest.importorskip("diffusers")
    import torch

    from lego_edit.bricks.builtin import builtin_bricks
    from lego_edit.bricks.executor import Executor
    from lego_edit.bricks.models import configure
    from lego_edit.bricks.models.runtime import sampling_seed
    from lego_edit.bricks.registry import BrickContext
    from tests import tiny_models as tiny

    torch.set_num_threads(2)
    paths = {"sd-inpaint": str(tiny.sd_inpaint(tmp_path / "sd-inpaint"))}
    manager = configure({"device": "cpu", "paths": paths, "idle_unload_seconds": 0,
                         "options": {"sd-inpaint": {"steps": 2, "resolution": 64, "seed": 5}}})
    try:
        registry = Registry(builtin_bricks())
        fill = registry.get("FLUX-FILL")
        assert fill is not None and fill.active_backend("sd-inpaint").stochastic
        workflow = {"process": "fill", "pipeline": [
            {"step": 1, "model": "FLUX-FILL", "input": {"image": "init[image]", "mask": "init[mask]", "prompt": "a red car"},
             "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]}
        from lego_edit.bricks.workflow import Workflow

        wf = Workflow.from_dict(workflow)
        rgba = np.frombuffer(photo(), np.uint8).reshape(H, W, 4).copy()
        mask = np.zeros((H, W), np.uint8)
        mask[4:12, 6:18] = 255
        inputs = {"image": rgba, "mask": mask}

        def fresh(seed):
            ex = Executor(registry, models=manager, backend_prefs={"FLUX-FILL": "sd-inpaint"})
            try:
                result = ex.run(wf, inputs, seed=seed)
                assert result.stochastic == [1]
                return np.array(result.result[0][1]), result
            finally:
                ex.close()

        a, ra = fresh(11)
        b, _ = fresh(11)
        c, _ = fresh(12)
        assert ra.seeds == {1: step_seed(11, 1)}
        assert np.array_equal(a, b) and not np.array_equal(a, c)
        # no job seed: the configured one ([models.options.sd-inpaint] seed = 5)
        assert sampling_seed(BrickContext(), manager.settings, "sd-inpaint") == 5
        assert sampling_seed(BrickContext(seed=9), manager.settings, "sd-inpaint") == 9
    finally:
        configure({})
