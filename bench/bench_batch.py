"""Batch throughput: the local pool and Ray against a serial loop, on the same images in the same run.

100 real photos (scikit-image's, turned and flipped) at 1024 x 1024 PNG, "make it warmer" (the rules
Builder and the classical TEMPERATURE brick): the serial loop is one warm Editor doing exactly what a
worker does per item (read, plan, run, encode the output) plus the driver's file write; the local pool and
the Ray pool (a local Ray instance) run the same items through `run_batch`. Every pool is started and
warmed on a few other items first, so the numbers are the steady state, not process start-up; the three
take turns on rounds of ROUND images, so load from other work on a shared machine hits them alike.

The machine's own ceiling is measured first: `workers` processes of a fixed CPU job against one (on this
VM two vCPUs give about 1.6x, not 2x), so the pool's speed-up can be read against what the cores allow.

Overhead per item = wall time x workers / items - the mean time a worker spent on an item: what dispatch,
transfer and the driver's writing cost each item beyond the work itself. The Ray row is that of the
Ray pool minus that of the local pool.

Run: python bench/bench_batch.py [--count N] [--size S] [--workers W] [--no-ray]   (exit 1 if a budget is missed)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, verdict  # noqa: E402

INSTRUCTION = "make it warmer"
WARMUP = 4  # items per worker run before timing
ROUND = 20  # images per method per round


def make_images(folder: Path, count: int, size: int) -> None:
    import numpy as np
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.hubble_deep_field()]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = photos[i % len(photos)]
        pixels = np.rot90(pixels, (i // len(photos)) % 4)
        if (i // (4 * len(photos))) % 2:
            pixels = pixels[:, ::-1]
        Image.fromarray(np.ascontiguousarray(pixels)).resize((size, size), Image.Resampling.BICUBIC) \
            .save(folder / f"img{i:03d}.png", compress_level=1)


class Serial:
    """The baseline: one warm Editor in this process doing what a worker does per item, plus the file write."""

    def __init__(self, config, items) -> None:
        from lego_edit.batch.editor import Editor
        from lego_edit.batch.work import edit_item

        self.editor = Editor(config, share_plans=True)
        for item in items:
            edit_item(self.editor, item.to_dict())

    def run(self, items, outdir: Path) -> list[dict]:
        from lego_edit.batch.runner import write_file
        from lego_edit.batch.work import edit_item

        records = []
        for item in items:
            result = edit_item(self.editor, item.to_dict())
            for relative, data in result.files:
                write_file(outdir, relative, data)
            records.append(result.record)
        return records

    def close(self) -> None:
        self.editor.close()


class Pooled:
    """A warm pool (local or Ray) driven by run_batch, as `lego-edit batch` drives it."""

    def __init__(self, config, pool, items, warm: Path) -> None:
        self.config, self.pool = config, pool
        self.run(items, warm)

    def run(self, items, outdir: Path) -> list[dict]:
        from lego_edit.batch.items import Collected
        from lego_edit.batch.runner import BatchOptions, run_batch

        return run_batch(self.config, Collected(list(items), [], True), BatchOptions(outdir, progress=False),
                         pool=self.pool).records

    def close(self) -> None:
        self.pool.close()


def _burn(_: int = 0) -> float:
    """A fixed CPU-bound job (zlib at the PNG writer's level): seconds it took."""
    import os
    import zlib

    data = os.urandom(1 << 20) * 4
    start = time.perf_counter()
    for _ in range(4):
        zlib.compress(data, 6)
    return time.perf_counter() - start


def machine_scaling(workers: int) -> float:
    """How much `workers` processes of a fixed job get done per second vs one (the cores' own ceiling for any
    pool: shared caches, memory bandwidth, hyper-threads of the host)."""
    import multiprocessing

    alone = min(_burn() for _ in range(2))
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_burn, range(workers))
        together = max(pool.map(_burn, range(workers)))
    return workers * alone / together


def work(records: list[dict]) -> float:
    """Mean seconds a worker spent on one item (read, plan, run, encode)."""
    return sum(float(r.get("seconds") or 0) for r in records) / len(records)


