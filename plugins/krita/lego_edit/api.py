"""The edit code path shared by the docker and users' scripts.

    from lego_edit.api import edit
    nodes = edit(Krita.instance().activeDocument(), "remove the red ball")
    nodes.group                      # the new group layer "Lego Edit: remove the red ball"
    edit(doc, None, feedback="keep the shadow", replan_of=nodes.request_id)   # re-plan it

`EditJob` is one edit: it reads the source pixels (and the selection as the mask), follows the
daemon's replies (`handle(event)`), and when the result arrives builds a group with the result
layer(s) and the masks as hidden layers. The source is only ever read.

One undo step: the group and its layers are a copy of an empty group assembled in a hidden scratch
document (one per colour space, kept for the session); the pixels are written into that detached
copy with `setPixelData` (which records nothing and recomposes nothing), and the filled group goes
into the edited document with a single `addChildNode`, so Krita records one "Add Layer" command,
recomposes the image once, and one Ctrl+Z takes the whole edit back (adding each layer to a group
already in the document, or even to a detached group, records one command per layer). Renaming and
unlocking record nothing, which is how a preview becomes the applied result; Discard undoes the add
(undo.py).

Reading and writing go strip by strip (`work(budget_s)`), so the docker spreads a large canvas
over timer ticks; `edit()` runs the same steps straight through and returns the nodes.
"""

from __future__ import annotations

import os
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import pixels, undo

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
        edit_history,
        error_sentence,
        plain_words,
        read_config,
        resolve_endpoint,
    )
    from .lego_edit_client.workspace import Placement
except ImportError as _exc:  # a plain checkout (the installer vendors plugins/client here), or no pyzmq
    Client = EditSession = ImageData = LegoError = curve_keys = read_config = None  # type: ignore[assignment,misc]
    error_sentence = edit_history = plain_words = Placement = None  # type: ignore[assignment]
    HOST_ERROR, GROUP_PREFIX = "host_error", "Lego Edit: "
    _CLIENT_IMPORT_ERROR: Exception | None = _exc

    def configured_endpoint(environ=None, platform=None, config=None) -> str:  # type: ignore[misc]
        return (os.environ if environ is None else environ).get("LEGO_EDIT_ENDPOINT") or "tcp://127.0.0.1:5588"

    def resolve_endpoint(argument, environ=None, platform=None, config=None) -> str:  # type: ignore[misc]
        return (argument or "").strip() or configured_endpoint(environ)
else:
    _CLIENT_IMPORT_ERROR = None

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
PREVIEW_PREFIX = "Lego Edit preview: "
CLOSED = "closed"  # a local code: the document was closed before the edit ended


class LegoEditError(Exception):
    """An edit that did not produce layers; str(exc) is a sentence for the user.

    `code` is the daemon's error code (bad_request, plan_refused, brick_failed, ...) or a local one:
    "no_client", "bad_keys", "not_running", "disconnected", "timeout", "cancelled", "unsupported", "no_layer",
    "host_error", "closed". Errors of the daemon's and the connection's read as the client's EditSession words them.
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


def document_is_open(doc) -> bool:
    """Whether `doc` is still one of Krita's open documents (a closed one must not be touched)."""
    if doc is None:
        return False
    try:
        from krita import Krita

        return any(open_doc == doc for open_doc in Krita.instance().documents())
    except Exception:
        return False


