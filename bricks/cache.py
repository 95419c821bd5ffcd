"""Step-output cache keyed by what a step computes from, as ComfyUI keys its node outputs.

A step's key hashes its brick, backend, literal inputs and the keys of the values it reads; an
input image is keyed by its content. Re-running a workflow after the last step changed finds every
earlier step's key unchanged and reuses its outputs. A stochastic step's key also holds its seed,
so a variation (same workflow, new seed) re-runs the seeded steps and what reads them, and reuses
the rest.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

import numpy as np


def content_key(value: Any) -> str:
    """Stable key of a caller input (an array by its bytes, anything else by its JSON)."""
    h = hashlib.blake2b(digest_size=16)
    if isinstance(value, np.ndarray):
        h.update(f"{value.shape}{value.dtype}".encode())
        h.update(np.ascontiguousarray(value).data.cast("B"))
    else:
        h.update(json.dumps(value, sort_keys=True, default=str).encode())
    return h.hexdigest()


def step_key(brick: str, backend: str, literals: dict[str, Any], input_keys: dict[str, str],
             seed: int | None = None) -> str:
    """`seed`: a stochastic step's seed (None for every other step, whose key is the same whatever the seed)."""
    parts: list[Any] = [brick, backend, literals, input_keys]
    if seed is not None:
        parts.append({"seed": seed})
    payload = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


SEED_LIMIT = 2**63  # seeds are 0 <= seed < 2**63: a signed 64-bit integer, what torch and JSON clients hold


def step_seed(job_seed: int, step: int) -> int:
    """The seed of step `step` in a job seeded `job_seed`: a stable hash of both, so the steps of one job
    draw different noise and the same job seed gives the same seeds again, in any process."""
    digest = hashlib.blake2b(f"{job_seed}:{step}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SEED_LIMIT


def _size(outputs: dict[str, Any]) -> int:
    return sum(v.nbytes for v in outputs.values() if isinstance(v, np.ndarray)) + 64


class StepCache:
    """Least-recently-used cache of step outputs, bounded in bytes; thread-safe."""

    def __init__(self, max_bytes: int = 1 << 30) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            outputs = self._items.get(key)
            if outputs is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return outputs

    def put(self, key: str, outputs: dict[str, Any]) -> None:
        size = _size(outputs)
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self._bytes -= _size(self._items.pop(key))
            self._items[key] = outputs
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, old = self._items.popitem(last=False)
                self._bytes -= _size(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes
