"""Executor: order, overlap, events, cache, cancellation, failures — with real bricks and test bricks."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lego_edit.bricks.checker import InvalidWorkflow
from lego_edit.bricks.executor import Executor, RunCancelled, StepFailed
from lego_edit.bricks.registry import Brick, BrickError, Port, Registry
from lego_edit.bricks.values import ValueType
from lego_edit.bricks.workflow import Workflow

IMAGE, FLOAT, STR = ValueType.IMAGE, ValueType.FLOAT, ValueType.STR
CALLS: list[tuple[str, float]] = []


def _brick(name, fn, inputs, outputs=(Port("image", IMAGE),)):
    b = Brick(name, f"test brick {name}", tuple(inputs), tuple(outputs))
    b.backend("test")(fn)
    return b


def _sleep(ctx, image, seconds):
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        ctx.raise_if_cancelled()
        ctx.progress((time.perf_counter() - start) / seconds, "sleeping")
        time.sleep(0.005)
    CALLS.append(("SLEEP", seconds))
    return {"image": image}


def _add(ctx, image, amount):
    CALLS.append(("ADD", amount))
    out = image.copy()
    out[..., :3] = np.clip(out[..., :3].astype(int) + int(amount), 0, 255)
    return {"image": out}


def _fail(ctx, image, why):
    raise BrickError(why)


def _scribble(ctx, image):
    image[0, 0] = 1  # the executor hands out read-only arrays: this must fail, not corrupt the caller
    return {"image": image}


@pytest.fixture
def reg():
    CALLS.clear()
    r = Registry([
        _brick("SLEEP", _sleep, [Port("image", IMAGE), Port("seconds", FLOAT)]),
        _brick("ADD", _add, [Port("image", IMAGE), Port("amount", FLOAT)]),
        _brick("FAIL", _fail, [Port("image", IMAGE), Port("why", STR)]),
        _brick("SCRIBBLE", _scribble, [Port("image", IMAGE)]),
        Brick("GHOST", "needs a model", (Port("image", IMAGE),), (Port("image", IMAGE),)),
    ])
    return r


def chain(*specs, result=None):
    steps = []
    for i, (model, extra) in enumerate(specs, start=1):
        src = "init[image]" if i == 1 else f"step{i - 1}[image]"
        steps.append({"step": i, "model": model, "input": {"image": src, **extra}, "output": {"image": f"step{i}[image]"}})
    steps.append({"result": result or f"[step{len(specs)}[image]]"})
    return Workflow.from_dict({"process": "chain", "pipeline": steps})


def image(value=10):
    return np.full((8, 8, 4), value, np.uint8)


def test_chain_runs_in_order_and_emits_events(reg):
    events = []
    ex = Executor(reg)
    res = ex.run(chain(("ADD", {"amount": 5}), ("ADD", {"amount": 7})), {"image": image()}, on_event=events.append)
    assert res.result[0][1][0, 0, 0] == 22 and res.result[0][1][0, 0, 3] == 10
    assert [(e.kind, e.step) for e in events] == [
        ("step_started", 1), ("output", 1), ("step_finished", 1),
        ("step_started", 2), ("output", 2), ("step_finished", 2)]
    assert all(e.seconds is not None and e.seconds >= 0 for e in events if e.kind == "step_finished")


def test_independent_branches_overlap(reg):
    wf = Workflow.from_dict({"process": "two", "pipeline": [
        {"step": 1, "model": "SLEEP", "input": {"image": "init[image]", "seconds": 0.3}, "output": {"image": "step1[image]"}},
        {"step": 2, "model": "SLEEP", "input": {"image": "init[image]", "seconds": 0.3}, "output": {"image": "step2[image]"}},
        {"result": "[step1[image], step2[image]]"}]})
    start = time.perf_counter()
    Executor(reg).run(wf, {"image": image()})
    assert time.perf_counter() - start < 0.5  # serial would take 0.6 s


def test_rerun_after_last_step_change_reuses_the_rest(reg):
    ex = Executor(reg)
    first = ex.run(chain(("ADD", {"amount": 1}), ("ADD", {"amount": 2}), ("ADD", {"amount": 3})), {"image": image()})
    assert first.executed == [1, 2, 3]
    CALLS.clear()
    events = []
    second = ex.run(chain(("ADD", {"amount": 1}), ("ADD", {"amount": 2}), ("ADD", {"amount": 4})), {"image": image()},
                    on_event=events.append)
    assert second.cached == [1, 2] and second.executed == [3]
    assert CALLS == [("ADD", 4.0)]
    assert second.result[0][1][0, 0, 0] == 17
    assert [e.cached for e in events if e.kind == "step_finished"] == [True, True, False]
    # A different input image is a different key: everything runs again.
    third = ex.run(chain(("ADD", {"amount": 1}), ("ADD", {"amount": 2}), ("ADD", {"amount": 4})), {"image": image(11)})
    assert third.executed == [1, 2, 3]


def _dice(ctx, image):
    CALLS.append(("DICE", ctx.seed))
    out = image.copy()
    out[..., 0] = np.random.default_rng(ctx.seed).integers(0, 256, out.shape[:2])
    return {"image": out}


def test_a_seed_reaches_only_the_stochastic_steps_and_their_cache_keys(reg):
    from lego_edit.bricks.cache import step_seed

    dice = Brick("DICE", "test brick: random red", (Port("image", IMAGE),), (Port("image", IMAGE),))
    dice.backend("test", stochastic=True)(_dice)
    reg.register(dice)
    wf = chain(("ADD", {"amount": 1}), ("DICE", {}), ("ADD", {"amount": 2}))
    ex = Executor(reg)
    events = []
    first = ex.run(wf, {"image": image()}, seed=99, on_event=events.append)
    assert CALLS == [("ADD", 1.0), ("DICE", step_seed(99, 2)), ("ADD", 2.0)]
    assert first.seed == 99 and first.stochastic == [2] and first.seeds == {2: step_seed(99, 2)} and first.variation
    assert [e.seed for e in events if e.kind == "step_started"] == [None, step_seed(99, 2), None]
    assert step_seed(99, 2) != step_seed(99, 3) and step_seed(99, 2) != step_seed(100, 2)
    CALLS.clear()
    other = ex.run(wf, {"image": image()}, seed=100)
    assert other.cached == [1] and other.executed == [2, 3] and CALLS[0] == ("DICE", step_seed(100, 2))
    assert not np.array_equal(other.result[0][1], first.result[0][1])
    same = ex.run(wf, {"image": image()}, seed=99)
    assert same.cached == [1, 2, 3] and np.array_equal(same.result[0][1], first.result[0][1])
    CALLS.clear()
    plain = ex.run(wf, {"image": image()})  # no seed: the backend's own (None here), cached as any step
    assert plain.seed is None and plain.seeds == {} and CALLS[0] == ("DICE", None) and plain.cached == [1]
    classical = ex.run(chain(("ADD", {"amount": 1})), {"image": image()}, seed=5)
    assert classical.stochastic == [] and not classical.variation and classical.cached == [1]
    for bad in (-1, 2**63, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            ex.run(wf, {"image": image()}, seed=bad)


def test_failure_names_step_brick_and_cause(reg):
    with pytest.raises(StepFailed) as info:
        Executor(reg).run(chain(("ADD", {"amount": 1}), ("FAIL", {"why": "no dog in this picture"})), {"image": image()})
    assert (info.value.step, info.value.brick) == (2, "FAIL")
    assert "no dog in this picture" in str(info.value)


def test_caller_pixels_are_never_modified(reg):
    src = image()
    before = src.copy()
    with pytest.raises(StepFailed) as info:
        Executor(reg).run(chain(("SCRIBBLE", {})), {"image": src})
    assert info.value.step == 1 and "read-only" in info.value.cause
    assert np.array_equal(src, before)


def test_unavailable_brick_fails_before_anything_runs(reg):
    with pytest.raises(StepFailed) as info:
        Executor(reg).run(chain(("ADD", {"amount": 1}), ("GHOST", {})), {"image": image()})
    assert info.value.unavailable and info.value.brick == "GHOST"
    assert CALLS == []


def test_invalid_workflow_is_refused(reg):
    with pytest.raises(InvalidWorkflow) as info:
        Executor(reg).run(chain(("ADD", {"amount": "lots"})), {"image": image()})
    assert "step 1" in str(info.value)


def test_cancellation_is_prompt(reg):
    cancel = threading.Event()
    ex = Executor(reg)
    threading.Timer(0.2, cancel.set).start()
    start = time.perf_counter()
    with pytest.raises(RunCancelled):
        ex.run(chain(("SLEEP", {"seconds": 5.0}), ("ADD", {"amount": 1})), {"image": image()}, cancel=cancel)
    assert time.perf_counter() - start < 1.0
    assert ("ADD", 1.0) not in CALLS


def test_progress_events_come_from_the_brick(reg):
    events = []
    Executor(reg).run(chain(("SLEEP", {"seconds": 0.05})), {"image": image()}, on_event=events.append)
    fractions = [e.fraction for e in events if e.kind == "progress"]
    assert fractions and all(0 <= f <= 1 for f in fractions) and fractions == sorted(fractions)


def test_identity_workflow_returns_the_input(reg):
    src = image(42)
    res = Executor(reg).run(Workflow.identity(), {"image": src})
    assert np.shares_memory(res.result[0][1], src)


def test_mask_size_must_match(reg):
    with pytest.raises(ValueError, match="mask is 4x4"):
        Executor(reg).run(Workflow.identity(), {"image": image(), "mask": np.zeros((4, 4), np.uint8)})


def test_real_mask_bricks_run(registry):
    mask = np.zeros((64, 64), np.uint8)
    mask[10:20, 30:50] = 255
    mask[40:45, 5:8] = 255
    wf = Workflow.from_dict({"process": "complement of the box", "pipeline": [
        {"step": 1, "model": "BBOX", "input": {"mask": "init[mask]"}, "output": {"mask": "step1[mask]"}},
        {"step": 2, "model": "INVERSE", "input": {"mask1": None, "mask2": "step1[mask]"}, "output": {"mask": "step2[mask]"}},
        {"step": 3, "model": "COMPOSE", "input": {"mask1": "step2[mask]", "mask2": "init[mask]"}, "output": {"mask": "step3[mask]"}},
        {"result": "[step1[mask], step2[mask], step3[mask]]"}]})
    res = dict(Executor(registry).run(wf, {"image": np.zeros((64, 64, 4), np.uint8), "mask": mask}).result)
    box = np.zeros_like(mask)
    box[10:45, 5:50] = 255
    assert np.array_equal(res["step1[mask]"], box)
    assert np.array_equal(res["step2[mask]"], 255 - box)
    assert np.array_equal(res["step3[mask]"], np.maximum(255 - box, mask))