class EditJob:
    """One edit on one document. Create it, `start(client)`, feed it every event of its request id,
    and call `work()` until `busy` is False (the docker: from its timer, a few milliseconds a tick).

    What to show (status, fraction, the error sentence, the names) is the client's EditSession; this
    class adds the Krita side: reading the source, keeping the intermediate layers, building the group.
    With `preview=True` the group is added as a locked preview; `apply()` makes it the result, `discard()`
    removes it.
    """

    def __init__(self, doc, instruction: str | None, *, visible_image: bool = False, use_selection: bool = True,
                 show_masks: bool = True, backend: str | None = None, feedback: Iterable[str] | str = (),
                 replan: EditJob | None = None, replan_of: Any = None, node=None, placement: str = "above",
                 preview: bool = False, on_update: Callable[[EditJob], None] | None = None,
                 variation: EditJob | None = None) -> None:
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
        self.variation = variation  # this job runs that one's plan again with a new seed (nothing re-planned)
        self.node = node
        self.placement = Placement(placement) if Placement is not None else placement
        self.preview = preview
        self.on_update = on_update
        self.request_id: Any = None
        self.intermediates: list[Any] = []  # client Layers (views on the received frames)
        self.created = EditResult()
        self.source: pixels.Source | None = None
        self.sent_mask = False
        self.started_at = time.monotonic()
        self.finished_at: float | None = None
        self.digest: int | None = None  # crc32 of the visible result's pixels (tells a variation from a repeat)
        self.thumbnail = b""  # a small PNG of the result, for the history
        self.applied = False
        self.active_before: Any = None  # the layer active when the edit started (the docker restores it)
        self.variation_of: int | None = None  # the digest of the preview this edit is a variation of
        self.timings: dict[str, float] = {}  # seconds of the longest Krita calls while adding the result
        self.step_kind = "reading"  # what `work()` is doing: reading, writing, adding the group
        self.discarded_by_undo = False  # Discard took the preview back with Krita's Undo (else: removed it)
        self.undo_mark: Any = None  # the undo stack just before the group was added (Discard undoes that add)
        self._error: LegoEditError | None = None
        self._task: Iterator[None] | None = None
        self._after: Callable[[Any], None] | None = None
        self._result_event: Any = None
        # all the feedback the daemon now plans with (it adds a re-plan's feedback to the earlier one's)
        self.all_feedback = (list(replan.all_feedback) if replan is not None else []) + self.feedback
        if self.instruction is None and self.replan is not None:
            self.instruction = self.replan.instruction
        if variation is not None:
            self.instruction, self.feedback = variation.instruction, []
            self.all_feedback = list(variation.all_feedback)
            self.session = EditSession.next_variation(variation.session)
            return
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
        """The status in plain words ("Finding red ball (1/3)\u2026"); the brick names are in `details`."""
        if self._task is not None and self.request_id is None:
            return "Reading the image\u2026"
        if self._result_event is not None and not self.done:
            return "Adding the result\u2026"
        failure = self.session.failure
        if failure is not None and error_sentence is not None and failure.code != "cancelled":
            # the sentence without the step and brick (they are in `details`)
            message = re.sub(r"^step \d+ \([A-Z0-9-]+\) failed: ", "", failure.message)
            return error_sentence(failure.code, message, instruction=self.instruction,
                                  endpoint=self.session.endpoint, connected=self.session.connected)
        if plain_words is not None:
            return plain_words.status_line(self.session, self.session.progress_header)
        return self.session.status

    @property
    def details(self) -> str:
        """The plan with its bricks and the daemon's own words: for a details view or a tooltip."""
        lines = [self.session.plan.text] if self.session.plan is not None else []
        if self.session.seed_text:
            lines.append(self.session.seed_text)
        if self.session.failure is not None and self.session.failure.message:
            lines.append(f"{self.session.failure.code}: {self.session.failure.message}")
        return "\n".join(lines)

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
    def busy(self) -> bool:
        """Work is left for `work()`: reading the source, or writing the result."""
        return self._task is not None

    @property
    def error(self) -> LegoEditError | None:
        failure = self.session.failure
        if failure is not None and self._error is None:
            self._error = LegoEditError(failure.code, failure.sentence, step=failure.step, brick=failure.brick)
        return self._error

    @property
    def group(self):
        return self.created.group

    # -- incremental work -------------------------------------------------------------------------
    def work(self, budget_s: float | None = None) -> bool:
        """Do the pending reading or writing for up to `budget_s` seconds (None: all of it); True if more is left."""
        deadline = None if budget_s is None else time.monotonic() + budget_s
        while self._task is not None:
            kind = self.step_kind
            clock = time.perf_counter()
            try:
                next(self._task)
            except StopIteration as finished:
                after, self._task, self._after = self._after, None, None
                if after is not None:
                    after(finished.value)
                break
            except Exception as exc:  # a Krita call refused (or the document went away): one sentence, no traceback
                self._task = self._after = None
                self._failed_on_host(exc)
                break
            finally:
                spent = time.perf_counter() - clock
                if spent > self.timings.get(f"longest {kind} step", 0.0):
                    self.timings[f"longest {kind} step"] = spent
            if deadline is not None and time.monotonic() >= deadline:
                break
        return self._task is not None

    def _failed_on_host(self, exc: Exception) -> None:
        if not document_is_open(self.doc):
            self.fail_locally(CLOSED, "the document was closed")
        elif isinstance(exc, pixels.UnsupportedColorSpace):
            self.fail_locally("unsupported", str(exc))
        else:
            self.fail_locally(HOST_ERROR, f"adding the layers failed: {type(exc).__name__}: {exc}")

    def read_later(self) -> None:
        """Read the source over the next `work()` calls (the docker); `start()` then sends it at once."""
        if self.source is None and self.replan_of is None and self._task is None:
            self.step_kind = "reading"
            try:
                self._task = pixels.read_source_in_strips(self.doc, visible_image=self.visible_image,
                                                          use_selection=self.use_selection, node=self.node,
                                                          timings=self.timings)
            except pixels.UnsupportedColorSpace as exc:
                raise LegoEditError("unsupported", str(exc)) from None
            except LookupError as exc:
                raise LegoEditError("no_layer", str(exc)) from None
            self._after = self._read

    def _read(self, source: pixels.Source) -> None:
        self.source = source

    @property
    def ready(self) -> bool:
        """The pixels are read (or none are needed): `start()` sends without blocking."""
        return self._task is None and (self.source is not None or self.replan_of is not None)

    # -- sending ----------------------------------------------------------------------------------
    def start(self, client) -> Any:
        """Send the request (reading the pixels first when `read_later` has not); returns the request id."""
        require_client()
        self.session.endpoint, self.session.connected = client.endpoint, client.connected
        if self.variation is not None:  # the daemon kept the image: only the plan's seeded steps run again
            self.source = self.variation.source
            image = mask = None
        elif self.replan is not None and self.replan.source is not None:
            # the daemon kept the image and mask of the edit being re-planned: send nothing again
            self.source = self.replan.source
            image = mask = None
        elif self.replan_of is not None:
            self.source = _source_without_pixels(self.doc, None if self.visible_image else self.node)
            image = mask = None
        else:
            if self.source is None:
                self.read_later()
                self.work(None)
                if self.done:  # the reading failed: its sentence is the job's
                    raise self.error or LegoEditError(HOST_ERROR, "the image could not be read")
            src = self.source
            image = ImageData.bgra(src.bgra, src.width, src.height)
            mask = ImageData.gray(src.mask, src.width, src.height) if src.mask is not None else None
            self.sent_mask = mask is not None
        try:
            if self.variation is not None:
                self.request_id = client.send_variation(self.variation.request_id, reply_format="BGRA8",
                                                        layers=bool(self.show_masks))
            else:
                self.request_id = client.send_edit(self.instruction if self.replan_of is None else None, image,
                                                   mask, feedback=self.feedback, replan_of=self.replan_of,
                                                   reply_format="BGRA8", backend=self.backend,
                                                   layers=bool(self.show_masks))
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
        if self.done or self._result_event is not None:
            return
        if event.type == "layer" and self.show_masks:
            self.intermediates.extend(event.layers)
        elif event.type == "plan":
            self.created.plan = event.header
        elif event.type == "result":
            # the layers first: the edit is done once they are in the document
            self._result_event = event
            self.step_kind = "adding the group"
            self._task = self._build(event.layers)
            self._after = self._built
            self._changed()
            return
        if self.session.feed(event) or self.done:
            self._changed()

    def _built(self, _value: Any) -> None:
        event, self._result_event = self._result_event, None
        self.created.values = event.get("values") or {}
        self.session.feed(event)
        self.finished_at = time.monotonic()
        self._changed()

    def fail_locally(self, code: str, message: str) -> None:
        if not self.done:
            self._task = self._after = None
            self._result_event = None
            self.session.fail(code, message)
            self._changed()

    def _changed(self) -> None:
        if self.done:
            self.intermediates = []  # frames no longer needed: the layers hold the pixels now
        if self.on_update is not None:
            self.on_update(self)

    # -- results ----------------------------------------------------------------------------------
    def _names(self, results: list) -> list[tuple[Any, str, bool]]:
        """(layer, name, visible), bottom to top: intermediates, result masks, result images (the last visible)."""
        images = [layer for layer in results if layer.kind != "mask"]
        main = images[-1] if images else None
        plan = self.session.plan
        taken: list[str] = []

        def name(layer, result_index: int | None = None) -> str:
            if layer.kind == "mask":
                label = plain_words.mask_label(plan, layer.step, taken)
            elif result_index is not None:
                label = plain_words.result_label(result_index, len(images))
            elif layer.step is not None:  # "after step 1 (finding red ball)"
                doing = plain_words.doing(self.session.layer_name(layer).brick).lower()
                subject = plain_words.step_subject(plan, layer.step) if doing == "finding" else None
                label = f"after step {layer.step} ({doing}{' ' + subject if subject else ''})"
            else:
                label = "image"
            taken.append(label)
            return label

        ordered = [(layer, name(layer), False) for layer in self.intermediates]
        ordered += [(layer, name(layer), main is None and layer is results[-1]) for layer in results
                    if layer.kind == "mask"]
        ordered += [(layer, name(layer, i), layer is main) for i, layer in enumerate(images)]
        return ordered

    def _build(self, result_layers: list) -> Iterator[None]:
        """Write the pixels into a detached copy of an empty group strip by strip, then add it in one step.

        The group is a copy of an empty template assembled in the scratch document, so it is outside
        every image while it fills: `setPixelData` there costs only the copy of the bytes, and nothing
        is recomposed yet. One `addChildNode` then puts it in the document: one command on the undo
        stack, and Krita's own recomposition for that add (which libkis waits for) is the only one, so
        the canvas shows the result without a second, whole-image `refreshProjection`."""
        src, doc = self.source, self.doc
        if src is None:
            raise RuntimeError("no source")
        for layer in list(result_layers) + self.intermediates:
            if (layer.width, layer.height) != (src.width, src.height):
                raise ValueError(f"{layer.name} is {layer.width}x{layer.height}, the source {src.width}x{src.height}")
            if layer.format not in ("BGRA8", "RGBA8", "GRAY8"):
                raise ValueError(f"the daemon answered in format {layer.format!r}; the plugin asks for BGRA8")
        ordered = self._names(list(result_layers))
        width, height = src.width, src.height
        name = (PREVIEW_PREFIX + self.session.group_name[len(GROUP_PREFIX):]) if self.preview \
            else self.session.group_name
        self.step_kind = "writing"
        clock = time.perf_counter()
        copy = scratch_template(doc, len(ordered)).duplicate()
        self.timings["copying the empty group"] = time.perf_counter() - clock
        copy.setName(name)
        # pass-through: the image composites the group's layers itself when the add dirties the group; a
        # normal group of two or more layers would show its own projection, which Krita computes only in
        # a whole-graph refresh (a blocking `refreshProjection`). The look is the same: the group is at
        # 100 % opacity and its one visible layer is in Normal mode.
        copy.setPassThroughMode(True)
        # folded in the Layers docker: it draws a thumbnail of every row it shows, on the UI thread, which for
        # a group of canvas-sized layers is a freeze of its own; the group's row is enough until it is unfolded
        copy.setCollapsed(True)
        nodes = list(copy.childNodes())  # bottom to top, as `ordered`
        for node, (_layer, label, visible) in zip(nodes, ordered, strict=True):
            node.setName(label)
            node.setVisible(visible)
        yield
        bands = pixels.strips(width, height, 8 if doc.colorDepth() == "U16" else 4)
        for node, (layer, _label, visible) in zip(nodes, ordered, strict=True):
            data = layer.data
            digest = 0
            for y, rows in bands:
                if not document_is_open(doc):
                    raise LookupError("the document was closed")
                pixels.write_strip(node, data, layer.format, width, y, rows)
                if visible:
                    digest = zlib.crc32(data[4 * width * y:4 * width * (y + rows)], digest)
                yield
            if visible:
                self.digest = digest
                clock = time.perf_counter()
                self.thumbnail = _thumbnail(data, layer.format, width, height)
                self.timings["thumbnail"] = time.perf_counter() - clock
                yield
        if not self.preview:
            copy.setLocked(False)
        if not document_is_open(doc):
            raise LookupError("the document was closed")
        self.step_kind = "adding the group"
        yield
        parent, above = place(doc, src.node, self.placement)
        before = {n.uniqueId() for n in parent.childNodes()}
        self.undo_mark = undo.current(doc)
        clock = time.perf_counter()
        parent.addChildNode(copy, above)  # the one command on the undo stack, and the one recomposition
        self.timings["add"] = time.perf_counter() - clock
        added = next((n for n in parent.childNodes() if n.uniqueId() not in before), None)
        if added is None:
            raise RuntimeError("Krita did not add the result group")
        children = list(added.childNodes())
        if len(children) != len(ordered):
            raise RuntimeError("Krita added a different number of layers")
        self.created[:] = [added] + list(reversed(children))
        self.created.group = added

    # -- preview ------------------------------------------------------------------------------------
    @property
    def previewing(self) -> bool:
        return self.preview and not self.applied and self.created.group is not None and self.done \
            and self.state == DONE

    def group_present(self) -> bool:
        """Whether the result group is still in the document (an undo or the user may have removed it)."""
        group = self.created.group
        if group is None or not document_is_open(self.doc):
            return False
        try:
            wanted = group.uniqueId()
            return _find(self.doc.rootNode(), wanted) is not None
        except Exception:
            return False

    def apply(self) -> bool:
        """The preview becomes the result: renamed and unlocked (neither is an undo step; the add was the one)."""
        if not self.previewing or not self.group_present():
            return False
        group = self.created.group
        group.setName(self.session.group_name)
        group.setLocked(False)
        self.applied = True
        return True

    def discard(self) -> bool:
        """Take the preview away; the document, and its undo stack, are as they were before the edit.

        While the preview's add is the newest command, Krita's Undo takes it back (no command of its
        own, and no wait). After anything else was done in the document since, undoing would undo
        that, so the group is removed instead, which Krita records as one "Remove Layer" command."""
        if not self.previewing:
            return False
        self.applied = True  # resolved: no longer a preview
        if not self.group_present():
            return False
        self.discarded_by_undo = undo.undo_newest(self.doc, self.undo_mark)
        if not self.discarded_by_undo:
            self.created.group.remove()
        return True


