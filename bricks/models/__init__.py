"""Model backends of the bricks, the model manager and the downloads.

Nothing here imports torch, diffusers or transformers at import time: those load inside the
backends, on first use. The daemon configures the process-wide manager once from its config:

    from lego_edit.bricks.models import configure
    manager = configure(config.get("models", {}))   # the [models] table of config.toml
    executor = Executor(registry, models=manager, device=manager.settings.device)

Availability checks of a registry built with `builtin_bricks()` (no settings, as `default_registry`
does) read the same settings, so paths and cache_dir agree; a new `configure` makes them look again.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from lego_edit.bricks.models.manager import ModelManager
from lego_edit.bricks.models.settings import ModelSettings, SettingsError

__all__ = ["ModelManager", "ModelSettings", "SettingsError", "configure", "current_settings", "default_manager",
           "manager_for"]

_lock = threading.Lock()
_manager: ModelManager | None = None


def configure(settings: ModelSettings | Mapping[str, Any] | None = None) -> ModelManager:
    """Replace the process-wide manager (unloading what the old one held) and return the new one."""
    global _manager
    if not isinstance(settings, ModelSettings):
        settings = ModelSettings.from_mapping(settings)
    with _lock:
        old, _manager = _manager, ModelManager(settings)
    if old is not None:
        old.close()
    return _manager


def default_manager() -> ModelManager:
    global _manager
    with _lock:
        if _manager is None:
            _manager = ModelManager(ModelSettings())
        return _manager


def current_settings() -> ModelSettings:
    return default_manager().settings


def manager_for(ctx: Any) -> ModelManager:
    """The manager a running brick uses: the one its context carries, else the process-wide one."""
    models = getattr(ctx, "models", None)
    return models if isinstance(models, ModelManager) else default_manager()
