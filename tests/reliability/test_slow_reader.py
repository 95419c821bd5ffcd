"""A client that stops reading: its replies wait (or are shed) without costing others or the daemon's
memory, and when it reads again every one of its jobs has its terminal reply (nothing lost silently)."""

from __future__ import annotations

import json
import time

import zmq

from tests.daemon_util import Raw
from tests.reliability.harness import TERMINAL, edit, health, image

QUIET_S = 10.0


def serve_others_while(daemon, seconds: float) -> int:
    """Another client's pings and 64 x 64 edits, one after the other for `seconds`: each is served
    promptly (ping < 1 s, edit < 5 s). Returns how many edits were done."""
    other = Raw(daemon.endpoint)
    done = 0
    try:
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            start = time.monotonic()
            assert other.ping_ok()
            assert time.monotonic() - start < 1.0, "ping took over 1 s while a client was not reading"
            rid = f"other-{done}"
            start = time.monotonic()
            edit(other, rid, image(1000 + done))
            header, _ = other.until_terminal(rid, timeout=30)[-1]
            assert header["type"] == "result", header
            assert time.monotonic() - start < 5.0, "an edit took over 5 s while a client was not reading"
            done += 1
            time.sleep(0.2)
    finally:
        other.close()
    return done


def read_all(sock: zmq.Socket, ids: list[str], timeout: float = 60.0) -> dict[str, dict]:
    """Read until every id in `ids` has a terminal reply (other replies are skipped); returns them."""
    ends: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while len(ends) < len(ids):
        left = deadline - time.monotonic()
        if left <= 0 or not sock.poll(int(left * 1000)):
            break
        header = json.loads(sock.recv_multipart()[0])
        if header.get("id") in ids and header.get("type") in TERMINAL:
            assert header["id"] not in ends, f"two terminal replies for {header['id']}: {ends[header['id']]}, {header}"
            ends[header["id"]] = header
    return ends


def test_a_client_that_reads_nothing_for_10_s_gets_every_terminal_reply(daemon):
    slow = Raw(daemon.endpoint)
    try:
        health(daemon)
        rss = daemon.rss_mb()
        ids = [f"slow-{n}" for n in range(5)]
        for n, rid in enumerate(ids):
            edit(slow, rid, image(n))
        served = serve_others_while(daemon, QUIET_S)
        assert served >= 5
        ends = read_all(slow.sock, ids)
        assert set(ends) == set(ids), f"no terminal reply for {sorted(set(ids) - set(ends))}"
        assert all(e["type"] == "result" or e.get("code") == "busy" for e in ends.values()), ends
        assert daemon.rss_mb() - rss < 50
        health(daemon)
    finally:
        slow.close()


def test_a_stuck_reader_whose_heartbeat_floods_pings_loses_no_terminal_reply(daemon):
    """The harsh case: a client with a 1-message receive queue stops reading. Its first two edits (1024 x
    1024) send 8 MB of results that fill the socket buffers; then its heartbeat thread floods 3000 pings
    (more pongs than ZeroMQ's send queue holds, SNDHWM 1000); only then do its two slow edits (DENOISE,
    ~1 s each) finish, and a fifth one is refused or queued. Pongs may be shed; terminal replies not."""
    slow = Raw(daemon.endpoint, rcvhwm=1, rcvbuf=16384)
    try:
        health(daemon)
        rss = daemon.rss_mb()
        ids = [f"slow-{n}" for n in range(5)]
        for n in range(2):
            edit(slow, ids[n], image(n, side=1024))
        for n in range(2, 5):
            edit(slow, ids[n], image(n, side=512), instruction="remove the noise")
        time.sleep(1.0)  # the big results are out (in the socket buffers); the DENOISE jobs are still running
        sent = 0
        start = time.monotonic()
        try:
            while sent < 3000 and time.monotonic() - start < 3:
                slow.sock.send(json.dumps({"v": 1, "id": f"hb-{sent}", "type": "ping"}).encode(), zmq.NOBLOCK)
                sent += 1
        except zmq.Again:
            pass  # our own send queue is full: the daemon is not reading us either, fine
        served = serve_others_while(daemon, QUIET_S - 1.0 - (time.monotonic() - start))
        assert served >= 3
        grew = daemon.rss_mb() - rss
        ends = read_all(slow.sock, ids)
        print(f"\nsent {sent} pings; terminal replies {[(k, v['type'], v.get('code')) for k, v in ends.items()]}; "
              f"RSS +{grew:.0f} MB")
        assert set(ends) == set(ids), f"no terminal reply for {sorted(set(ids) - set(ends))}"
        assert grew < 100, f"RSS grew {grew:.0f} MB for one client that does not read"
        health(daemon)
    finally:
        slow.close()