_scratch: dict[tuple, Any] = {}
# Set once Krita says it is closing: from then on no scratch document is made. A canvas change on the way out
# schedules `warm_scratch`, and `createDocument` after Krita has torn down its colour spaces crashes it.
_closing = False


def scratch_document(model: str, depth: str, profile: str):
    """The hidden document results are assembled in, one per colour space, kept for the session.

    Creating and closing a Krita document costs a few hundred milliseconds of UI thread each, far too
    long for every edit, so it is made once (`warm_scratch` when a document is first shown). It is
    1 x 1 pixels: paint layers hold pixels beyond the canvas, and only the layers are copied out."""
    from krita import Krita

    if _closing:
        raise LegoEditError("closed", "Krita is closing: no edit starts now.")
    key = (model, depth, profile)
    doc = _scratch.get(key)
    if doc is None or not document_is_open(doc):
        doc = _scratch[key] = Krita.instance().createDocument(1, 1, "Lego Edit scratch", model, depth, profile, 72.0)
        doc.setModified(False)
    return doc


_templates: dict[tuple, Any] = {}


def scratch_template(doc, count: int):
    """An empty group of `count` empty paint layers in the scratch document for `doc`'s colour space,
    made once: an edit copies it (instant) instead of adding 1 + `count` nodes, each of which makes
    Krita wait for its update threads."""
    key = (doc.colorModel(), doc.colorDepth(), doc.colorProfile(), count)
    scratch = scratch_document(*key[:3])
    template = _templates.get(key)
    if template is None or template.parentNode() is None or not document_is_open(scratch):
        template = scratch.createGroupLayer(f"template {count}")
        scratch.rootNode().addChildNode(template, None)
        previous = None
        for index in range(count):
            node = scratch.createNode(f"layer {index + 1}", "paintlayer")
            template.addChildNode(node, previous)
            previous = node
        template.setLocked(True)  # nobody paints into a copy while it fills (and while it is a preview)
        scratch.setModified(False)  # never a "save changes?" question about it
        _templates[key] = template
    return template


