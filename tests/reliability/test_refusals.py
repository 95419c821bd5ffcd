"""Refusals happen up front: a request the daemon refuses gets `error` alone, never `accepted` first
(docs/protocol.md §4); and `lego-edit stop` signals only a process that is the daemon it talked to."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import zmq

from tests.daemon_util import Raw
from tests.net import free_port
from tests.reliability.harness import ROOT, Daemon, edit, health, image


def test_an_unknown_replan_of_is_refused_without_being_accepted(daemon):
    raw = Raw(daemon.endpoint)
    try:
        raw.send({"id": "p1", "type": "plan", "instruction": "make it brighter"})
        assert [h["type"] for h, _ in raw.until_terminal("p1", 30)] == ["accepted", "plan"]
        # The control: a replan_of the client's own plan is accepted.
        raw.send({"id": "p2", "type": "plan", "replan_of": "p1", "feedback": "too strong"})
        assert [h["type"] for h, _ in raw.until_terminal("p2", 30)] == ["accepted", "plan"]
        for rid, kind in (("p3", "plan"), ("e3", "edit")):
            raw.send({"id": rid, "type": kind, "replan_of": "never-sent", "feedback": "too strong"})
            if kind == "plan":
                raw.plans.add(rid)
            replies = [h for h, _ in raw.until_terminal(rid, 30)]
            assert [(h["type"], h.get("code")) for h in replies] == [("error", "bad_request")], replies
        health(daemon)
    finally:
        raw.close()


def test_a_request_refused_for_its_id_is_never_accepted(daemon):
    raw = Raw(daemon.endpoint)
    try:
        edit(raw, "same", image(1, 512), instruction="remove the noise")
        edit(raw, "same", image(2))
        first = raw.first("same", 30)
        second = raw.first("same", 30)
        assert first["type"] == "accepted"
        assert (second["type"], second.get("code")) == ("error", "bad_request"), second
    finally:
        raw.close()


class FakeDaemon:
    """Something on a loopback port that answers like a daemon but names another process as its pid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.endpoint = f"tcp://127.0.0.1:{free_port()}"
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(self.endpoint)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            if not self.sock.poll(50):
                continue
            client, head, *_ = self.sock.recv_multipart()
            header = json.loads(head)
            kind = header.get("type")
            reply = {"v": 1, "id": header.get("id"), "type": kind}
            if kind == "hello":
                reply |= {"version": 1, "versions": [1], "server": "lego-edit", "server_version": "0.1.0",
                          "instance": "fake", "heartbeat_s": 30.0, "curve": False, "limits": {}}
            elif kind == "status":
                reply |= {"state": "idle", "jobs": {"running": 0, "queued": 0}, "clients": 1, "pid": self.pid,
                          "endpoint": self.endpoint, "server_version": "0.1.0", "instance": "fake"}
            elif kind == "ping":
                reply |= {"type": "pong", "time": 0.0, "instance": "fake"}
            self.sock.send_multipart([client, json.dumps(reply).encode()])

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close(0)


def test_stop_does_not_signal_a_pid_it_did_not_verify(tmp_path):
    """A program on the port answers `status` with the pid of an unrelated process: `lego-edit stop`
    must not SIGTERM that process."""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    fake = FakeDaemon(victim.pid)
    try:
        cfg = Daemon(tmp_path)  # only for its temporary XDG environment; never started
        result = subprocess.run([sys.executable, "-m", "lego_edit.daemon", "stop", "--endpoint", fake.endpoint,
                                 "--timeout", "3"], env=cfg.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        alive = victim.poll() is None
        assert alive, f"`lego-edit stop` killed pid {victim.pid}, which is not a daemon: {result.stdout}{result.stderr}"
        assert result.returncode != 0, result.stdout
    finally:
        fake.close()
        if victim.poll() is None:
            victim.kill()
        victim.wait()
