"""The edit code path shared by the docker and users' scripts.

    from lego_edit.api import edit
    nodes = edit(Krita.instance().activeDocument(), "remove the red ball")
    nodes.group                      # the new group layer "Lego Edit: remove the red ball"
    edit(doc, None, feedback="keep the shadow", replan_of=nodes.request_id)   # re-plan it

`EditJob` is one edit: it reads the source pixels (and the selection as the mask) when it starts,
follows the daemon's replies (`handle(event)`), and when the result arrives adds a group above the
source with the result layer(s) and the masks as hidden layers. The source is only ever read.
The docker drives a job from a QTimer; `edit()` drives one in a loop and returns its nodes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import pixels

try:
    from .lego_edit_client import (
        GROUP_PREFIX,
        HOST_ERROR,
        Client,
        EditSession,
        ImageData,
        LegoError,
        configured_endpoint,
        curve_keys,
        error_sentence,
        read_config,
        resolve_endpoint,
    )
except ImportError as _exc:  # a plain checkout (the installer vendors plugins/client here), or no pyzmq
    Client = EditSession = ImageData = LegoError = curve_keys = read_config = None  # type: ignore[assignment,misc]
    error_sentence = None  # type: ignore[assignment]
    HOST_ERROR, GROUP_PREFIX = "host_error", "Lego Edit: "
    _CLIENT_IMPORT_ERROR: Exception | None = _exc

    def configured_endpoint(environ=None, platform=None, config=None) -> str:  # type: ignore[misc]
        return (os.environ if environ is None else environ).get("LEGO_EDIT_ENDPOINT") or "tcp://127.0.0.1:5588"

    def resolve_endpoint(argument, environ=None, platform=None, config=None) -> str:  # type: ignore[misc]
        return (argument or "").strip() or configured_endpoint(environ)
else:
    _CLIENT_IMPORT_ERROR = None

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"


class LegoEditError(Exception):
    """An edit that did not produce layers; str(exc) is a sentence for the user.

    `code` is the daemon's error code (bad_request, plan_refused, brick_failed, ...) or a local one:
    "no_client", "bad_keys", "not_running", "disconnected", "timeout", "cancelled", "unsupported", "no_layer",
    "host_error". Errors of the daemon's and the connection's read as the client's EditSession words them.
    """

    def __init__(self, code: str, message: str, *, step: int | None = None, brick: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.step, self.brick = code, message, step, brick


class EditResult(list):
    """The nodes an edit created (group first, then its children, top to bottom) plus what the daemon said."""

    group: Any = None
    request_id: Any = None
    plan: dict | None = None
    values: dict | None = None
    job: EditJob | None = None


def require_client() -> None:
    if Client is None:
        if "zmq" in str(_CLIENT_IMPORT_ERROR):
            raise LegoEditError("no_client", "Krita's Python cannot import pyzmq: run `lego-edit install --krita` "
                                             "(it vendors pyzmq where the host lacks it) or install your system's "
                                             f"python3-zmq ({_CLIENT_IMPORT_ERROR})")
        raise LegoEditError("no_client", "the Lego Edit client module is missing from the plugin folder: "
                                         f"reinstall with `lego-edit install --krita` ({_CLIENT_IMPORT_ERROR})")


def make_client(endpoint: str | None = None, **kwargs: Any):
    """A client for `endpoint`, else $LEGO_EDIT_ENDPOINT, the daemon's config.toml, the default.

    When the daemon there requires CURVE (off loopback, or `curve = "always"` in config.toml), the
    keys `lego-edit keys` wrote beside config.toml are used, unless `curve=` is given.
    """
    require_client()
    config = read_config()
    endpoint = resolve_endpoint(endpoint, config=config)
    if "curve" not in kwargs:
        try:
            kwargs["curve"] = curve_keys(endpoint, config=config)
        except ValueError as exc:
            raise LegoEditError("bad_keys", str(exc)) from None
    return Client(endpoint, **kwargs)


class EditJob:
    """One edit on one document. Create it, `start(client)`, feed it every event of its request id.

    What to show (status, fraction, the error sentence, the names) is the client's EditSession; this
    class adds the Krita side: reading the source, keeping the intermediate pixels, building the group.
    """

    def __init__(self, doc, instruction: str | None, *, visible_image: bool = False, use_selection: bool = True,
                 show_masks: bool = True, backend: str | None = None, feedback: Iterable[str] | str = (),
                 replan: EditJob | None = None, replan_of: Any = None, node=None,
                 on_update: Callable[[EditJob], None] | None = None) -> None:
        require_client()
        if isinstance(feedback, str):
            feedback = [feedback]
        if replan is None and isinstance(replan_of, EditResult) and replan_of.job is not None:
            replan = replan_of.job
        elif isinstance(replan_of, EditResult):
            replan_of = replan_of.request_id
        self.doc = doc
        self.instruction = instruction.strip() if isinstance(instruction, str) else None
        self.visible_image, self.use_selection, self.show_masks = visible_image, use_selection, show_masks
        self.backend = backend or None
        self.feedback = [f.strip() for f in feedback if f and f.strip()]
        self.replan = replan
        self.replan_of = replan.request_id if replan is not None else replan_of
        self.node = node
        self.on_update = on_update
        self.request_id: Any = None
        self.intermediates: list[tuple[Any, bytes]] = []  # (client Layer, BGRA8 bytes)
        self.created = EditResult()
        self.source: pixels.Source | None = None
        self.started_at = time.monotonic()
        self._error: LegoEditError | None = None
        # all the feedback the daemon now plans with (it adds a re-plan's feedback to the earlier one's)
        self.all_feedback = (list(replan.all_feedback) if replan is not None else []) + self.feedback
        if self.instruction is None and self.replan is not None:
            self.instruction = self.replan.instruction
        if not self.instruction and self.replan_of is None:
            raise LegoEditError("bad_request", "write an instruction first")
        self.session = EditSession(self.instruction, feedback=self.all_feedback)

    # -- what the UI shows: the session's --------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.session.done

    @property
    def state(self) -> str:
        phase = self.session.phase
        return phase.value if phase.finished else RUNNING

    @property
    def status(self) -> str:
        return self.session.status

    @property
    def fraction(self) -> float:
        return self.session.fraction

    @property
    def plan(self) -> dict | None:
        return self.session.plan_header

    @property
    def steps(self) -> int:
        return self.session.steps

    @property
    def values(self) -> dict:
        return self.session.values

    @property
    def error(self) -> LegoEditError | None:
        failure = self.session.failure
        if failure is not None and self._error is None:
            self._error = LegoEditError(failure.code, failure.sentence, step=failure.step, brick=failure.brick)
        return self._error

    # -- sending ----------------------------------------------------------------------------------
    def start(self, client) -> Any:
        """Read the pixels (main thread) and send the request; returns the request id."""
        require_client()
        self.session.endpoint, self.session.connected = client.endpoint, client.connected
        fields: dict[str, Any] = {"reply_format": "BGRA8", "layers": bool(self.show_masks)}
        if self.replan is not None and self.replan.source is not None:
            # the daemon kept the image and mask of the edit being re-planned: send nothing again
            self.source = self.replan.source
            image = mask = None
        elif self.replan_of is not None:
            self.source = _source_without_pixels(self.doc, None if self.visible_image else self.node)
            image = mask = None
        else:
            try:
                self.source = pixels.read_source(self.doc, visible_image=self.visible_image,
                                                 use_selection=self.use_selection, node=self.node)
            except pixels.UnsupportedColorSpace as exc:
                raise LegoEditError("unsupported", str(exc)) from None
            except LookupError as exc:
                raise LegoEditError("no_layer", str(exc)) from None
            src = self.source
            image = ImageData.bgra(src.bgra, src.width, src.height)
            mask = ImageData.gray(src.mask, src.width, src.height) if src.mask is not None else None
        try:
            self.request_id = client.send_edit(self.instruction if self.replan_of is None else None, image, mask,
                                               feedback=self.feedback, replan_of=self.replan_of,
                                               reply_format=fields["reply_format"], backend=self.backend,
                                               layers=fields["layers"])
        except LegoError as exc:
            raise LegoEditError(exc.code, error_sentence(exc.code, exc.message, instruction=self.instruction,
                                                         endpoint=client.endpoint,
                                                         connected=client.connected)) from None
        if self.source is not None and self.source.bgra:
            # sent (zmq holds its own reference until it is out); the daemon keeps the inputs for re-plans
            self.source.bgra, self.source.mask = b"", None
        self.created.request_id = self.request_id
        self.created.job = self
        self.session.sent(self.request_id)
        self._changed()
        return self.request_id

    # -- receiving --------------------------------------------------------------------------------
    def handle(self, event) -> None:
        """One event of this job's request (the caller routes by `event.id`)."""
        if self.done:
            return
        if event.type == "layer" and self.show_masks:
            for layer in event.layers:
                self.intermediates.append((layer, self._bgra(layer)))
        elif event.type == "plan":
            self.created.plan = event.header
        elif event.type == "result":
            try:  # the layers first: the edit is done once they are in the document
                self._build(event.layers)
            except Exception as exc:  # a Krita call refused: say so in the docker, never a traceback
                self.fail_locally(HOST_ERROR, f"adding the layers failed: {type(exc).__name__}: {exc}")
                return
            self.created.values = event.get("values") or {}
        if self.session.feed(event) or self.done:
            self._changed()

    def fail_locally(self, code: str, message: str) -> None:
        if not self.done:
            self.session.fail(code, message)
            self._changed()

    def _changed(self) -> None:
        if self.done:
            self.intermediates = []  # frames and pixels no longer needed: the layers hold them now
        if self.on_update is not None:
            self.on_update(self)

    def _bgra(self, layer) -> bytes:
        return pixels.wire_to_bgra8(layer.tobytes(), layer.format, layer.width * layer.height)

    # -- results ----------------------------------------------------------------------------------
    def _build(self, result_layers: list) -> None:
        src = self.source
        doc = self.doc
        if src is None:
            raise RuntimeError("no source")
        results = [(layer, self._bgra(layer)) for layer in result_layers]
        for layer, _ in results + self.intermediates:
            if (layer.width, layer.height) != (src.width, src.height):
                raise ValueError(f"{layer.name} is {layer.width}x{layer.height}, the source {src.width}x{src.height}")
        images = [r for r in results if r[0].kind != "mask"]
        main = images[-1][0] if images else None

        group = doc.createGroupLayer(self.session.group_name)
        parent, above = _placement(doc, src.node)
        parent.addChildNode(group, above)
        group.setVisible(True)
        # bottom to top: intermediates (hidden), result masks (hidden), result images (only the last visible)
        ordered = [(layer, data, False) for layer, data in self.intermediates]
        ordered += [(layer, data, main is None and layer is results[-1][0])
                    for layer, data in results if layer.kind == "mask"]
        ordered += [(layer, data, layer is main) for layer, data in images]
        children = []
        previous = None
        for layer, data, visible in ordered:
            node = pixels.write_layer(doc, group, self.session.layer_name(layer).stacked, data, src.x, src.y,
                                      src.width, src.height, visible=visible, above=previous)
            previous = node
            children.append(node)
        doc.refreshProjection()  # the source itself is never touched: no pixel, visibility or opacity change
        self.created[:] = [group] + list(reversed(children))
        self.created.group = group


