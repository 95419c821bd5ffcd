"""Executor benchmarks: per-step overhead, branch overlap, re-run after feedback, and the
offline main job ("remove the red object" on a 1024 x 1024 photo).

Run: python bench/bench_executor.py   (prints a table; exit status 1 if a budget is missed)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, timed, verdict  # noqa: E402
from lego_edit.bricks.executor import Executor  # noqa: E402
from lego_edit.bricks.refs import step_ref  # noqa: E402
from lego_edit.bricks.registry import Brick, Port, Registry  # noqa: E402
from lego_edit.bricks.values import ValueType  # noqa: E402
from lego_edit.bricks.workflow import Workflow  # noqa: E402

IMAGE, FLOAT = ValueType.IMAGE, ValueType.FLOAT


def _bench_registry() -> Registry:
    noop = Brick("NOOP", "passes its image on", (Port("image", IMAGE), Port("tag", FLOAT)), (Port("image", IMAGE),))
    noop.backend("bench")(lambda ctx, image, tag: {"image": image})

    def slow(ctx, image, seconds):
        time.sleep(seconds)  # stands for a brick that releases the GIL (OpenCV, torch)
        return {"image": image}

    sleep = Brick("SLEEP", "waits", (Port("image", IMAGE), Port("seconds", FLOAT)), (Port("image", IMAGE),))
    sleep.backend("bench")(slow)
    return Registry([noop, sleep])


def _chain(n: int, model: str, arg: str, value_of) -> Workflow:
    steps = [{"step": i, "model": model,
              "input": {"image": "init[image]" if i == 1 else step_ref(i - 1, "image"), arg: value_of(i)},
              "output": {"image": step_ref(i, "image")}} for i in range(1, n + 1)]
    return Workflow.from_dict({"process": "chain", "pipeline": [*steps, {"result": f"[step{n}[image]]"}]})


def main() -> int:
    reg = _bench_registry()
    image = np.zeros((256, 256, 4), np.uint8)
    rows = []

    # 1. Overhead per step: a 100-step chain of bricks that do nothing, cache off (new key each run).
    ex = Executor(reg)
    counter = iter(range(10**9))
    per_step = timed(lambda: ex.run(_chain(100, "NOOP", "tag", lambda i, k=next(counter): float(k)), {"image": image}),
                     repeat=7) / 100
    rows.append(("executor overhead per step (100-step chain)", f"{per_step * 1e3:.3f} ms", "< 1 ms", verdict(per_step < 1e-3)))

    # 2. Two 200 ms bricks on independent branches.
    two = Workflow.from_dict({"process": "branches", "pipeline": [
        {"step": 1, "model": "SLEEP", "input": {"image": "init[image]", "seconds": 0.2}, "output": {"image": "step1[image]"}},
        {"step": 2, "model": "SLEEP", "input": {"image": "init[image]", "seconds": 0.2}, "output": {"image": "step2[image]"}},
        {"result": "[step1[image], step2[image]]"}]})

    def run_branches():
        ex.cache.clear()
        ex.run(two, {"image": image})

    both = timed(run_branches, repeat=3)
    overlap = 0.4 / both
    rows.append(("two 200 ms branches: serial time / wall time", f"{overlap:.2f}x ({both * 1e3:.0f} ms)", "> 1.6x",
                 verdict(overlap > 1.6)))

    # 3. Re-run after feedback that changes only the last step.
    steps5 = lambda last: _chain(5, "SLEEP", "seconds", lambda i: last if i == 5 else 0.1)  # noqa: E731

    def first_run():
        ex.cache.clear()
        ex.run(steps5(0.1), {"image": image})

    first = timed(first_run, repeat=3)
    ex.cache.clear()
    ex.run(steps5(0.1), {"image": image})
    changes = iter(np.linspace(0.001, 0.002, 50))
    rerun = timed(lambda: ex.run(steps5(float(next(changes))), {"image": image}), repeat=3, warmup=0)
    ratio = rerun / first
    rows.append(("re-run after last-step change / first run", f"{ratio * 100:.1f}% ({rerun * 1e3:.1f} of {first * 1e3:.0f} ms)",
                 "< 10%", verdict(ratio < 0.10)))
    ex.close()

    # 4. The offline main job on a 1024 x 1024 photo.
    rows.append(_remove_red_object())
    print_table("Executor benchmarks (2 CPU cores, medians)", rows)
    return 0 if all(r[3] == "yes" for r in rows) else 1


def _remove_red_object() -> tuple[str, str, str, str]:
    from lego_edit.bricks import default_registry
    from tests.conftest import red_disk_photo

    photo, _ = red_disk_photo(1024)
    wf = Workflow.from_dict({"process": "remove the red object", "pipeline": [
        {"step": 1, "model": "RES", "input": {"image": "init[image]", "prompt": "red object"},
         "output": {"mask": "step1[mask]", "image": "step1[image]"}},
        {"step": 2, "model": "FASTINPAINT", "input": {"image": "init[image]", "mask": "step1[mask]"},
         "output": {"image": "step2[image]", "score": "step2[score]"}},
        {"result": "[step2[image]]"}]})
    ex = Executor(default_registry())

    def once():
        ex.cache.clear()
        ex.run(wf, {"image": photo})

    seconds = timed(once, repeat=3)
    ex.close()
    return ("offline 'remove the red object', 1024x1024 (RES + FASTINPAINT)", f"{seconds:.2f} s", "< 2 s",
            verdict(seconds < 2.0))


if __name__ == "__main__":
    sys.exit(main())
