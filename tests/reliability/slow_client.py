"""`python -m tests.reliability.slow_client ENDPOINT N SIDE`: a client process that sends N slow jobs
(DENOISE on SIDE x SIDE), prints "started" when the first one reports progress, then keeps reading
(and pinging) until it is killed."""

from __future__ import annotations

import json
import sys
import time

import zmq

from tests.reliability.harness import denoise, image


def main() -> None:
    endpoint, count, side = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    img = image(7, side)
    for n in range(count):
        sock.send_multipart([json.dumps({"v": 1, "id": f"job-{n}", "type": "run", "workflow": denoise(),
                                         "image": {"frame": 1, "width": side, "height": side, "format": "RGBA8"}}
                                        ).encode(), img.tobytes()])
    told = False
    last_ping = time.monotonic()
    while True:
        if sock.poll(200):
            header = json.loads(sock.recv_multipart()[0])
            if header.get("type") == "progress" and not told:
                print("started", flush=True)
                told = True
        if time.monotonic() - last_ping > 1:
            sock.send(json.dumps({"v": 1, "id": "hb", "type": "ping"}).encode())
            last_ping = time.monotonic()


if __name__ == "__main__":
    main()
