"""Daemon benchmarks: a 4K RGBA layer through the daemon against a bare pyzmq echo and PNG,
time from `lego-edit serve` to its first reply, and idle resident memory.

Run: python bench/bench_daemon.py   (prints a table; exit status 1 if a budget is missed)

The daemon and the echo server are separate processes on loopback, driven by the same DEALER code,
so the ratio is what the daemon adds to moving the bytes: header parsing, the queue, the identity
workflow through the executor, and the reply.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import zmq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._table import print_table, timed, verdict  # noqa: E402
from tests.net import free_port  # noqa: E402

WIDTH, HEIGHT = 3840, 2160
IDENTITY = {"process": "identity", "pipeline": [{"result": "[init[image]]"}]}
ECHO = textwrap.dedent("""
    import sys, zmq
    sock = zmq.Context().socket(zmq.ROUTER)
    sock.bind(sys.argv[1])
    print("ready", flush=True)
    while True:
        frames = sock.recv_multipart(copy=False)
        sock.send_multipart(frames, copy=False)
""")



def layer() -> np.ndarray:
    """A 4K RGBA layer from a real photo (PNG cost depends on content; noise would flatter the daemon)."""
    import cv2
    from skimage import data

    rgb = cv2.resize(data.astronaut(), (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(np.dstack([rgb, np.full((HEIGHT, WIDTH), 255, np.uint8)]))


class Dealer:
    def __init__(self, endpoint: str) -> None:
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.n = 0

    def round_trip(self, header: dict, blob, until: str) -> list:
        """Send header + blob; receive until a reply of type `until`; returns that reply's frames."""
        self.n += 1
        header = {**header, "id": self.n}
        self.sock.send_multipart([json.dumps(header).encode(), blob], copy=False)
        while True:
            frames = self.sock.recv_multipart(copy=False)
            reply = json.loads(frames[0].bytes)
            if reply.get("type") == until or reply.get("type") == "error":
                assert reply.get("type") == until, reply
                return frames

    def close(self) -> None:
        self.sock.close(0)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_daemon(endpoint: str, home: str) -> tuple[subprocess.Popen, float]:
    env = dict(os.environ, XDG_CONFIG_HOME=f"{home}/config", XDG_STATE_HOME=f"{home}/state", PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "lego_edit.daemon", "serve", "--endpoint", endpoint], env=env,
                            stderr=subprocess.DEVNULL, cwd=ROOT)
    ping = zmq.Context.instance().socket(zmq.DEALER)
    ping.setsockopt(zmq.LINGER, 0)
    ping.connect(endpoint)
    ping.send(json.dumps({"v": 1, "id": "ready", "type": "ping"}).encode())  # queued until the daemon binds
    if not ping.poll(20_000):
        proc.kill()
        raise SystemExit("the daemon did not answer within 20 s")
    ready = time.perf_counter() - start
    ping.recv()
    ping.close(0)
    return proc, ready


def main() -> int:
    image = layer()
    blob = image.data  # sent without a copy
    nbytes = image.nbytes
    rows = []
    home = tempfile.mkdtemp(prefix="lego-bench-")

    # 1. Start-up and idle memory.
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    daemon, ready = start_daemon(endpoint, home)
    time.sleep(0.5)
    idle = rss_mb(daemon.pid)
    echo_endpoint = f"tcp://127.0.0.1:{free_port()}"
    echo = subprocess.Popen([sys.executable, "-c", ECHO, echo_endpoint], stdout=subprocess.PIPE, text=True)
    echo.stdout.readline()
    try:
        # 2. Round trips: the same 4K RGBA bytes, the same DEALER code.
        client, bare = Dealer(endpoint), Dealer(echo_endpoint)
        header = {"v": 1, "type": "run", "workflow": IDENTITY,
                  "image": {"frame": 1, "width": WIDTH, "height": HEIGHT, "format": "RGBA8"}}
        result = client.round_trip(header, blob, "result")
        assert np.array_equal(np.frombuffer(result[1].buffer, np.uint8), image.ravel()), "the daemon changed the pixels"
        bgra_header = {**header, "image": {**header["image"], "format": "BGRA8"}}
        swap_header = {**header, "reply_format": "BGRA8"}
        from lego_edit.plugins.client import Client, ImageData

        plugin = Client(endpoint)
        plugin_image = ImageData.rgba(image.data, WIDTH, HEIGHT)
        medians = interleaved({
            "echo": lambda: bare.round_trip({"type": "echo"}, blob, "echo"),
            "daemon": lambda: client.round_trip(header, blob, "result"),
            "bgra": lambda: client.round_trip(bgra_header, blob, "result"),
            "swap": lambda: client.round_trip(swap_header, blob, "result"),
            "plugin": lambda: plugin.run(IDENTITY, plugin_image, timeout=30),
        }, rounds=15)
        echo_s, daemon_s, bgra_s, swap_s, client_s = (medians[k] for k in ("echo", "daemon", "bgra", "swap",
                                                                             "plugin"))
        plugin.close()
        busy = rss_mb(daemon.pid)
        client.close()
        bare.close()
    finally:
        echo.kill()
        daemon.terminate()
        daemon.wait(10)

    # 3. PNG encode + decode of the same layer (Pillow's default compression).
    from PIL import Image

    def png_round_trip():
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")
        np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGBA"))

    png_s = timed(png_round_trip, repeat=3, warmup=1)

    gb = nbytes / 1e9
    rows.append((f"bare pyzmq echo, 4K RGBA ({nbytes / 1e6:.0f} MB)", f"{echo_s * 1e3:.1f} ms ({2 * gb / echo_s:.1f} GB/s)",
                 "baseline", ""))
    rows.append(("daemon `run` identity, RGBA8 in and out", f"{daemon_s * 1e3:.1f} ms = {daemon_s / echo_s:.2f}x echo",
                 "<= 3x echo", verdict(daemon_s <= 3 * echo_s)))
    rows.append(("PNG encode + decode of the layer (Pillow default)", f"{png_s * 1e3:.0f} ms = {png_s / daemon_s:.1f}x daemon",
                 ">= 5x daemon", verdict(png_s >= 5 * daemon_s)))
    rows.append(("daemon, BGRA8 in and out (swapped in place, back)", f"{bgra_s * 1e3:.1f} ms = {bgra_s / echo_s:.2f}x echo",
                 "(info)", ""))
    rows.append(("daemon, RGBA8 in, BGRA8 out (one swap)", f"{swap_s * 1e3:.1f} ms = {swap_s / echo_s:.2f}x echo",
                 "(info)", ""))
    rows.append(("plugins/client Client.run, RGBA8", f"{client_s * 1e3:.1f} ms = {client_s / echo_s:.2f}x echo",
                 "(info)", ""))
    rows.append(("`lego-edit serve` to first reply", f"{ready:.2f} s", "<= 1.5 s", verdict(ready <= 1.5)))
    rows.append(("idle resident memory (VmRSS), no model", f"{idle:.0f} MB", "<= 150 MB", verdict(idle <= 150)))
    rows.append(("resident memory after the 4K round trips", f"{busy:.0f} MB", "(info)", ""))
    print_table("Daemon benchmarks (loopback, medians)", rows)
    return 0 if all(r[3] in ("yes", "") for r in rows) else 1


def interleaved(runs: dict, rounds: int) -> dict[str, float]:
    """Median seconds of each function, measured in turns (one of each per round) so that drift in
    the machine's load hits every contender alike."""
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():  # warm-up
        fn()
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


if __name__ == "__main__":
    sys.exit(main())
