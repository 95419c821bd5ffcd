"""A real `lego-edit serve` daemon in a subprocess, and the raw-pyzmq clients that drive it.

Every reliability test starts its own daemon (`python -m lego_edit.daemon serve --endpoint
tcp://127.0.0.1:PORT`) with temporary XDG_CONFIG_HOME / XDG_STATE_HOME, so a test can write a
config.toml (limits, heartbeats, CURVE) and read the daemon's log without touching anyone else's.
Clients are tests.daemon_util.Raw (a bare DEALER speaking the wire format by hand).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import zmq

from tests.daemon_util import Raw, image_desc
from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"result", "error", "cancelled"}
REPLY_TYPES = {"hello", "pong", "status", "bricks", "ack", "accepted", "plan", "progress", "layer", "result",
               "error", "cancelled"}
ERROR_CODES = {"bad_request", "unsupported_version", "too_large", "invalid_workflow", "plan_refused",
               "brick_unavailable", "brick_failed", "busy", "internal"}
START_TIMEOUT_S = 60.0  # the machine is shared and busy: a cold start may take a while
SIDE = 64  # the health check's image: 64 x 64 RGBA


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(value)


def write_config(path: Path, tables: dict[str, dict[str, Any]]) -> None:
    lines = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


class Daemon:
    """`lego-edit serve` in a subprocess on a free loopback port."""

    def __init__(self, root: Path, config: dict[str, dict[str, Any]] | None = None,
                 endpoint: str | None = None) -> None:
        self.root = root
        self.config_dir = root / "config" / "lego-edit"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        if config:
            write_config(self.config_dir / "config.toml", config)
        self.endpoint = endpoint or f"tcp://127.0.0.1:{free_port()}"
        self.env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"), XDG_STATE_HOME=str(root / "state"),
                        PYTHONUNBUFFERED="1")
        for name in ("LEGO_EDIT_ENDPOINT", "LEGO_EDIT_CONFIG"):
            self.env.pop(name, None)
        self.proc: subprocess.Popen | None = None
        self.stderr_path = root / f"serve-{time.monotonic_ns()}.stderr"

    @property
    def keys_dir(self) -> Path:
        return self.config_dir / "keys"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def log_path(self) -> Path:
        return self.root / "state" / "lego-edit" / "log" / "daemon.log"

    def start(self, timeout: float = START_TIMEOUT_S, **curve: bytes) -> Daemon:
        self.stderr_path = self.root / f"serve-{time.monotonic_ns()}.stderr"
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "lego_edit.daemon", "serve", "--endpoint",
                                          self.endpoint], env=self.env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err)
        self.wait_ready(timeout, **curve)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT_S, **curve: bytes) -> None:
        deadline = time.monotonic() + timeout
        raw = Raw(self.endpoint, **curve)
        try:
            while time.monotonic() < deadline:
                assert self.alive(), f"the daemon exited with {self.proc.returncode}:\n{self.stderr()}"
                try:
                    raw.send({"id": "ready?", "type": "ping"})
                    if raw.recv(timeout=0.2)[0]["type"] == "pong":
                        return
                except (TimeoutError, zmq.Again):
                    continue
        finally:
            raw.close()
        raise AssertionError(f"the daemon never answered a ping:\n{self.stderr()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def proc_status(self, field: str) -> int:
        """A kB figure from /proc/PID/status (VmRSS, VmHWM ...)."""
        with open(f"/proc/{self.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def rss_mb(self) -> float:
        return self.proc_status("VmRSS") / 1024

    def peak_mb(self) -> float:
        return self.proc_status("VmHWM") / 1024

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


# -- requests -----------------------------------------------------------------------------------

def image(seed: int, side: int = SIDE) -> np.ndarray:
    """A distinct, opaque RGBA test image per seed."""
    rng = np.random.default_rng(seed)
    out = rng.integers(0, 200, (side, side, 4), dtype=np.uint8)
    out[..., 3] = 255
    return out


def checksum(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def edit(raw: Raw, rid: Any, img: np.ndarray, instruction: str = "make it brighter", **fields: Any) -> None:
    h, w = img.shape[:2]
    raw.send({"id": rid, "type": "edit", "instruction": instruction, "image": image_desc(w, h), **fields},
             img.tobytes())


def run(raw: Raw, rid: Any, img: np.ndarray, workflow: dict[str, Any], **fields: Any) -> None:
    h, w = img.shape[:2]
    raw.send({"id": rid, "type": "run", "workflow": workflow, "image": image_desc(w, h), **fields}, img.tobytes())


def one_step(model: str, **inputs: Any) -> dict[str, Any]:
    return {"process": model.lower(), "pipeline": [
        {"step": 1, "model": model, "input": {"image": "init[image]", **inputs}, "output": {"image": "step1[image]"}},
        {"result": "[step1[image]]"}]}


FLIP = one_step("FLIP", direction="horizontal")


def denoise() -> dict[str, Any]:
    """DENOISE at full strength: a real, slow (seconds at 1024 x 1024), progressing, cancellable brick."""
    return one_step("DENOISE", amount=1.0)


def health(daemon: Daemon, timeout: float = 30.0, **curve: bytes) -> None:
    """The daemon is alive and serving: a fresh client's ping answers, a 64 x 64 edit ('make it brighter')
    and a one-step `run` (FLIP) both end with `result`, the FLIP's pixels exactly mirrored."""
    assert daemon.alive(), f"the daemon died (exit {daemon.proc.returncode}):\n{daemon.stderr()}"
    raw = Raw(daemon.endpoint, **curve)
    try:
        assert raw.ping_ok(), "no pong"
        img = image(time.monotonic_ns() % 1000)
        rid = f"health-edit-{time.monotonic_ns()}"
        edit(raw, rid, img)
        header, blobs = raw.until_terminal(rid, timeout)[-1]
        assert header["type"] == "result", header
        assert len(blobs[0]) == img.nbytes
        rid = f"health-run-{time.monotonic_ns()}"
        run(raw, rid, img, FLIP, reply_format="RGBA8")
        header, blobs = raw.until_terminal(rid, timeout)[-1]
        assert header["type"] == "result", header
        assert blobs[0] == np.ascontiguousarray(img[:, ::-1]).tobytes()
    finally:
        raw.close()


