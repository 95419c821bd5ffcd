"""What an evaluation run costs: peak memory of the process (and of the GPU, when torch uses one) and the
time spent loading models, read from the model manager's own "loaded ... in S s" log records."""

from __future__ import annotations

import logging
import resource
import sys
import threading
from typing import Any

MODELS_LOGGER = "lego_edit.models"


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20) if sys.platform == "darwin" else peak / 1024, 1)


def peak_gpu_mb() -> float | None:
    """torch's peak allocated CUDA memory in MB, when torch is already imported and has a GPU; else None."""
    torch: Any = sys.modules.get("torch")
    try:
        if torch is not None and torch.cuda.is_available():
            return round(torch.cuda.max_memory_allocated() / (1 << 20), 1)
    except Exception:  # a broken CUDA set-up is no reason to lose the run's numbers
        return None
    return None


class ModelLoads(logging.Handler):
    """Collects (model key, seconds) from the model manager's load records while installed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.loads: list[tuple[str, float]] = []
        self._lock_loads = threading.Lock()
        self._logger = logging.getLogger(MODELS_LOGGER)
        self._level = self._logger.level
        self._threshold = logging.WARNING
        self._propagate = True

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if str(record.msg).startswith("loaded ") and args and isinstance(args[-1], (int, float)):
            with self._lock_loads:
                self.loads.append((str(args[0]), float(args[-1])))
        if record.levelno >= self._threshold and self._logger.parent is not None:
            self._logger.parent.handle(record)  # what would have been shown without us still is

    @property
    def seconds(self) -> float:
        with self._lock_loads:
            return round(sum(s for _, s in self.loads), 3)

    def __enter__(self) -> ModelLoads:
        """Listen at INFO; records below the level that was in force are kept from the usual handlers."""
        self._threshold = self._logger.getEffectiveLevel()
        self._propagate = self._logger.propagate
        self._logger.addHandler(self)
        self._logger.setLevel(min(self._threshold, logging.INFO))
        self._logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)
        self._logger.propagate = self._propagate