def _placement(doc, node):
    """(parent, above): the group goes above the source layer and above the Lego Edit groups already
    stacked on it (the newest result shows), or on top of the image for the visible-image source."""
    root = doc.rootNode()
    if node is not None:
        parent = node.parentNode()
        kids = list(parent.childNodes()) if parent is not None else []  # bottom to top
        index = next((i for i, child in enumerate(kids) if child == node), None)
        if index is not None:
            while index + 1 < len(kids) and kids[index + 1].type() == "grouplayer" \
                    and kids[index + 1].name().startswith(GROUP_PREFIX):
                index += 1
            return parent, kids[index]
    kids = root.childNodes()
    return root, kids[-1] if kids else None


def _source_without_pixels(doc, node) -> pixels.Source:
    """Where a re-plan given only a request id puts its layers: above the layer it would have read."""
    node = node or pixels.source_node(doc)
    return pixels.Source(node=node, x=0, y=0, width=doc.width(), height=doc.height(), bgra=b"", mask=None,
                         label=node.name() if node is not None else "image")


# -- the blocking scripting API ---------------------------------------------------------------------

_clients: dict[str, Any] = {}


def client_for(endpoint: str | None = None):
    """One client per endpoint for scripts, so `replan_of` reaches the daemon from the same identity."""
    endpoint = resolve_endpoint(endpoint)
    client = _clients.get(endpoint)
    if client is None:
        client = _clients[endpoint] = make_client(endpoint)
    return client


