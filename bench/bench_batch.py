"""Batch throughput: the local pool and Ray against a serial loop, on the same images in the same run.

100 real photos (scikit-image's, turned and flipped) at 1024 x 1024 PNG, "make it warmer" (the rules
Builder and the classical TEMPERATURE brick): the serial loop is one warm Editor doing exactly what a
worker does per item (read, plan, run, encode the output) plus the driver's file write; the local pool and
the Ray pool (a local Ray instance) run the same items through `run_batch`. Every pool is started and
warmed on a few other items first, so the numbers are the steady state, not process start-up.

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._table import print_table, verdict  # noqa: E402

INSTRUCTION = "make it warmer"
WARMUP = 4  # items per worker run before timing


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


def serial(config, items, outdir: Path) -> tuple[float, list[dict]]:
    from lego_edit.batch.editor import Editor
    from lego_edit.batch.runner import write_file
    from lego_edit.batch.work import edit_item

    with Editor(config, share_plans=True) as editor:
        for item in items[:WARMUP]:
            edit_item(editor, item.to_dict())
        records = []
        start = time.perf_counter()
        for item in items[WARMUP:]:
            result = edit_item(editor, item.to_dict())
            for relative, data in result.files:
                write_file(outdir, relative, data)
            records.append(result.record)
        return time.perf_counter() - start, records


def pooled(config, pool, items, outdir: Path, warm: Path) -> tuple[float, list[dict]]:
    from lego_edit.batch.items import Collected
    from lego_edit.batch.runner import BatchOptions, run_batch

    run_batch(config, Collected(items[:WARMUP * pool.workers], [], True), BatchOptions(warm, progress=False),
              pool=pool)
    start = time.perf_counter()
    summary = run_batch(config, Collected(items[WARMUP:], [], True), BatchOptions(outdir, progress=False), pool=pool)
    return time.perf_counter() - start, summary.records


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
    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        make_images(root / "in", args.count + WARMUP, args.size)
        items = collect(root / "in", INSTRUCTION).items
        n = len(items) - WARMUP
        t_serial, r_serial = serial(config, items, root / "serial")
        pool = LocalPool(config, None, args.workers)
        try:
            t_pool, r_pool = pooled(config, pool, items, root / "pool", root / "warm-pool")
        finally:
            pool.close()
        rows = []
        ok = True
        speedup = t_serial / t_pool
        ok &= speedup >= 1.7
        rows.append(("serial loop (one warm Editor)", f"{n / t_serial:.2f} img/s; {work(r_serial) * 1e3:.0f} ms work/img",
                     "baseline", ""))
        rows.append((f"local pool, {args.workers} workers",
                     f"{n / t_pool:.2f} img/s = {speedup:.2f}x serial; {work(r_pool) * 1e3:.0f} ms work/img",
                     ">= 1.7x", verdict(speedup >= 1.7)))
        o_pool = overhead(t_pool, args.workers, r_pool)
        rows.append(("local pool overhead per item", f"{o_pool * 1e3:.1f} ms", "", ""))
        if not args.no_ray:
            import ray

            from lego_edit.batch.ray_pool import RayPool

            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
            try:
                rpool = RayPool(config, None, "auto", args.workers)
                try:
                    t_ray, r_ray = pooled(config, rpool, items, root / "ray", root / "warm-ray")
                finally:
                    rpool.close()
            finally:
                ray.shutdown()
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