def warm_scratch(doc, counts: Iterable[int] = (1, 2, 3, 4)) -> None:
    """Make the scratch document and the usual empty groups for `doc` now (an idle moment), not mid-edit."""
    try:
        for count in counts:
            scratch_template(doc, count)
    except Exception:
        pass


def is_scratch(doc) -> bool:
    return any(doc == scratch for scratch in _scratch.values())


def close_scratch() -> None:
    """Close the scratch documents (when Krita is closing): Krita 5.1 crashes on quit while a document
    made by `createDocument` and never shown in a view is still open."""
    global _closing
    _closing = True
    scratch = list(_scratch.values())
    _scratch.clear()
    _templates.clear()
    for doc in scratch:
        try:
            if document_is_open(doc):
                doc.setModified(False)
                doc.close()
        except Exception:
            pass


def _find(node, unique_id):
    for child in node.childNodes():
        if child.uniqueId() == unique_id:
            return child
        if child.type() == "grouplayer":
            found = _find(child, unique_id)
            if found is not None:
                return found
    return None


def _thumbnail(data, fmt: str, width: int, height: int, size: int = 64) -> bytes:
    """A small RGBA PNG of a reply layer (nearest pixel), for the history list."""
    if edit_history is None or width <= 0 or height <= 0:
        return b""
    scale = max(width, height) / size if max(width, height) > size else 1.0
    tw, th = max(1, round(width / scale)), max(1, round(height / scale))
    channels = 1 if fmt == "GRAY8" else 4
    small = bytearray()
    for ty in range(th):
        row = min(int(ty * scale), height - 1) * width
        for tx in range(tw):
            at = (row + min(int(tx * scale), width - 1)) * channels
            if channels == 1:
                small += bytes((data[at], data[at], data[at], 255))
            elif fmt == "BGRA8":
                small += bytes((data[at + 2], data[at + 1], data[at], data[at + 3]))
            else:
                small += bytes(data[at:at + 4])
    return edit_history.thumbnail_png(bytes(small), tw, th, size)