def wait_connected(client, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not client.connected and time.monotonic() < deadline:
        client.poll(0.05)  # only the hello reply can come before any request is sent
    if not client.connected:
        raise LegoEditError("not_running", error_sentence("not_running", endpoint=client.endpoint))


def run_job(job: EditJob, client, timeout: float | None = 120.0, *, pump_qt: bool = True) -> EditResult:
    """Start `job` and drive it to its end, blocking; raises LegoEditError unless layers were made."""
    job.start(client)
    return drive(job, client, timeout, pump_qt=pump_qt)


def drive(job: EditJob, client, timeout: float | None = 120.0, *, pump_qt: bool = True) -> EditResult:
    """Poll until the started `job` ends (Qt events keep flowing meanwhile); cancel it at the timeout."""
    from .qt_compat import process_events

    deadline = None if timeout is None else time.monotonic() + timeout
    while not job.done:
        if deadline is not None and time.monotonic() > deadline:
            client.cancel(job.request_id)
            job.fail_locally("timeout", f"no result within {timeout} s; the job was cancelled")
            break
        for event in client.poll(0.05):
            if event.id == job.request_id:
                job.handle(event)
        if pump_qt:
            process_events()
    if job.error is not None:
        raise job.error
    return job.created


def edit(doc, instruction: str | None, *, endpoint: str | None = None, use_selection: bool = True,
         timeout: float | None = 120, source: str = "layer", node=None, show_masks: bool = True,
         backend: str | None = None, feedback: Iterable[str] | str = (), replan_of: Any = None,
         connect_timeout: float = 5.0) -> EditResult:
    """Edit `doc` with `instruction`, blocking until the daemon answers; returns the created nodes.

    The source is `node`, else the document's active layer, else (no active node, as under
    kritarunner) the topmost visible paint layer; `source="visible"` edits the visible image instead.
    The selection is the mask when `use_selection`. Results land in a new group above the source:
    the result paint layer(s) and the masks (hidden, named by step and brick). With `replan_of` (an
    earlier result's `request_id`) and `feedback`, the daemon re-plans that edit on the same pixels.
    Raises LegoEditError with a readable message when the daemon refuses or fails.
    """
    if doc is None:
        raise LegoEditError("no_layer", "no document: open an image first")
    if source not in ("layer", "visible"):
        raise ValueError("source is 'layer' or 'visible'")
    client = client_for(endpoint)
    wait_connected(client, connect_timeout)
    job = EditJob(doc, instruction, visible_image=source == "visible", use_selection=use_selection,
                  show_masks=show_masks, backend=backend, feedback=feedback, replan_of=replan_of, node=node)
    return run_job(job, client, timeout)
