"""Oversize frames and amplification: what exceeds a limit is refused or dropped without harming the
daemon or anyone else, and without its memory following the attacker's numbers."""

from __future__ import annotations

import json
import time

import numpy as np

from tests.daemon_util import IDENTITY, Raw, image_desc
from tests.reliability.harness import Pinger, edit, health, image, percentile, run, summary

MAX_PIXELS = 1_000_000  # config limit here: frames up to 4 MB + 1 MiB
FRAME_LIMIT = 4 * MAX_PIXELS + (1 << 20)
LIMITS = {"limits": {"max_pixels": MAX_PIXELS}}
PING_P99_MS = 50.0


def test_a_frame_over_the_limit_is_dropped_unread_and_harms_no_one(make_daemon):
    daemon = make_daemon(LIMITS)
    other = Raw(daemon.endpoint)
    big = Raw(daemon.endpoint)
    try:
        hello = other.send({"id": "h", "type": "hello"}) or other.first("h")
        assert hello["limits"]["max_frame_bytes"] == FRAME_LIMIT
        # A legitimate image at the pixel limit goes through.
        side = 1000
        img = np.random.default_rng(1).integers(0, 256, (side, side, 4), dtype=np.uint8)
        run(other, "at-limit", img, IDENTITY)
        header, blobs = other.until_terminal("at-limit", timeout=60)[-1]
        assert header["type"] == "result" and blobs[0] == img.tobytes()
        edit(other, "warm-up", image(2))
        assert other.until_terminal("warm-up", timeout=30)[-1][0]["type"] == "result"
        rss = daemon.rss_mb()
        # The other client has a job in flight when the oversize frame arrives.
        edit(other, "meanwhile", image(2))
        big.send({"id": "huge", "type": "run", "workflow": IDENTITY, "image": image_desc(1200, 1200)},
                 bytes(FRAME_LIMIT + 1))
        assert other.until_terminal("meanwhile", timeout=30)[-1][0]["type"] == "result"
        with_no_reply = []
        try:
            with_no_reply.append(big.recv(timeout=1.5))
        except TimeoutError:
            pass
        assert not with_no_reply, with_no_reply  # dropped without a reply
        assert other.ping_ok()
        assert daemon.rss_mb() - rss < FRAME_LIMIT / 2**20, "the daemon read the oversize frame"
        # The dropped client's ZeroMQ reconnects by itself and is served again.
        deadline = time.monotonic() + 20
        while True:
            try:
                if big.ping_ok():
                    break
            except TimeoutError:
                assert time.monotonic() < deadline, "the dropped client was never served again"
        health(daemon)
    finally:
        other.close()
        big.close()


def test_an_oversize_header_and_too_many_pixels_are_refused_never_accepted(make_daemon):
    daemon = make_daemon(LIMITS)
    raw = Raw(daemon.endpoint)
    try:
        padding = "x" * (1 << 20)
        raw.send({"id": "fat", "type": "ping", "padding": padding})
        header, _ = raw.recv(timeout=10)
        assert header == header | {"id": None, "type": "error", "code": "too_large"}
        run(raw, "wide", np.zeros((1000, 1001, 4), np.uint8), IDENTITY)
        replies = [h for h, _ in raw.until_terminal("wide", timeout=10)]
        assert [h["type"] for h in replies] == ["error"] and replies[0]["code"] == "too_large", replies
        health(daemon)
    finally:
        raw.close()


def cmi_chain(steps: int, ratio: float) -> dict:
    pipeline = []
    source = "init[image]"
    for n in range(1, steps + 1):
        pipeline.append({"step": n, "model": "CMI-PRED", "input": {
            "image": source, "left_ratio": ratio, "right_ratio": ratio, "top_ratio": ratio, "bottom_ratio": ratio},
            "output": {"caption": f"step{n}[caption]", "image": f"step{n}[image]", "mask": f"step{n}[mask]"}})
        source = f"step{n}[image]"
    pipeline.append({"result": f"[{source}]"})
    return {"process": "grow and grow", "pipeline": pipeline}


def test_chained_canvas_growth_stays_bounded(daemon):
    """Three CMI-PRED steps at ratio 4 on every side: each canvas is resized to a long side of 1024, as the
    reference does, so the chain ends at 1024 x 1024 however far it asks to grow, and memory stays flat
    (before that bound, this chain asked for 11664 x 11664, 544 MB of RGBA)."""
    raw = Raw(daemon.endpoint, maxmsgsize=64 << 20)
    try:
        health(daemon)
        before = daemon.peak_mb()
        start = time.monotonic()
        run(raw, "grow", image(3, side=16), cmi_chain(3, 4.0), layers=False)
        end = raw.until_terminal("grow", timeout=45)[-1][0]
        grew = daemon.peak_mb() - before
        print(f"\nCMI-PRED x3: {end['type']} {end.get('code')}; peak RSS +{grew:.0f} MB, "
              f"{time.monotonic() - start:.1f} s")
        assert end["type"] == "result", end
        final = end["layers"][0]["image"]
        assert max(final["width"], final["height"]) <= 1024, final
        assert grew < 256, f"peak RSS grew {grew:.0f} MB"
        health(daemon)
    finally:
        raw.close()


def test_a_1_mib_feedback_string_does_not_delay_another_clients_ping(daemon):
    """One client sends an edit whose feedback is one ~1 MiB string (just under the header limit);
    another client's pings, measured in a separate process, keep a p99 under 50 ms while the
    daemon reads it, and the idle p99 of the same run is printed beside it. One edit runs first, so the planner is
    loaded (its first use compiles its patterns) before anything is measured."""
    raw = Raw(daemon.endpoint)
    other = Raw(daemon.endpoint)
    try:
        edit(other, "warm", image(6))
        assert other.until_terminal("warm", timeout=60)[-1][0]["type"] == "result"
        idle = Pinger(daemon.endpoint).measure(2.0)
        feedback = ("a " * (1 << 19))[: (1 << 20) - 2048]
        header = {"id": "fb", "type": "edit", "instruction": "make it brighter", "feedback": feedback,
                  "image": image_desc(64, 64)}
        assert len(json.dumps({"v": 1, **header})) < 1 << 20
        pinger = Pinger(daemon.endpoint).start()
        start = time.monotonic()
        raw.send(header, image(4).tobytes())
        # Another client's edit in the meantime: not stuck behind the feedback for long either.
        edit(other, "next", image(5))
        other_end = other.until_terminal("next", timeout=60)[-1][0]
        other_s = time.monotonic() - start
        end = raw.until_terminal("fb", timeout=120)[-1][0]
        took = time.monotonic() - start
        time.sleep(0.5)
        loaded = pinger.stop()
        print(f"\n1 MiB feedback: ended with {end['type']}/{end.get('code')} ({end.get('message', '')[:80]}) after {took:.2f} s; other edit "
              f"{other_end['type']} after {other_s:.2f} s\n  ping idle   {summary(idle)}\n  ping loaded {summary(loaded)}")
        assert end["type"] in ("result", "error"), end
        assert other_end["type"] == "result", other_end
        assert percentile(loaded, 99) < PING_P99_MS, f"ping p99 {percentile(loaded, 99):.1f} ms " \
                                                      f"(idle {percentile(idle, 99):.1f} ms)"
        assert other_s < 5.0, f"another client's 64 x 64 edit took {other_s:.1f} s behind the feedback"
    finally:
        raw.close()
        other.close()
