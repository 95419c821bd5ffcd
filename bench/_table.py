"""Printing benchmark tables: every number next to its baseline from the same run, and a verdict."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of `fn` in seconds (machines here are noisy: the median, after a warm-up)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def print_table(title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """rows: (measure, value, budget, verdict)."""
    header = ("measure", "value", "budget", "ok")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(f"\n{title}")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"