def _parents(node):
    """`node`'s parents up to (not including) the image's root."""
    parent = node.parentNode()
    while parent is not None and parent.type() and parent.parentNode() is not None \
            and parent.parentNode().type():
        yield parent
        parent = parent.parentNode()


def _index(kids: list, node) -> int | None:
    wanted = node.uniqueId()
    return next((i for i, child in enumerate(kids) if child.uniqueId() == wanted), None)


def place(doc, node, placement: Any = "above"):
    """(parent, above) for a new result group: never inside an earlier result group.

    - above: just above the source, and above the Lego Edit groups already stacked on it (the newest shows);
      a source inside an earlier result group counts as that group;
    - top, or no source layer (the visible image): on top of the image;
    - group: inside the source's group (a group source: at its top).
    """
    root = doc.rootNode()
    mode = getattr(placement, "value", placement)
    if node is None or mode == "top":
        kids = list(root.childNodes())
        return root, kids[-1] if kids else None
    results = [parent for parent in _parents(node) if pixels.is_result_group(parent)]
    anchor = results[-1] if results else node
    if mode == "group" and anchor.type() == "grouplayer" and not pixels.is_result_group(anchor):
        kids = list(anchor.childNodes())
        return anchor, kids[-1] if kids else None
    parent = anchor.parentNode()
    kids = list(parent.childNodes()) if parent is not None else []  # bottom to top
    index = _index(kids, anchor)
    if index is None:
        kids = list(root.childNodes())
        return root, kids[-1] if kids else None
    while index + 1 < len(kids) and pixels.is_result_group(kids[index + 1]):
        index += 1
    return parent, kids[index]


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
        if job.busy:
            job.work(None)
            continue
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
         connect_timeout: float = 5.0, placement: str = "above") -> EditResult:
    """Edit `doc` with `instruction`, blocking until the daemon answers; returns the created nodes.

    The source is `node`, else the document's active layer, else (no active node, as under
    kritarunner) the topmost visible paint layer; an active group is read as it is composited;
    `source="visible"` edits the visible image instead. The selection is the mask when
    `use_selection`. Results land in a new group (`placement`: "above" the source, on "top" of the
    image, or inside the source's "group"), added as one undo step: the result paint layer(s) and the
    masks (hidden, named by what they hold: "mask: red ball"). With `replan_of` (an
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
                  show_masks=show_masks, backend=backend, feedback=feedback, replan_of=replan_of, node=node,
                  placement=placement)
    return run_job(job, client, timeout)
