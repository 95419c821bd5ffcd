"""Talking to a running daemon from this machine: find it (with or without CURVE), ask its status, stop it.

Shared by `lego-edit status/stop` and the tray; pyzmq is the only thing it needs beyond the client.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from lego_edit.daemon.cli.errors import CliError


def local_client(cfg: Any, endpoint: str, timeout: float = 3.0):
    """A connected client for this machine's own tools, or None when nothing answers in time.

    The daemon may or may not require CURVE (a loopback endpoint can still be served by a daemon
    bound to all interfaces), so when this machine has the local key pair both ways are tried at once.
    """
    from lego_edit.daemon.keys import load_pair
    from lego_edit.plugins.client import Client, CurveKeys

    candidates = [Client(endpoint, keepalive=False, timeout_s=timeout)]
    try:
        server, local = load_pair(cfg.keys_dir, "server"), load_pair(cfg.keys_dir, "local-client")
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if server is not None and local is not None:
        candidates.append(Client(endpoint, curve=CurveKeys(server.public, local.public, local.secret),
                                 keepalive=False, timeout_s=timeout))
    deadline = time.monotonic() + timeout
    found = None
    while found is None and time.monotonic() < deadline:
        for client in candidates:
            if any(e.type == "hello" for e in client.poll(0.02)):
                found = client
                break
    for client in candidates:
        if client is not found:
            client.close()
    return found


def query_status(cfg: Any, endpoint: str, timeout: float) -> dict[str, Any] | None:
    """The daemon's `status` reply, or None when nothing answers in time."""
    from lego_edit.plugins.client import LegoError

    client = local_client(cfg, endpoint, timeout)
    if client is None:
        return None
    try:
        return client.status(timeout=timeout)
    except LegoError:
        return None
    finally:
        client.close()


def stop_daemon(cfg: Any, endpoint: str, timeout: float = 15.0) -> int:
    """SIGTERM the daemon answering at a local endpoint; returns its pid. Raises CliError if it cannot."""
    from lego_edit.daemon.keys import is_local

    status = query_status(cfg, endpoint, 3.0)
    if status is None:
        raise CliError(f"no daemon is answering at {endpoint}")
    pid = status.get("pid")
    if not is_local(endpoint):
        raise CliError(f"the daemon at {endpoint} runs on another machine (pid {pid} there); stop it there")
    if not isinstance(pid, int) or pid <= 0:
        raise CliError("the daemon did not say its pid")
    verify_daemon_pid(cfg, endpoint, pid, status.get("instance"))
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        raise CliError(f"the daemon at {endpoint} says it is pid {pid}, which does not exist here "
                       f"(is it in a container?)") from None
    except PermissionError:
        raise CliError(f"pid {pid} (the daemon at {endpoint}) belongs to another user") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return pid
        time.sleep(0.05)
    raise CliError(f"the daemon (pid {pid}) did not exit within {timeout:.0f} s")


def process_start(pid: int) -> str | None:
    """The start time of `pid` (clock ticks since boot, /proc/PID/stat field 22), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _daemon_cmdline(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return False
    named = any("lego-edit" in a or "lego_edit" in a for a in args)
    return named and "serve" in args


def verify_daemon_pid(cfg: Any, endpoint: str, pid: int, instance: Any) -> None:
    """Refuse (CliError, one line) unless `pid` is the daemon this machine started for `endpoint`: its pid
    file names that pid, that instance and that process start time, or the process runs `lego-edit serve`."""
    import json

    path = cfg.pid_path(endpoint)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    if isinstance(record, dict) and record.get("pid") == pid and record.get("instance") == instance:
        start = process_start(pid)
        if start is None or start == record.get("start"):
            return
    if _daemon_cmdline(pid):
        return
    raise CliError(f"refusing to signal pid {pid}: the endpoint {endpoint} claims it, but neither the pid file "
                   f"{path} nor the process's command line shows it is a lego-edit daemon")


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (an exited process whose parent has not reaped it yet does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
