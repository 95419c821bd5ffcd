"""The daemon's ZeroMQ service: one ROUTER socket, one socket thread, a few worker threads.

All socket I/O happens on the thread that runs `serve_forever`. Workers hand finished replies to
it through a queue and wake it with a byte on a socketpair that sits in the same poller as the
ROUTER, so a reply leaves as soon as it exists. Image frames are received without copying and
sent without copying; see daemon/service/pixels.py.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zmq

from lego_edit.daemon.config import Config
from lego_edit.daemon.keys import AllowList, allowed, is_local, load_pair
from lego_edit.daemon.service import protocol
from lego_edit.daemon.service.jobs import Job, QueueFull, Scheduler
from lego_edit.daemon.service.outbox import ClientOutbox, Message
from lego_edit.daemon.service.pixels import DecodeBudget
from lego_edit.daemon.service.plans import PlanStore
from lego_edit.daemon.service.protocol import (
    AckState,
    CancelReason,
    DaemonState,
    EventKind,
    ProtocolError,
    Request,
    RequestId,
    StepState,
    encode_header,
    encode_header_safe,
    error_fields,
)
from lego_edit.daemon.service.runner import JobRunner, job_executor

if TYPE_CHECKING:
    from zmq.auth.thread import ThreadAuthenticator

log = logging.getLogger("lego_edit.daemon")

__version__ = "0.1.0"
SHUTDOWN_GRACE_S = 3.0
SEND_HWM = 8  # messages ZeroMQ queues for one client; the rest wait in its ClientOutbox (outbox.py)
UNREACHABLE_GRACE_S = 5.0  # a client whose connection is gone this long (no reconnect) has its jobs cancelled


class StartError(RuntimeError):
    """The daemon cannot start as configured; the message says why and what to do."""


@dataclass
class ClientState:
    last_seen: float
    outbox: ClientOutbox
    route: bytes = b""  # the ZeroMQ routing id replies go to
    jobs: dict[RequestId, Job] = field(default_factory=dict)
    unreachable_since: float | None = None  # ZeroMQ said the peer is gone (it may reconnect)
    # A session said hello or had a job accepted; any other client (`lego-edit status`, a probe) is
    # forgotten as soon as its answers are sent, so one-off requests leave nothing behind.
    session: bool = False
    pending_control: int = 0  # answers being prepared off the socket thread (`bricks`)


class Server:
    """`Server(config).bind()` then `serve_forever()` (or `start()` for a background thread).

    Tests and embedders may pass their own registry, builder (anything with `plan(...)`) and executor.
    """

    def __init__(self, config: Config | None = None, *, registry: Any = None, builder: Any = None,
                 executor: Any = None, context: zmq.Context | None = None) -> None:
        self.config = config or Config()
        self.limits = self.config.limits.protocol_limits()
        self.clients: dict[bytes, ClientState] = {}
        self.clients_alive: set[bytes] = set()  # sessions, readable from worker threads (the plan store's fairness)
        if registry is None:
            from lego_edit.bricks import default_registry

            registry = default_registry()
        if builder is None:
            from lego_edit.builder import Builder

            builder = Builder(registry, self.config.builder_config())
        if executor is None:
            executor = job_executor(self.config, registry)  # this process's own, or a Ray cluster's
        self.registry, self.builder, self.executor = registry, builder, executor
        self._own_context = context is None
        self.ctx = context or zmq.Context()
        self.scheduler = Scheduler(self.config.limits.max_queued_per_client)
        self.plans = PlanStore(self.config.limits.plans_per_client, max(self.config.limits.plans_memory_mb, 0) << 20,
                               is_live=self.clients_alive.__contains__)
        self.decode_budget = DecodeBudget(max(self.config.limits.decode_memory_mb, 1) << 20)
        self.runner = JobRunner(registry, builder, executor, self.plans, self._send_from_worker, self.limits,
                                self.decode_budget)
        self.endpoint: str | None = None
        self.curve = False
        self.started = time.time()
        self.instance = uuid.uuid4().hex  # lets a client notice that the daemon it talks to restarted
        self.ready = threading.Event()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stop_requested = threading.Event()
        self._sock: zmq.Socket | None = None
        self._auth: ThreadAuthenticator | None = None
        self._workers: list[threading.Thread] = []
        self.workers_replaced = 0
        self._route_owner: dict[bytes, bytes] = {}  # under CURVE: routing id -> the session (key) last seen on it
        self._allow_list: AllowList | None = None  # under CURVE: the allowed client keys, re-read when changed
        self._allowed_keys: frozenset[str] = frozenset()
        self._control = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daemon-control")
        self._thread: threading.Thread | None = None
        self.warmed = threading.Event()  # set when the Builder's warm-up has ended (done, failed or none to do)
        self._warm_up: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def bind(self, endpoint: str | None = None) -> str:
        endpoint = endpoint or self.config.daemon.endpoint
        if endpoint.startswith("tcp://") and endpoint.endswith(":0"):
            endpoint = endpoint[:-2] + ":*"  # any free port
        self.curve = self.config.daemon.curve == "always" or not is_local(endpoint)
        sock = self.ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.MAXMSGSIZE, self.limits.frame_bytes)  # bigger frames drop the peer, unread
        # a client that reconnects with its id takes its replies over; not under CURVE, where another
        # allowed key could claim a victim's id (a duplicate id is then ignored while the first lives)
        sock.setsockopt(zmq.ROUTER_HANDOVER, 0 if self.curve else 1)
        sock.setsockopt(zmq.ROUTER_MANDATORY, 1)  # a full queue or a gone peer is an error, not a silent drop
        sock.setsockopt(zmq.SNDHWM, SEND_HWM)
        sock.setsockopt(zmq.LINGER, 1000)
        if self.curve:
            self._setup_curve(sock, endpoint)
        if endpoint.startswith("ipc://") and _answers(self.ctx, endpoint):
            sock.close(0)
            raise StartError(f"a lego-edit daemon is already serving {endpoint}")
        try:
            sock.bind(endpoint)
        except zmq.ZMQError as exc:
            sock.close(0)
            if exc.errno == errno.EADDRINUSE:
                raise StartError(f"{endpoint} is already in use: a lego-edit daemon is probably running there "
                                 f"(`lego-edit status`), or another program holds the port") from None
            raise StartError(f"cannot listen on {endpoint}: {exc}") from None
        self._sock = sock
        self.endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        for n in range(self.config.daemon.workers):
            self._workers.append(self._start_worker(n))
        self._start_warm_up()
        self._write_pid_file()
        log.info("serving %s (protocol v%d, CURVE %s, pid %d)", self.endpoint, protocol.VERSION,
                 "on" if self.curve else "off", os.getpid())
        return self.endpoint

    def _start_warm_up(self) -> None:
        """The Builder's warm-up (if it has one) on a thread of its own: the daemon answers at once, and
        the first plan, often a moment later, no longer waits for the planner to load. A failure is
        logged; the first plan then loads the planner itself."""
        if self._warm_up is not None:
            return  # bound again: it has run, or is running
        warm_up = getattr(self.builder, "warm_up", None)
        if not callable(warm_up):
            self.warmed.set()
            return

        def run() -> None:
            try:
                seconds = warm_up()
                took = f" in {1000 * seconds:.0f} ms" if isinstance(seconds, (int, float)) else ""
                log.info("builder warmed up: the rules planner is loaded%s", took)
            except Exception as exc:
                log.warning("the builder's warm-up failed (%s: %s); the first plan loads the planner instead",
                            type(exc).__name__, exc)
                log.debug("builder warm-up failure", exc_info=True)
            finally:
                self.warmed.set()

        self._warm_up = threading.Thread(target=run, name="daemon-warm-up", daemon=True)
        self._warm_up.start()

    def _write_pid_file(self) -> None:
        """pid, process start time and instance, for `lego-edit stop` to check before it signals (0600)."""
        if self.config.path is None and not self.config.daemon.pid_file:
            return  # an embedded server with no configuration of its own: nothing to stop from outside
        import json

        from lego_edit.daemon.control import process_start

        path = self.config.pid_path(self.endpoint or "")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"pid": os.getpid(), "start": process_start(os.getpid()), "instance": self.instance,
                           "endpoint": self.endpoint}, fh)
            os.replace(tmp, path)
            self._pid_path: Path | None = path
        except OSError as exc:
            log.warning("could not write the pid file %s: %s (`lego-edit stop` then checks the command line)",
                        path, exc)

    def _remove_pid_file(self) -> None:
        path = getattr(self, "_pid_path", None)
        if path is None:
            return
        try:
            import json

            if json.loads(path.read_text(encoding="utf-8")).get("instance") == self.instance:
                path.unlink()
        except (OSError, ValueError, AttributeError):
            pass

    def _setup_curve(self, sock: zmq.Socket, endpoint: str) -> None:
        folder = self.config.keys_dir
        where = "off loopback" if not is_local(endpoint) else "with daemon.curve = \"always\""
        try:
            pair = load_pair(folder, "server")
        except ValueError as exc:
            raise StartError(str(exc)) from None
        if pair is None:
            raise StartError(f"listening on {endpoint} {where} requires CURVE keys, and {folder} has none: "
                             f"run `lego-edit keys`, then allow each client with `lego-edit keys --allow KEY`")
        if not allowed(folder):
            raise StartError(f"listening on {endpoint} {where} requires CURVE, and no client key is allowed: "
                             f"add one with `lego-edit keys --allow CLIENT_PUBLIC_KEY`")
        from zmq.auth.thread import ThreadAuthenticator

        self._auth = ThreadAuthenticator(self.ctx, log=logging.getLogger("lego_edit.auth"))
        self._auth.start()
        self._allow_list = AllowList(folder)
        self._allowed_keys = self._allow_list.keys()
        self._auth.configure_curve_callback("*", self._allow_list)
        sock.curve_secretkey = pair.secret.encode("ascii")
        sock.curve_publickey = pair.public.encode("ascii")
        sock.curve_server = True

    def start(self, endpoint: str | None = None) -> str:
        """Bind and serve on a background thread (tests, the tray's embedded use)."""
        bound = self.bind(endpoint)
        self._thread = threading.Thread(target=self.serve_forever, name="daemon-socket", daemon=True)
        self._thread.start()
        self.ready.wait(5)
        return bound

    def stop(self, wait: bool = True) -> None:
        """Ask the service to shut down (safe from any thread and from a signal handler)."""
        self._stop_requested.set()
        self._wake()
        if wait and self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(SHUTDOWN_GRACE_S + 5)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending, or we are closing

    # -- the socket thread ----------------------------------------------------------------------
    def serve_forever(self) -> None:
        if self._sock is None:
            self.bind()
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        poller.register(self._wake_r.fileno(), zmq.POLLIN)
        tick = min(0.1, self.config.daemon.heartbeat_timeout_s / 4)
        next_check = time.monotonic() + tick
        deadline: float | None = None
        blocked = False
        self.ready.set()
        try:
            while True:
                ready = dict(poller.poll(5 if blocked else int(tick * 1000)))
                if ready.get(self._sock):
                    self._receive_some()
                if ready.get(self._wake_r.fileno()):
                    self._drain_wake()
                self._flush()
                blocked = self._pump()
                now = time.monotonic()
                if now >= next_check:
                    self._check_heartbeats(now)
                    self._check_revocations()
                    self._supervise(now)
                    next_check = now + tick
                if self._stop_requested.is_set():
                    if deadline is None:
                        deadline = now + SHUTDOWN_GRACE_S
                        self._begin_shutdown()
                    if (self.scheduler.idle() and self._outbox.empty() and not blocked) or now > deadline:
                        break
        finally:
            self._finish_shutdown()

    def _router(self) -> zmq.Socket:
        """The bound ROUTER socket: bind() sets it before the socket thread runs, shutdown clears it after."""
        if self._sock is None:
            raise RuntimeError("the daemon's socket is not bound")
        return self._sock

    def _receive_some(self, budget: int = 64) -> None:
        for _ in range(budget):
            try:
                frames = self._router().recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            route = client = frames[0].bytes
            if self.curve:  # a session belongs to the client's CURVE key (ZAP User-Id), not to its routing id
                try:
                    user = frames[min(1, len(frames) - 1)].get("User-Id") or ""
                except (zmq.ZMQError, KeyError):
                    user = ""
                if str(user) not in self._allowed_keys and not self._still_allowed(str(user)):
                    # authenticated when it connected, revoked since: ZeroMQ cannot close one peer of a
                    # ROUTER, so the daemon refuses everything that connection sends
                    self._refuse_revoked(route, frames)
                    continue
                client = b"key:" + str(user).encode("utf-8", "replace") + b"\0" + route
                owner = self._route_owner.get(route)
                if owner is not None and owner != client and owner in self.clients:
                    self._forget_client(owner, self.clients[owner], "replaced by another key on its routing id")
                self._route_owner[route] = client
            try:
                self._handle(client, [f.buffer for f in frames[1:]], route)
            except Exception:  # a bug in one request must not stop the service
                log.exception("internal error handling a message")
                try:
                    self._reply(client, None, EventKind.ERROR,
                                error_fields("internal", "internal error; see the daemon log"))
                except Exception:  # not even the error could be sent: logged, and the loop goes on
                    log.exception("could not send the internal error reply")

    def _refuse_revoked(self, route: bytes, frames: list[Any]) -> None:
        try:
            rid = protocol.parse_header(frames[1].buffer, self.limits).get("id") if len(frames) > 1 else None
        except (ProtocolError, IndexError):
            rid = None
        header, _ = encode_header_safe(rid if protocol.valid_id(rid) else None, EventKind.ERROR, error_fields(
            "unauthorized", "this client's CURVE key is no longer on the daemon's allow-list"))
        try:
            self._router().send_multipart([route, header], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass

    def _still_allowed(self, key: str) -> bool:
        """A key allowed since the last check (the ZAP handler let it connect) is taken at once."""
        if self._allow_list is None:
            return False
        self._check_revocations()
        return key in self._allowed_keys

    def _check_revocations(self) -> None:
        """Under CURVE: a key taken off the allow-list loses its sessions at once (jobs cancelled)."""
        if self._allow_list is None:
            return
        keys = self._allow_list.keys()
        if keys == self._allowed_keys:
            return
        self._allowed_keys = keys
        for client, state in list(self.clients.items()):
            key = client[4:].split(b"\0", 1)[0].decode("utf-8", "replace")
            if key not in keys:
                self._forget_client(client, state, "had its CURVE key revoked")

    def _handle(self, client: bytes, frames: list[memoryview], route: bytes | None = None) -> None:
        state = self.clients.get(client)
        if state is None:
            state = self.clients[client] = ClientState(last_seen=time.monotonic(), route=route or client,
                                                       outbox=self._new_outbox())
        state.last_seen = time.monotonic()
        state.unreachable_since = None
        try:
            request = protocol.decode(frames, self.limits)
        except ProtocolError as exc:
            if exc.drop:
                log.warning("dropped a message from client %s: %s", self._tag(client), protocol.log_text(exc.message))
            else:
                log.info("refused a request from client %s: %s %s", self._tag(client), exc.code,
                         protocol.log_text(exc.message, 200))
                self._reply(client, exc.request_id, EventKind.ERROR, error_fields(exc.code, exc.message, **exc.details))
            return
        log.debug("request %s %s from client %s", protocol.log_text(request.id), request.type, self._tag(client))
        handler = getattr(self, f"_on_{request.type}", None)
        if handler is not None:
            handler(client, state, request)
        else:
            self._submit(client, state, request)

    def _on_hello(self, client: bytes, state: ClientState, request: Request) -> None:
        self._become_session(client, state)
        offered = request.get("versions", [request.get("v", protocol.VERSION)])
        version = protocol.negotiate(offered)
        if version is None:
            self._reply(client, request.id, EventKind.ERROR, error_fields(
                "unsupported_version", f"this daemon speaks protocol version(s) {list(protocol.SUPPORTED_VERSIONS)}, "
                                       f"the client offered {offered}", supported=list(protocol.SUPPORTED_VERSIONS)))
            return
        self._reply(client, request.id, EventKind.HELLO, {
            "version": version, "versions": list(protocol.SUPPORTED_VERSIONS), "server": "lego-edit",
            "server_version": __version__, "heartbeat_s": self.config.daemon.heartbeat_timeout_s,
            "limits": {**self.limits.to_wire(), "max_queued_per_client": self.config.limits.max_queued_per_client},
            "formats": {"image": list(protocol.IMAGE_FORMATS), "mask": list(protocol.MASK_FORMATS),
                        "reply": list(protocol.REPLY_FORMATS)},
            "curve": self.curve, "instance": self.instance})

    def _on_ping(self, client: bytes, state: ClientState, request: Request) -> None:
        self._reply(client, request.id, EventKind.PONG, {"time": time.time(), "instance": self.instance})

    def _on_status(self, client: bytes, state: ClientState, request: Request) -> None:
        self._reply(client, request.id, EventKind.STATUS, self.status())

    def _on_bricks(self, client: bytes, state: ClientState, request: Request) -> None:
        def catalog() -> None:  # availability probes may be slow: off the socket thread
            try:
                fields = {"bricks": self.registry.catalog()}
                kind = EventKind.BRICKS
            except Exception as exc:
                log.exception("catalog failed")
                kind, fields = EventKind.ERROR, error_fields("internal", f"the catalog failed: {exc}")
            header, _ = encode_header_safe(request.id, kind, fields)
            self._outbox.put((None, client, Message([header], str(kind), request.id, control=True)))
            self._wake()

        state.pending_control += 1
        self._control.submit(catalog)

    def _on_cancel(self, client: bytes, state: ClientState, request: Request) -> None:
        target = request.get("target")
        job = state.jobs.get(target)
        if job is None:
            found = AckState.UNKNOWN
        elif self.scheduler.remove(job):
            found = AckState.QUEUED
            job.reason = CancelReason.CLIENT
            del state.jobs[target]
            self._reply(client, target, EventKind.CANCELLED, {"reason": CancelReason.CLIENT}, stream=True,
                        terminal=True)
        else:
            found = AckState.RUNNING
            job.cancel_with(CancelReason.CLIENT)
        self._reply(client, request.id, EventKind.ACK, {"target": target, "state": found})

    def _submit(self, client: bytes, state: ClientState, request: Request) -> None:
        if self._stop_requested.is_set():
            self._reply(client, request.id, EventKind.ERROR, error_fields("busy", "the daemon is shutting down"))
            return
        if state.outbox.waiting_terminals >= self.config.limits.max_queued_per_client:
            self._reply(client, request.id, EventKind.ERROR, error_fields(
                "busy", f"{state.outbox.waiting_terminals} of your finished requests' replies are still waiting "
                        f"for you to read them"))
            return
        if request.id in state.jobs:
            self._reply(client, request.id, EventKind.ERROR, error_fields(
                "bad_request", f"id {request.id!r} is already in use by one of your unfinished requests"))
            return
        for name in ("replan_of", "variation_of"):
            target = request.get(name)
            if target is not None and target not in state.jobs and self.plans.get(client, target) is None:
                # refused before it is accepted: a refused request is never `accepted`
                self._reply(client, request.id, EventKind.ERROR, error_fields(
                    "bad_request", f"{name}: no earlier request {protocol.log_text(target)} of yours is remembered "
                                   "(the daemon keeps each client's last few)"))
                return
        if request.type == "run" and not self._workflow_ok(client, request):
            return
        job = Job(client, request)
        try:
            ahead = self.scheduler.submit(job)
        except QueueFull as exc:
            self._reply(client, request.id, EventKind.ERROR, error_fields("busy", str(exc)))
            return
        state.jobs[request.id] = job
        self._become_session(client, state)
        counts = self.scheduler.counts()
        self._reply(client, request.id, EventKind.ACCEPTED, {"position": ahead, "waiting": job.waits,
                                                     "queued": counts["queued"], "running": counts["running"]},
                    stream=True)

    def _workflow_ok(self, client: bytes, request: Request) -> bool:
        """A `run` workflow is checked against the catalog before it is accepted (a refused request is
        never `accepted`); the worker checks it again against the decoded inputs."""
        from lego_edit.bricks.checker import check
        from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError, parse_workflow

        raw = request.get("workflow")
        try:
            workflow = parse_workflow(raw) if isinstance(raw, str) else Workflow.from_dict(raw)
        except (WorkflowSyntaxError, ValueError, TypeError, KeyError) as exc:
            self._reply(client, request.id, EventKind.ERROR, error_fields(
                "invalid_workflow", f"the workflow cannot be read: {exc}"))
            return False
        inits = ["image", *(["mask"] if "mask" in request.images else [])]
        report = check(workflow, self.registry, inits=inits)
        if not report.ok:
            self._reply(client, request.id, EventKind.ERROR, error_fields(
                "invalid_workflow", str(report), problems=[p.to_dict() for p in report.problems]))
            return False
        return True

    def _become_session(self, client: bytes, state: ClientState) -> None:
        state.session = True
        self.clients_alive.add(client)

    # -- replies --------------------------------------------------------------------------------
    def _new_outbox(self) -> ClientOutbox:
        return ClientOutbox(max_bytes=max(self.config.limits.outbox_mb, 0) << 20)

    def _reply(self, client: bytes, request_id: RequestId | None, kind: str, fields: dict[str, Any],
               buffers: Iterable[Any] = (), *, stream: bool = False, terminal: bool = False) -> None:
        """Queue a reply in the client's outbox: `stream` for a job's events (in order with its
        worker's), otherwise a control reply (sent ahead of job events)."""
        header, ok = encode_header_safe(request_id, kind, fields)
        if not ok:
            log.error("could not encode a %s reply to request %s; sent an internal error instead", kind,
                      protocol.log_text(request_id))
            buffers = ()
        state = self.clients.get(client)
        if state is not None:
            state.outbox.push(Message([header, *buffers], str(kind), request_id, terminal=terminal,
                                      control=not stream))

    def _pump(self) -> bool:
        """Hand every outbox to ZeroMQ as far as its queues take; True if some client's are full."""
        blocked = False
        now = time.monotonic()
        for client, state in list(self.clients.items()):
            if not state.outbox.pending():
                continue
            gone = False

            def send(frames: list[Any], route: bytes = state.route, tag: str = self._tag(client)) -> bool:
                nonlocal gone
                try:
                    self._router().send_multipart([route, *frames], zmq.NOBLOCK, copy=False)
                    return True
                except zmq.Again:
                    return False
                except zmq.ZMQError as exc:
                    if exc.errno == zmq.EHOSTUNREACH:
                        gone = True
                        return False
                    log.warning("could not send to client %s: %s", tag, exc)
                    return True  # that message is lost, not the ones after it

            if state.outbox.pump(send):
                state.unreachable_since = None
                self._drop_if_one_off(client, state)
                continue
            if gone:
                if state.unreachable_since is None:
                    state.unreachable_since = now
                elif now - state.unreachable_since > UNREACHABLE_GRACE_S:
                    self._forget_client(client, state, f"disconnected for {now - state.unreachable_since:.1f} s")
                continue  # retried every loop; not "blocked" (that polls fast, and holds up shutdown)
            blocked = True
        return blocked

    def _drop_if_one_off(self, client: bytes, state: ClientState) -> None:
        if not state.session and not state.jobs and not state.pending_control and not state.outbox.pending():
            self.clients.pop(client, None)
            if self._route_owner.get(state.route) == client:
                del self._route_owner[state.route]

    def _tag(self, client: bytes) -> str:
        """How the log names a client: not its routing id (that would let a reader impersonate it)."""
        import hashlib

        return hashlib.blake2s(client, digest_size=4, key=self.instance.encode()[:32]).hexdigest()

    def _send_from_worker(self, job: Job, kind: str, fields: dict[str, Any], buffers: list[Any],
                          terminal: bool) -> None:
        if job.ended:
            return  # a job ends once (a worker that failed after its terminal reply sends nothing more)
        header, ok = encode_header_safe(job.id, kind, fields)
        if not ok:
            log.error("could not encode the %s reply of request %s; sent an internal error instead", kind,
                      protocol.log_text(job.id))
            buffers, terminal, kind = [], True, EventKind.ERROR
        job.ended = terminal
        if terminal:  # free its place before the client can read the reply and send the next request
            self.scheduler.done(job)
        coalesce = (job.id, fields.get("step")) if kind == EventKind.PROGRESS and \
            fields.get("state") == StepState.RUNNING else None
        self._outbox.put((job, job.client, Message([header, *buffers], str(kind), job.id, terminal=terminal,
                                                   coalesce=coalesce)))
        self._wake()

    def _flush(self) -> None:
        while True:
            try:
                job, client, message = self._outbox.get_nowait()
            except queue.Empty:
                return
            state = self.clients.get(client)
            if state is None:
                continue  # the client vanished
            if job is None:
                state.pending_control = max(0, state.pending_control - 1)
            else:
                job_id = job.id
                if state.jobs.get(job_id) is not job:
                    continue  # the job already ended (cancelled while queued)
                if message.terminal:
                    del state.jobs[job_id]
            state.outbox.push(message)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    # -- heartbeats -----------------------------------------------------------------------------
    def _check_heartbeats(self, now: float) -> None:
        timeout = self.config.daemon.heartbeat_timeout_s
        for client, state in list(self.clients.items()):
            if now - state.last_seen <= timeout:
                continue
            self._forget_client(client, state, f"silent for {now - state.last_seen:.1f} s")

    def _forget_client(self, client: bytes, state: ClientState, why: str) -> None:
        """A client that has gone: its queued jobs dropped, its running one cancelled, nothing more sent."""
        self.scheduler.drop_client(client)
        for job in state.jobs.values():
            job.cancel_with(CancelReason.VANISHED)
        if state.jobs:
            log.info("client %s %s: cancelled %d job(s)", self._tag(client), why, len(state.jobs))
        state.outbox.clear()
        self.clients.pop(client, None)
        self.clients_alive.discard(client)
        if self._route_owner.get(state.route) == client:
            del self._route_owner[state.route]

    # -- shutdown -------------------------------------------------------------------------------
    def _begin_shutdown(self) -> None:
        queued, running = self.scheduler.drain()
        for job in queued:
            job.cancel_with(CancelReason.SHUTDOWN)
            state = self.clients.get(job.client)
            if state is not None and state.jobs.pop(job.id, None) is job:
                self._reply(job.client, job.id, EventKind.CANCELLED, {"reason": CancelReason.SHUTDOWN},
                            stream=True, terminal=True)
        for job in running:
            job.cancel_with(CancelReason.SHUTDOWN)
        log.info("shutting down: %d queued and %d running job(s) cancelled", len(queued), len(running))

    def _finish_shutdown(self) -> None:
        self._flush()
        for client, state in self.clients.items():  # bricks that ignored the cancel: tell their clients anyway
            for job in list(state.jobs.values()):
                self._reply(client, job.id, EventKind.CANCELLED, {"reason": CancelReason.SHUTDOWN},
                            stream=True, terminal=True)
            state.jobs.clear()
        end = time.monotonic() + 1.0
        while self._pump() and time.monotonic() < end:  # what ZeroMQ's queues could not take yet
            time.sleep(0.005)
        self.scheduler.close()
        self._control.shutdown(wait=False, cancel_futures=True)
        if self._sock is not None:
            self._sock.close(linger=1000)
            self._sock = None
        if self._auth is not None:
            self._auth.stop()
        self._wake_r.close()
        self._wake_w.close()
        if hasattr(self.executor, "close"):
            self.executor.close()
        if self._own_context:
            self.ctx.term()
        self._remove_pid_file()
        log.info("stopped")

    # -- workers --------------------------------------------------------------------------------
    def _start_worker(self, n: int) -> threading.Thread:
        t = threading.Thread(target=self._work, name=f"daemon-worker-{n}", daemon=True)
        t.start()
        return t

    def _work(self) -> None:
        """One worker: never ends because of a request. Whatever escapes the runner is logged, the job
        gets an `internal` error, and the loop goes on; only something that is not an Exception
        (SystemExit, a bug in this loop) ends the thread, and then `_supervise` starts another."""
        name = threading.current_thread().name
        try:
            while True:
                job = self.scheduler.next(timeout=None)
                if job is None:
                    return
                job.started = time.monotonic()
                try:
                    self.runner(job)
                except Exception:
                    log.exception("%s: request %s (%s) failed outside the runner's handlers", name,
                                  protocol.log_text(job.id), job.kind)
                    self._end_internal(job)
                except BaseException:
                    self._end_internal(job)
                    raise
                finally:
                    if not job.ended:  # the runner returned without a terminal reply: a bug, but end the job
                        log.error("%s: request %s (%s) ended without a reply", name, protocol.log_text(job.id),
                                  job.kind)
                        self._end_internal(job)
                    self.scheduler.done(job)
        except BaseException:
            log.critical("%s died (the supervisor starts a replacement)", name, exc_info=True)
            raise

    def _end_internal(self, job: Job) -> None:
        try:
            self._send_from_worker(job, EventKind.ERROR, error_fields(
                "internal", "the daemon failed on this request; details are in its log"), [], True)
        except Exception:
            log.exception("could not end request %s", protocol.log_text(job.id))

    def _supervise(self, now: float) -> None:
        """Replace dead workers; log (once) a job running far longer than any should."""
        if not self._stop_requested.is_set():
            for n, t in enumerate(self._workers):
                if not t.is_alive():
                    self.workers_replaced += 1
                    log.error("worker %s is dead; started a replacement (%d so far)", t.name, self.workers_replaced)
                    self._workers[n] = self._start_worker(n)
        limit = self.config.daemon.job_watchdog_s
        if limit > 0:
            for job in self.scheduler.running():
                if job.started and not job.stuck_reported and now - job.started > limit:
                    job.stuck_reported = True
                    log.warning("request %s (%s) has been running for %.0f s (daemon.job_watchdog_s = %g): "
                                "a brick may be stuck", protocol.log_text(job.id), job.kind, now - job.started, limit)

    def stuck_jobs(self) -> int:
        limit = self.config.daemon.job_watchdog_s
        now = time.monotonic()
        return sum(1 for job in self.scheduler.running() if limit > 0 and job.started and now - job.started > limit)

    def status(self) -> dict[str, Any]:
        counts = self.scheduler.counts()
        cache = getattr(self.executor, "cache", None)
        return {
            "state": DaemonState.BUSY if counts["running"] or counts["queued"] else DaemonState.IDLE,
            "jobs": counts, "clients": sum(1 for s in self.clients.values() if s.session), "pid": os.getpid(), "endpoint": self.endpoint,
            "server_version": __version__, "instance": self.instance, "uptime_s": round(time.time() - self.started, 3),
            "builder": getattr(getattr(self.builder, "config", None), "backend", None),
            "device": getattr(self.executor, "device", None), "curve": self.curve,
            "workers": {"configured": self.config.daemon.workers,
                        "alive": sum(1 for t in self._workers if t.is_alive()), "replaced": self.workers_replaced},
            "stuck_jobs": self.stuck_jobs(),
            "cache": {"entries": len(cache), "bytes": cache.nbytes, "hits": cache.hits, "misses": cache.misses}
            if cache is not None else None,
        }


def _answers(ctx: zmq.Context, endpoint: str, timeout_ms: int = 300) -> bool:
    """Whether something answers a protocol ping at `endpoint` (ipc endpoints give no EADDRINUSE)."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(encode_header("probe", "ping"))
        return bool(sock.poll(timeout_ms))
    finally:
        sock.close(0)
