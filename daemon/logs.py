"""Logging for the daemon: a rotating file (what the tray's "Open log" shows) plus stderr."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "lego-edit-file"


def level_of(name: str) -> int:
    level = logging.getLevelName(str(name).upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {name!r} (DEBUG, INFO, WARNING or ERROR)")
    return level


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """The log quotes client text and paths: readable by its owner only, rotated files too."""

    def _open(self):
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def setup(level: str, path: Path, *, max_bytes: int = 5 << 20, backups: int = 3) -> Path:
    """Send the daemon's records to `path` (rotated at `max_bytes`) and stderr, at `level`."""
    root = logging.getLogger()
    root.setLevel(level_of(level))
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
            handler.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in root.handlers):
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(stream)
    for h in root.handlers:  # the CLI's stderr handler was set up at WARNING before the config was read
        h.setLevel(logging.NOTSET)
    return path
