"""The model manager with real (small) torch modules: budget in bytes, LRU eviction, pinning, idle unload."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.models


def linear(n_floats: int):
    """A module of exactly n_floats float32 parameters (no bias)."""
    return torch.nn.Linear(n_floats, 1, bias=False)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(budget=None, idle=0.0, clock=None):
    from lego_edit.bricks.models import ModelManager, ModelSettings

    return ModelManager(ModelSettings(device="cpu", vram_budget_bytes=budget, idle_unload_seconds=idle),
                        clock=clock or Clock())


def test_module_bytes_counts_parameters_and_buffers_once():
    from lego_edit.bricks.models.loading import Pretrained
    from lego_edit.bricks.models.manager import module_bytes

    shared = linear(256)
    bn = torch.nn.BatchNorm1d(10)  # 20 parameters + 20 running stats + 1 int64 counter
    assert module_bytes(shared) == 1024
    assert module_bytes(bn) == 40 * 4 + 8
    assert module_bytes(Pretrained(processor=None, model=torch.nn.Sequential(shared, shared))) == 1024
    assert module_bytes((shared, linear(16))) == 1024 + 64


def test_budget_evicts_least_recently_used():
    clock = Clock()
    mgr = make(budget=10_000, clock=clock)  # room for two 4 kB models, not three
    loads = []

    def loader(name):
        def load(manager):
            loads.append(name)
            return linear(1000)  # 4000 bytes
        return load

    for t, name in enumerate(["a", "b"]):
        clock.now = t
        with mgr.use(name, loader(name)):
            pass
    clock.now = 5
    with mgr.use("a", loader("a")):  # a is used again: b is now the least recent
        pass
    clock.now = 6
    with mgr.use("c", loader("c")):
        pass
    assert [e.key for e in mgr.loaded()] == ["a", "c"]
    assert mgr.used_bytes() == 8000 and loads == ["a", "b", "c"]


def test_models_in_use_are_never_evicted():
    mgr = make(budget=5_000)
    with mgr.use("a", lambda m: linear(1000)):
        with mgr.use("b", lambda m: linear(1000)):  # over budget, but a is running: both stay
            assert {e.key for e in mgr.loaded()} == {"a", "b"}
    assert mgr.used_bytes() == 8000
    with mgr.use("c", lambda m: linear(1000)):
        assert [e.key for e in mgr.loaded()] == ["c"]


def test_idle_unload_and_reaper_thread():
    import time

    clock = Clock()
    mgr = make(idle=60, clock=clock)
    with mgr.use("a", lambda m: linear(10)):
        clock.now = 1000  # in use: not idle, however long it runs
        assert mgr.unload_idle() == []
    clock.now = 1030
    assert mgr.unload_idle() == []
    clock.now = 1061
    assert mgr.unload_idle() == ["a"] and mgr.loaded() == []

    from lego_edit.bricks.models import ModelManager, ModelSettings

    real = ModelManager(ModelSettings(device="cpu", idle_unload_seconds=0.5))
    with real.use("x", lambda m: linear(10)):
        pass
    deadline = time.monotonic() + 5
    while real.loaded() and time.monotonic() < deadline:
        time.sleep(0.1)
    real.close()
    assert real.loaded() == []


def test_dtype_and_device_follow_the_settings():
    from lego_edit.bricks.models import ModelManager, ModelSettings
    from lego_edit.bricks.registry import BrickUnavailable

    assert make().dtype == torch.float32 and make().device == "cpu"
    mgr = ModelManager(ModelSettings(device="cpu", dtype={"cpu": "bfloat16", "cuda": "float16"}))
    assert mgr.dtype == torch.bfloat16
    if not torch.cuda.is_available():
        with pytest.raises(BrickUnavailable, match="CUDA"):
            _ = ModelManager(ModelSettings(device="cuda")).device