def request(raw: Raw, header: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send an answered-at-once request (ping, status, hello, cancel) and return its reply."""
    raw.send(header)
    return raw.first(header["id"], timeout)


def status(endpoint: str, **curve: bytes) -> dict[str, Any]:
    raw = Raw(endpoint, **curve)
    try:
        return request(raw, {"id": f"status-{time.monotonic_ns()}", "type": "status"})
    finally:
        raw.close()


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r})")
        time.sleep(interval)


WINDOW = 3  # jobs a load client keeps in flight (limits.max_queued_per_client is 4; test_load checks the
            # full window on its own, so a spurious `busy` there does not hide the other results here)


def drive(endpoint: str, plan: dict[int, list[tuple[Any, np.ndarray]]], instruction: str = "make it brighter",
          timeout: float = 120.0, window: int = WINDOW, sockets: dict[int, zmq.Socket] | None = None,
          workflow: dict[str, Any] | None = None) -> dict[int, dict[Any, dict[str, Any]]]:
    """plan: client number -> [(request id, image)]. Each client is its own DEALER, sends its edits with
    at most `window` in flight, all clients at once from one poll loop. Returns, per client, per id:
    {"replies": [types], "end": terminal header, "blob": checksum of the result's image, "plan": workflow}."""
    ctx = zmq.Context.instance()
    socks: dict[int, zmq.Socket] = {}
    poller = zmq.Poller()
    for client in plan:
        if sockets is not None and client in sockets:
            sock = sockets[client]
        else:
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(endpoint)
        socks[client] = sock
        poller.register(sock, zmq.POLLIN)
    todo = {c: list(reqs) for c, reqs in plan.items()}
    inflight = {c: 0 for c in plan}
    seen: dict[int, dict[Any, dict[str, Any]]] = {c: {} for c in plan}
    expected = sum(len(r) for r in plan.values())
    ended = 0

    def top_up(client: int) -> None:
        while todo[client] and inflight[client] < window:
            rid, img = todo[client].pop(0)
            h, w = img.shape[:2]
            job = {"type": "edit", "instruction": instruction} if workflow is None else {"type": "run",
                                                                                        "workflow": workflow}
            socks[client].send_multipart([json.dumps({"v": 1, "id": rid, **job, "image": image_desc(w, h)}).encode(),
                                          img.tobytes()])
            inflight[client] += 1
            seen[client][rid] = {"replies": []}

    try:
        for client in plan:
            top_up(client)
        deadline = time.monotonic() + timeout
        while ended < expected:
            assert time.monotonic() < deadline, f"only {ended} of {expected} edits ended in {timeout:.0f} s"
            for sock, _ in poller.poll(1000):
                client = next(c for c, s in socks.items() if s is sock)
                frames = sock.recv_multipart()
                header = json.loads(frames[0])
                rid = header["id"]
                assert rid in seen[client], f"client {client} got a reply to {rid!r}, not one of its requests"
                entry = seen[client][rid]
                entry["replies"].append(header["type"])
                if header["type"] == "plan":
                    entry["plan"] = header["workflow"]
                if header["type"] in ("result", "error", "cancelled"):
                    assert "end" not in entry, f"a second terminal reply for {rid!r}: {header}"
                    entry["end"] = header
                    if header["type"] == "result":
                        entry["blob"] = checksum(frames[1])
                    ended += 1
                    inflight[client] -= 1
                    top_up(client)
    finally:
        for client, sock in socks.items():
            if sockets is None or client not in sockets:
                sock.close(0)
    return seen


# -- latency ------------------------------------------------------------------------------------

def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


class Pinger:
    """A separate process that pings the daemon every `interval` s and times each pong (ms), so the
    figures do not include this test process's own GIL contention. `start()`; run the load; `stop()`."""

    def __init__(self, endpoint: str, interval: float = 0.01, timeout: float = 2.0) -> None:
        self.args = [sys.executable, "-m", "tests.reliability.pinger", endpoint, str(interval), str(timeout)]
        self.proc: subprocess.Popen | None = None

    def start(self) -> Pinger:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", line
        return self

    def stop(self) -> list[float]:
        assert self.proc is not None and self.proc.stdin is not None
        out, _ = self.proc.communicate("stop\n", timeout=30)
        return json.loads(out)

    def measure(self, seconds: float) -> list[float]:
        self.start()
        time.sleep(seconds)
        return self.stop()


def summary(samples: list[float]) -> str:
    return (f"n={len(samples)} p50={percentile(samples, 50):.2f} ms p99={percentile(samples, 99):.2f} ms "
            f"max={max(samples):.2f} ms")
