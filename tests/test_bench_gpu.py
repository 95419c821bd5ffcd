"""The GPU benchmark's CPU smoke test: every section runs with the tiny configs and prints its table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

pytestmark = pytest.mark.models


def test_bench_gpu_tiny(capsys):
    path = Path(__file__).resolve().parents[1] / "bench" / "gpu" / "bench_gpu.py"
    spec = importlib.util.spec_from_file_location("bench_gpu", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_gpu"] = bench  # dataclasses look their module up
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.modules.pop("bench_gpu", None)
    assert bench.main(["--tiny", "--modes", "none,bnb-4bit"]) == 0
    out = capsys.readouterr().out
    for component in ("flux-fill transformer", "grounding-dino", "sam", "lama (tiny)"):
        assert component in out
    flux = next(line for line in out.splitlines() if line.startswith("flux-fill transformer") and " none " in line)
    assert float(flux.split()[4]) > 0  # ms per step measured
    assert "bnb-4bit" in out and "skipped" in out  # no CUDA here: said, not crashed


def test_bench_engines_tiny(capsys):
    path = Path(__file__).resolve().parents[1] / "bench" / "gpu" / "bench_engines.py"
    spec = importlib.util.spec_from_file_location("bench_engines", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_engines"] = bench  # dataclasses look their module up
    try:
        spec.loader.exec_module(bench)
        assert bench.main(["--tiny", "--engines", "flux2-klein-4b,qwen-image-edit", "--presets", "full,low-vram"]) == 0
    finally:
        sys.modules.pop("bench_engines", None)
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:2]): line for line in out.splitlines()[3:]}
    for engine in ("flux2-klein-4b", "qwen-image-edit"):  # the FLUX.2 and the Qwen step code paths
        full = rows[(engine, "full")].split()
        assert float(full[2]) > 0 and full[3] == "1.00x"  # ms per step measured, the baseline of its engine
        assert "skipped" in rows[(engine, "low-vram")]  # no CUDA / bitsandbytes here: said, not crashed
