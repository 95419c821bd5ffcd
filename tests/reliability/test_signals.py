"""Processes dying: a client SIGKILLed mid-job, the daemon SIGTERMed mid-job, the daemon SIGKILLed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from tests.daemon_util import Raw
from tests.reliability.harness import ROOT, TERMINAL, Daemon, denoise, health, image, request, run, status, wait_for

SIDE = 768  # DENOISE at 768 x 768: a few seconds of real work, cancellable between bands of rows


def test_a_client_killed_mid_job_has_its_jobs_cancelled_and_others_are_served(daemon):
    """A client process queues 4 DENOISE jobs (over 10 s of work) and is SIGKILLed once the first runs:
    the daemon cancels its running job and drops its queued ones well before they could have finished,
    and serves another client meanwhile."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.slow_client", daemon.endpoint, "4", str(SIDE)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        busy = status(daemon.endpoint)
        assert busy["jobs"]["running"] + busy["jobs"]["queued"] == 4, busy
        proc.kill()
        proc.wait(10)
        killed = time.monotonic()
        health(daemon)
        wait_for(lambda: status(daemon.endpoint)["jobs"] == {"running": 0, "queued": 0}, timeout=20,
                 what="the killed client's jobs to be cancelled")
        print(f"\nkilled client's jobs gone {time.monotonic() - killed:.1f} s after SIGKILL")
        health(daemon)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sigterm_mid_job_cancels_with_reason_shutdown_and_exits_0(daemon):
    raw = Raw(daemon.endpoint)
    try:
        for rid in ("running", "queued"):
            run(raw, rid, image(8, SIDE), denoise())
        wait_for(lambda: raw.first("running", timeout=30)["type"] == "progress", timeout=30, what="progress")
        daemon.signal(signal.SIGTERM)
        ends = {}
        deadline = time.monotonic() + 15
        while len(ends) < 2 and time.monotonic() < deadline:
            header, _ = raw.recv(timeout=max(0.1, deadline - time.monotonic()))
            if header["type"] in TERMINAL:
                ends[header["id"]] = header
        assert set(ends) == {"running", "queued"}, ends
        for header in ends.values():
            assert header["type"] == "cancelled" and header["reason"] == "shutdown", header
        assert daemon.wait(15) == 0
    finally:
        raw.close()


def test_after_a_sigkill_a_new_daemon_binds_the_same_endpoint(daemon, tmp_path):
    raw = Raw(daemon.endpoint)
    try:
        first = request(raw, {"id": "i1", "type": "ping"})["instance"]
        run(raw, "doomed", image(9, SIDE), denoise())
        assert raw.first("doomed", timeout=30)["type"] == "accepted"
        daemon.signal(signal.SIGKILL)
        assert daemon.wait(10) == -signal.SIGKILL
        again = Daemon(tmp_path / "again", endpoint=daemon.endpoint)
        try:
            start = time.monotonic()
            again.start()
            print(f"\nrestarted on {daemon.endpoint} in {time.monotonic() - start:.2f} s")
            # The old connection reconnects by itself and sees a new instance.
            deadline = time.monotonic() + 20
            while True:
                try:
                    pong = request(raw, {"id": f"i{time.monotonic_ns()}", "type": "ping"}, timeout=1)
                    break
                except TimeoutError:
                    assert time.monotonic() < deadline, "the old client never reached the new daemon"
            assert pong["instance"] != first
            health(again)
        finally:
            again.close()
    finally:
        raw.close()
