"""Small helpers tests (and benches) share for talking to a real daemon on loopback."""

from __future__ import annotations

import shutil
import socket
import sys


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lego_edit_command() -> list[str]:
    """How to run the CLI: the installed console script, else this Python with the package."""
    exe = shutil.which("lego-edit")
    return [exe] if exe else [sys.executable, "-m", "lego_edit.daemon"]
