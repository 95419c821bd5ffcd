"""The model manager: loads models on first use, keeps them within a memory budget, unloads idle ones.

One device for all models (from the settings). A loaded model is measured by the bytes of its
parameters and buffers; with a budget, the least recently used models that are not running are
unloaded until the new one fits. Diffusers pipelines follow the offload mode: "model" keeps only
the running component on the device (its largest component counts against the budget),
"sequential" streams layers (counted as nothing). A background thread unloads models that have
been idle longer than `idle_unload_seconds`.

Importing this module does not import torch: the daemon starts without it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lego_edit.bricks.models.settings import ModelSettings

log = logging.getLogger("lego_edit.models")


@dataclass
class LoadedModel:
    key: str
    model: Any
    bytes: int  # what counts against the budget (depends on the offload mode)
    placement: str
    last_used: float
    users: int = 0


def _modules(obj: Any) -> list[Any]:
    """The torch modules inside a loaded object: itself, a diffusers pipeline's components, a tuple's items."""
    import torch

    if isinstance(obj, torch.nn.Module):
        return [obj]
    components = getattr(obj, "components", None)
    if isinstance(components, dict):
        return [m for m in components.values() if isinstance(m, torch.nn.Module)]
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (list, tuple)):
        return [m for item in obj for m in _modules(item)]
    inner = getattr(obj, "__dict__", None)
    if inner and hasattr(obj, "__dataclass_fields__"):
        return [m for value in inner.values() for m in _modules(value)]
    return []


def module_bytes(obj: Any) -> int:
    """Bytes of all parameters and buffers (each tensor storage counted once)."""
    seen: set[int] = set()
    total = 0
    for module in _modules(obj):
        for tensor in (*module.parameters(), *module.buffers()):
            ptr = tensor.data_ptr() if tensor.device.type != "meta" else id(tensor)
            if ptr in seen:
                continue
            seen.add(ptr)
            total += tensor.numel() * tensor.element_size()
    return total


def _is_pipeline(obj: Any) -> bool:
    return hasattr(obj, "enable_model_cpu_offload") and isinstance(getattr(obj, "components", None), dict)


def offload_mode(model: Any, default: str) -> str:
    """A pipeline's own offload mode (an editing engine loaded with a VRAM preset), else the settings'."""
    return str(getattr(model, "_lego_offload", default))


def _is_quantized(module: Any) -> bool:
    return bool(getattr(module, "is_quantized", False) or getattr(module, "hf_quantizer", None) is not None
                or getattr(module, "is_loaded_in_4bit", False) or getattr(module, "is_loaded_in_8bit", False))


class ModelManager:
    """Loaded models of one process. Thread-safe; loads run one at a time."""

    def __init__(self, settings: ModelSettings | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or ModelSettings()
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: dict[str, LoadedModel] = {}
        self._device: str | None = None
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None

    # -- device and dtype ------------------------------------------------------------------------

    @property
    def device(self) -> str:
        if self._device is None:
            from lego_edit.bricks.models.runtime import resolve_device

            self._device = resolve_device(self.settings.device)
        return self._device

    @property
    def dtype(self):
        from lego_edit.bricks.models.runtime import resolve_dtype

        return resolve_dtype(self.settings, self.device)

    # -- loading ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def use(self, key: str, load: Callable[[ModelManager], Any]) -> Iterator[Any]:
        """The model under `key`, loaded by `load(manager)` on first use; not evicted while in use."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._load(key, load)
            entry.users += 1
            entry.last_used = self._clock()
        try:
            yield entry.model
        finally:
            with self._lock:
                entry.users -= 1
                entry.last_used = self._clock()

    def _load(self, key: str, load: Callable[[ModelManager], Any]) -> LoadedModel:
        started = time.perf_counter()
        model = load(self)
        total = module_bytes(model)
        footprint = self._footprint(model, total)
        self._make_room(footprint, key)
        placement = self._place(model)
        entry = LoadedModel(key, model, footprint, placement, self._clock())
        self._entries[key] = entry
        log.info("loaded %s (%.1f MB, %s) in %.1f s", key, total / 1e6, placement, time.perf_counter() - started)
        self._start_reaper()
        return entry

    def _footprint(self, model: Any, total: int) -> int:
        if not _is_pipeline(model) or self.device == "cpu":
            return total
        mode = offload_mode(model, self.settings.offload)
        if mode == "sequential":
            return 0
        if mode == "model":
            return max((module_bytes(m) for m in _modules(model)), default=0)
        return total

    def _place(self, model: Any) -> str:
        device = self.device
        if _is_pipeline(model):
            mode = offload_mode(model, self.settings.offload)
            if device != "cpu" and mode == "model":
                model.enable_model_cpu_offload(device=device)
                return f"{device}, model offload"
            if device != "cpu" and mode == "sequential":
                model.enable_sequential_cpu_offload(device=device)
                return f"{device}, sequential offload"
            model.to(device)
            return device
        for module in _modules(model):
            if not _is_quantized(module):
                module.to(device)
        return device

    def _make_room(self, needed: int, loading: str) -> None:
        budget = self.settings.vram_budget_bytes
        if budget is None:
            return
        while self.used_bytes() + needed > budget:
            idle = [e for e in self._entries.values() if e.users == 0 and e.key != loading]
            if not idle:
                log.warning("%s needs %.2f GB; with %.2f GB in use the budget of %.2f GB is exceeded",
                            loading, needed / 1e9, self.used_bytes() / 1e9, budget / 1e9)
                return
            victim = min(idle, key=lambda e: e.last_used)
            log.info("unloading %s to make room for %s", victim.key, loading)
            self._drop(victim.key)

    # -- unloading -------------------------------------------------------------------------------

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        free = getattr(entry.model, "maybe_free_model_hooks", None)
        if callable(free):
            with contextlib.suppress(Exception):
                free()
        del entry
        gc.collect()
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()

    def unload_all(self) -> None:
        with self._lock:
            for key in [k for k, e in self._entries.items() if e.users == 0]:
                self._drop(key)

    def unload_idle(self, now: float | None = None) -> list[str]:
        """Unload models unused for `idle_unload_seconds`; returns their keys."""
        limit = self.settings.idle_unload_seconds
        if not limit:
            return []
        now = self._clock() if now is None else now
        with self._lock:
            stale = [k for k, e in self._entries.items() if e.users == 0 and now - e.last_used >= limit]
            for key in stale:
                log.info("unloading %s after %.0f s idle", key, limit)
                self._drop(key)
        return stale

    def _start_reaper(self) -> None:
        limit = self.settings.idle_unload_seconds
        if not limit or (self._reaper is not None and self._reaper.is_alive()):
            return
        interval = max(0.5, min(30.0, limit / 4))

        def reap() -> None:
            while not self._stop.wait(interval):
                try:
                    self.unload_idle()
                except Exception:  # never let the reaper die silently with models pinned
                    log.exception("idle unload failed")

        self._reaper = threading.Thread(target=reap, name="model-idle-unload", daemon=True)
        self._reaper.start()

    def close(self) -> None:
        self._stop.set()
        self.unload_all()

    # -- inspection ------------------------------------------------------------------------------

    def used_bytes(self) -> int:
        with self._lock:
            return sum(e.bytes for e in self._entries.values())

    def loaded(self) -> list[LoadedModel]:
        """Loaded models, least recently used first."""
        with self._lock:
            return sorted(self._entries.values(), key=lambda e: e.last_used)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
