"""Planning latency per Builder backend.

- rules: the real offline planner (parse + plan + check), over the ImgEdit-Bench instructions.
- openai: the full client path (prompt from the catalog, image as a data URL, HTTP, parse, check)
  against a chat-completions server on loopback that answers at once — i.e. the Builder's own
  overhead; a real model adds its generation time.
- local: the full transformers path (load once, chat template, PIL image processor, greedy
  generate, parse, repair) with a tiny random Qwen2.5-VL — pipeline overhead, not model quality.

Run: python bench/bench_builder.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, verdict  # noqa: E402
from lego_edit.bricks import default_registry  # noqa: E402
from lego_edit.builder import Builder, BuilderConfig, PlanError  # noqa: E402
from tests.conftest import IMGEDIT  # noqa: E402

IMAGE = np.zeros((768, 1024, 4), np.uint8)


def _latencies(builder: Builder, instructions: list[str], **kw) -> list[float]:
    samples = []
    for text in instructions:
        start = time.perf_counter()
        try:
            builder.plan(text, image=IMAGE, **kw)
        except PlanError:
            pass
        samples.append(time.perf_counter() - start)
    return samples


def _row(name: str, samples: list[float], budget: str = "-", ok: str = "-") -> tuple[str, str, str, str]:
    med = statistics.median(samples) * 1e3
    p95 = sorted(samples)[int(0.95 * (len(samples) - 1))] * 1e3
    return (f"{name} (n={len(samples)})", f"median {med:.2f} ms, p95 {p95:.2f} ms", budget, ok)


def main() -> int:
    registry = default_registry()
    instructions = [v["prompt"] for v in json.loads(IMGEDIT.read_text(encoding="utf-8")).values()]
    rules = Builder(registry)
    _latencies(rules, instructions[:20])  # warm-up
    rule_samples = _latencies(rules, instructions)
    rows = [_row("rules", rule_samples, "median <= 5 ms", verdict(statistics.median(rule_samples) <= 0.005))]

    from tests.chat_server import ChatServer

    answer = json.dumps(rules.plan("make it brighter", image=IMAGE).workflow.to_dict())
    server = ChatServer([answer] * 60)
    openai = Builder(registry, BuilderConfig(backend="openai", openai_base_url=server.url, openai_model="bench"))
    rows.append(_row("openai (loopback server, instant answers)", _latencies(openai, ["make it brighter"] * 50)))
    server.close()

    try:
        from tests.tiny_models import qwen_vl
    except ImportError:
        rows.append(("local", "skipped: torch/transformers not installed", "-", "-"))
    else:
        with tempfile.TemporaryDirectory() as folder:
            model = qwen_vl(Path(folder))
            local = Builder(registry, BuilderConfig(backend="local", local_model=str(model), device="cpu",
                                                    max_new_tokens=32, max_repairs=0))
            start = time.perf_counter()
            _latencies(local, ["make it brighter"])
            first = time.perf_counter() - start
            rows.append(("local: first plan (loads the model)", f"{first * 1e3:.0f} ms", "-", "-"))
            rows.append(_row("local (tiny random Qwen2.5-VL, 32 new tokens)", _latencies(local, ["make it brighter"] * 5)))
    print_table("Builder planning latency per backend", rows)
    return 0 if rows[0][3] == "yes" else 1


if __name__ == "__main__":
    sys.exit(main())
