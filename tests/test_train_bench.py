"""The training benchmark's CPU smoke test: the three stages run with the tiny model and the table prints."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

pytestmark = pytest.mark.models


def test_bench_train_tiny(capsys):
    path = Path(__file__).resolve().parents[1] / "bench" / "gpu" / "bench_train.py"
    spec = importlib.util.spec_from_file_location("bench_train", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_train"] = bench
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.modules.pop("bench_train", None)
    assert bench.main(["--tiny", "--steps", "1"]) == 0
    out = capsys.readouterr().out
    for stage in ("sft s/step (1 steps)", "grpo s/step (1 steps)", "grpo-critic s/step (1 steps)"):
        assert stage in out
    assert "x1.00 of sft" in out