def overhead(wall: float, workers: int, records: list[dict]) -> float:
    return wall * workers / len(records) - work(records)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100, help="timed images (plus warm-up ones)")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()

    from lego_edit.batch.items import collect
    from lego_edit.batch.pool import LocalPool
    from lego_edit.daemon.config import load

    config = load()
    ceiling = machine_scaling(args.workers)
    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        warm = WARMUP * args.workers  # warm-up images, none of them timed (a worker's step cache would hit)
        make_images(root / "in", args.count + warm, args.size)
        items = collect(root / "in", INSTRUCTION).items
        timed = items[warm:]
        n = len(timed)
        methods: dict[str, Any] = {"serial": Serial(config, items[:WARMUP])}
        methods["pool"] = Pooled(config, LocalPool(config, None, args.workers), items[:warm], root / "warm-pool")
        if not args.no_ray:
            import ray

            from lego_edit.batch.ray_pool import RayPool

            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
            methods["ray"] = Pooled(config, RayPool(config, None, "auto", args.workers), items[:warm],
                                    root / "warm-ray")
        seconds = dict.fromkeys(methods, 0.0)
        records: dict[str, list[dict]] = {name: [] for name in methods}
        try:
            # rounds of ROUND images, each method in turn: load from other work on the machine hits all of them alike
            for start in range(0, n, ROUND):
                chunk = timed[start:start + ROUND]
                for name, method in methods.items():
                    began = time.perf_counter()
                    records[name] += method.run(chunk, root / name)
                    seconds[name] += time.perf_counter() - began
        finally:
            for method in methods.values():
                method.close()
            if "ray" in methods:
                ray.shutdown()
        t_serial, r_serial = seconds["serial"], records["serial"]
        t_pool, r_pool = seconds["pool"], records["pool"]
        rows = []
        ok = True
        speedup = t_serial / t_pool
        ok &= speedup >= 1.7
        rows.append(("serial loop (one warm Editor)", f"{n / t_serial:.2f} img/s; {work(r_serial) * 1e3:.0f} ms work/img",
                     "baseline", ""))
        rows.append((f"local pool, {args.workers} workers",
                     f"{n / t_pool:.2f} img/s = {speedup:.2f}x serial; {work(r_pool) * 1e3:.0f} ms work/img",
                     ">= 1.7x", verdict(speedup >= 1.7)))
        rows.append((f"  the machine's own ceiling: {args.workers} processes of a fixed job",
                     f"{ceiling:.2f}x one", "", ""))
        rows.append(("  local pool / that ceiling", f"{speedup / ceiling:.0%}", "", ""))
        o_pool = overhead(t_pool, args.workers, r_pool)
        rows.append(("local pool overhead per item", f"{o_pool * 1e3:.1f} ms", "", ""))
        if "ray" in methods:
            t_ray, r_ray = seconds["ray"], records["ray"]
            o_ray = overhead(t_ray, args.workers, r_ray)
            rows.append((f"Ray, {args.workers} actors (local instance)",
                         f"{n / t_ray:.2f} img/s = {t_serial / t_ray:.2f}x serial; {work(r_ray) * 1e3:.0f} ms work/img",
                         "", ""))
            rows.append(("Ray overhead per item", f"{o_ray * 1e3:.1f} ms", "", ""))
            extra = o_ray - o_pool
            ok &= extra < 0.05
            rows.append(("Ray overhead per item - local pool's", f"{extra * 1e3:.1f} ms", "< 50 ms",
                         verdict(extra < 0.05)))
        same = all((root / "serial" / r["output"]).read_bytes() == (root / "pool" / r["output"]).read_bytes()
                   for r in r_serial)
        ok &= same
        rows.append(("pool outputs identical to the serial loop's", "yes" if same else "no", "yes", verdict(same)))
        print_table(f"lego-edit batch: {n} images at {args.size}x{args.size}, {INSTRUCTION!r}", rows)
        return 0 if ok else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
