"""`python -m tests.reliability.window_client ENDPOINT ROUNDS`: one client keeping 4 jobs in flight (the next
sent the moment a result arrives). Each round is 300 edits, then 1000 zero-step runs; it stops after the
round in which a job got `busy`, or after ROUNDS. Prints the terminal replies as JSON.

A process of its own: how fast a client answers a `result` decides whether it meets the daemon's
window (the race is timing-dependent, hence the rounds), and a test process that has loaded OpenCV and
thread pools answers more slowly."""

from __future__ import annotations

import json
import sys

from tests.daemon_util import IDENTITY
from tests.reliability.harness import drive, image


def main() -> None:
    endpoint, rounds = sys.argv[1], int(sys.argv[2])
    ends: list[dict] = []
    for r in range(rounds):
        plan = {0: [(f"r{r}-w{n}", image(7000 + n % 10)) for n in range(300)]}
        ends += [entry["end"] for entry in drive(endpoint, plan, window=4)[0].values()]
        # Zero-step runs end the moment a worker takes them: the tightest race between the result and the slot.
        plan = {0: [(f"r{r}-i{n}", image(n % 10, side=8)) for n in range(1000)]}
        ends += [entry["end"] for entry in drive(endpoint, plan, window=4, workflow=IDENTITY)[0].values()]
        if any(e.get("code") == "busy" for e in ends):
            break
    print(json.dumps(ends))


if __name__ == "__main__":
    main()
