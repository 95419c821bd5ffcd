"""`python -m tests.reliability.pinger ENDPOINT INTERVAL TIMEOUT`: ping until a line arrives on stdin.

Prints "ready" once the first pong came back, then, when told to stop, a JSON list of round-trip
times in milliseconds (a ping unanswered within TIMEOUT counts as TIMEOUT). One ping in flight at a time.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import zmq


def main() -> None:
    endpoint, interval, timeout = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    n = 0

    def ping() -> float:
        nonlocal n
        n += 1
        rid = f"p{n}"
        start = time.perf_counter()
        sock.send(json.dumps({"v": 1, "id": rid, "type": "ping"}).encode())
        deadline = start + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not sock.poll(int(left * 1000) + 1):
                return timeout * 1000
            reply = json.loads(sock.recv_multipart()[0])
            if reply.get("id") == rid and reply.get("type") == "pong":
                return (time.perf_counter() - start) * 1000

    while ping() >= timeout * 1000:
        pass
    print("ready", flush=True)
    samples = []
    while not stop.is_set():
        samples.append(ping())
        time.sleep(interval)
    print(json.dumps(samples), flush=True)
    sock.close(0)


if __name__ == "__main__":
    main()
