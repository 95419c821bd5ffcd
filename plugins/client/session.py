"""One edit as the user sees it, with no host in sight: what the Krita docker and the GIMP plug-in show.

Both hosts send an `edit` and hand every event of it (docs/protocol.md: accepted, plan, progress,
layer, result, error, cancelled) to an `EditSession`. The session answers what to show: one line of
status text, one overall fraction that only grows, the sentence for a failure, the plan in words and
the names of the group and layers to create. Pixels stay with the host; this module only reads
headers, so it needs the standard library alone (Python 3.10+, no pyzmq, no numpy) and is tested
without Krita or GIMP.

    session = EditSession("remove the red ball", endpoint=client.endpoint)
    session.sent(client.send_edit(...))
    for event in client.poll():
        if event.id == session.request_id and session.feed(event):
            show(session.status, session.fraction)

Next variation: `session.can_vary` False means the finished edit had no step that depends on the seed
(`variation_sentence` says so to the user; nothing needs sending); else
`again = EditSession.next_variation(session)` and `again.sent(client.send_variation(session.request_id))`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

GROUP_PREFIX = "Lego Edit: "
GROUP_TEXT_MAX = 80  # characters of instruction (and feedback) in a group's name; layer panels are narrow
START_HINT = "Start it with `lego-edit serve` (or from the Lego Edit tray icon) and try again."
HOST_ERROR = "host_error"  # a local code: the host could not add the result (a refused host call)
_LINK_CODES = ("not_running", "disconnected", "timeout")  # the daemon is not there (any more)


class Phase(str, Enum):
    """Where the edit is. A str, so hosts can compare with and serialise the plain words."""

    NEW = "new"  # not sent yet
    WAITING = "waiting"  # sent; the daemon has not answered
    QUEUED = "queued"  # accepted behind earlier requests of this client, or while other clients hold the workers
    PLANNING = "planning"  # accepted; the Builder is planning
    RUNNING = "running"  # planned (or a `run`): steps are executing
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (Phase.DONE, Phase.FAILED, Phase.CANCELLED)


@dataclass(frozen=True)
class Failure:
    """Why an edit ended without a result: the daemon's (or a local) code and message, and the
    sentence for the user, which never needs the code to be understood."""

    code: str
    message: str
    sentence: str
    step: int | None = None
    brick: str | None = None
    needs: str | None = None  # "selection": the daemon could not tell which part was meant; a selection would
    subject: str | None = None  # what to select, when the daemon knows

    def __str__(self) -> str:
        return self.sentence

    @property
    def selection_subject(self) -> str | None:
        """What to ask the user to select, when the daemon could not find it alone (no segmentation model)
        and said a selection would do; None for every other failure."""
        if self.needs == "selection":
            return self.subject or selection_subject(self.message) or "the object"
        return selection_subject(self.message)

    @property
    def selection_sentence(self) -> str | None:
        """"Select the red box on the canvas ..., then press Edit again": instead of a refusal, what to do."""
        subject = self.selection_subject
        if subject is None:
            return None
        return (f"Lego Edit cannot find \u201c{subject}\u201d by itself here (no segmentation model is installed). "
                "Select it on the canvas with any selection tool, then press Edit again: the selection becomes "
                "the mask.")


_SELECT_HINT = re.compile(r"\bselect (it|them|the\b)", re.IGNORECASE)
_SUBJECT = re.compile(r"(?:segmenting|find(?:ing)?|locat(?:e|ing)) [\u2018'\u201c\"]([^'\u2019\u201d\"]{1,80})[\u2019'\u201d\"]",
                      re.IGNORECASE)


def selection_subject(message: str) -> str | None:
    """The object named in a refusal that asks for a selection ("segmenting 'red box' needs ...; select it
    in Krita/GIMP and use the selection as the mask ...") -> "red box"; "the object" when it names none."""
    if not message or not _SELECT_HINT.search(message) or "selection" not in message.lower():
        return None
    found = _SUBJECT.search(message)
    return " ".join(found.group(1).split()) if found else "the object"


@dataclass(frozen=True)
class PlanStep:
    """One step of the plan: its number, its brick and the refs it reads and writes."""

    number: int
    brick: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]

    @property
    def text(self) -> str:
        args = ", ".join(f"{name}={value!r}" if not _is_ref(value) else f"{name}={value}"
                         for name, value in self.inputs.items())
        made = ", ".join(str(name) for name in self.outputs)
        return f"{self.number}. {self.brick}({args})" + (f" \u2192 {made}" if made else "")


@dataclass(frozen=True)
class PlanSummary:
    """The `plan` reply in words: the Builder's reasoning and the steps it chose, so users see why."""

    reasoning: str
    steps: tuple[PlanStep, ...]
    backend: str | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_header(cls, header: Mapping[str, Any]) -> PlanSummary:
        workflow = header.get("workflow")
        pipeline = workflow.get("pipeline", []) if isinstance(workflow, Mapping) else []
        steps: list[PlanStep] = []
        for entry in pipeline:
            if isinstance(entry, Mapping) and "model" in entry:
                number = entry.get("step")
                steps.append(PlanStep(number if isinstance(number, int) else len(steps) + 1, str(entry["model"]),
                                      _mapping(entry.get("input")), _mapping(entry.get("output"))))
        warnings = header.get("warnings")
        return cls(reasoning=str(header.get("reasoning") or ""), steps=tuple(steps),
                   backend=header.get("backend") if isinstance(header.get("backend"), str) else None,
                   warnings=tuple(str(w) for w in warnings) if isinstance(warnings, list) else ())

    @property
    def chain(self) -> str:
        """"RES \u2192 FASTINPAINT": the plan in one line."""
        return " \u2192 ".join(step.brick for step in self.steps)

    def brick(self, number: int | None) -> str | None:
        return next((step.brick for step in self.steps if step.number == number), None)

    @property
    def text(self) -> str:
        """Reasoning, the numbered steps and any warnings, one per line (a tooltip, a log line)."""
        lines = [self.reasoning] if self.reasoning else []
        lines += [step.text for step in self.steps] or ["(no steps: the image is returned as it is)"]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass(frozen=True)
class LayerName:
    """What one output of the workflow is called, made from its ref, step, brick and role alone
    (never from the daemon's free-text `name`), so both hosts name the same output the same way."""

    ref: str
    output: str  # the output's key: "mask", "image"
    step: int | None
    brick: str | None
    kind: str  # "image" | "mask"
    result: bool  # one of the workflow's results (else an intermediate)

    @property
    def label(self) -> str:
        """"RES mask (step 1)"; "image" for init[image]. The daemon's own label: GIMP's layers and channels."""
        if self.step is None:
            return self.output
        return f"{self.brick + ' ' if self.brick else ''}{self.output} (step {self.step})"

    @property
    def stacked(self) -> str:
        """"step 1 RES mask", "Result: step 2 FASTINPAINT image": Krita's layer stack, where names that start
        with the step read in order and the result images say so."""
        if self.step is None:
            base = self.output
        else:
            base = " ".join(part for part in ("step", str(self.step), self.brick, self.output) if part)
        return f"Result: {base}" if self.result and self.kind != "mask" else base


def group_name(instruction: str | None, feedback: Iterable[str] = ()) -> str:
    """"Lego Edit: remove the red ball (keep the shadow)": the group an edit's layers go in, one line, short."""
    text = " ".join((instruction or "re-plan").split())
    notes = [" ".join(f.split()) for f in feedback if f and f.strip()]
    if notes:
        text += " (" + "; ".join(notes) + ")"
    if len(text) > GROUP_TEXT_MAX:
        text = text[:GROUP_TEXT_MAX - 1] + "\u2026"
    return GROUP_PREFIX + text


def layer_name(ref: str, *, step: int | None = None, brick: str | None = None, kind: str = "image",
               role: str = "") -> LayerName:
    """The names of output `ref` ("step1[mask]", "init[image]"); `role` "result" for the workflow's results."""
    output = ref[ref.find("[") + 1:ref.rfind("]")] if "[" in ref and ref.endswith("]") else (ref or kind)
    if step is None and ref.startswith("step") and "[" in ref and ref[4:ref.index("[")].isdigit():
        step = int(ref[4:ref.index("[")])
    return LayerName(ref=ref, output=output or kind, step=step, brick=brick or None, kind=kind or "image",
                     result=role == "result")


def error_sentence(code: str, message: str = "", *, step: int | None = None, brick: str | None = None,
                   instruction: str | None = None, endpoint: str | None = None, connected: bool = True) -> str:
    """The sentence to show for an error code (the daemon's, docs/protocol.md section 5, or a local one:
    not_running, disconnected, timeout, cancelled, host_error). `connected`: whether the daemon ever
    answered, which tells "no daemon there" from "lost it during the edit"."""
    message = " ".join(str(message or "").split())
    at = f" at {endpoint}" if endpoint else ""
    what = f"\u201c{instruction}\u201d" if instruction else "this edit"
    if step is not None:
        where = f" (step {step}{' ' + brick if brick else ''})"
    else:
        where = f" ({brick})" if brick else ""
    if code == "not_running" or (code in _LINK_CODES and not connected):
        return f"Lego Edit: no daemon answers{at}. Is it running? {START_HINT}"
    if code == "disconnected":
        return f"Lego Edit: lost the daemon{at} during the edit{_paren(message)}. {START_HINT}"
    if code == "timeout":
        return f"Lego Edit: the daemon{at} sent no result in time{_paren(message)}."
    if code == "cancelled":
        return "Lego Edit: the edit was cancelled."
    if code == "busy":
        return f"Lego Edit: the daemon is busy with other edits; try again in a moment{_paren(message)}."
    if code == "too_large":
        return f"Lego Edit: the image is too large for the daemon{_paren(message)}."
    if code == "bad_request":
        return f"Lego Edit: the daemon refused the request{_paren(message)}."
    if code == "unsupported_version":
        return (f"Lego Edit: this plug-in and the daemon speak different protocol versions{_paren(message)}. "
                "Install matching versions (`lego-edit install`).")
    if code == "internal":
        return f"Lego Edit: the daemon failed with an internal error{_paren(message)}; its log has the details."
    if code == "invalid_workflow":
        return f"Lego Edit could not do {what}{where}: the plan does not check{_paren(message)}."
    if code == "brick_unavailable":
        return f"Lego Edit could not do {what}{where}: the brick is not available here{_paren(message)}."
    # plan_refused, brick_failed, host_error and codes of later daemons: the message says it all
    return f"Lego Edit could not do {what}{where}" + (f": {message}" if message else ".")


NO_VARIATION = ("No variation: every step of this edit ran on a deterministic brick (the offline ones are), so "
                "another seed gives the same pixels. Write feedback (\u201ctoo strong\u201d, \u201cyou missed the "
                "handle\u201d) to change the result.")


class EditSession:
    """The state of one edit, fed its events in order; read `status`, `fraction`, `failure`, `plan`,
    and `seed` / `variation` (the seed it ran with; whether another seed could change its result).

    Events after the last one (result, error, cancelled) are ignored, as are unknown types and
    fields (the protocol lets later daemons add them).
    """

    def __init__(self, instruction: str | None, *, feedback: Iterable[str] = (), endpoint: str | None = None,
                 connected: bool = False, plans: bool = True, variation_of: Any = None) -> None:
        self.instruction = " ".join(instruction.split()) if instruction else None
        self.feedback = [" ".join(f.split()) for f in feedback if f and f.strip()]
        self.endpoint = endpoint
        self.connected = connected  # the daemon has answered (set it after a hello; any reply sets it)
        self.plans = plans  # an `edit` (a plan comes first); False for a `run`
        self.request_id: Any = None
        self.phase = Phase.NEW
        self.plan: PlanSummary | None = None
        self.plan_header: dict[str, Any] | None = None
        self.failure: Failure | None = None
        self.steps = 0
        self.position = 0
        self.values: dict[str, Any] = {}
        self.seconds: float | None = None
        self.progress_header: dict[str, Any] | None = None  # the last `progress`: which step runs now
        self.variation_of = variation_of  # the request this edit is a variation of (same workflow, new seed)
        self.seed: int | None = None  # the job's seed, once the daemon said it (plan or result)
        self.variation: bool | None = None  # from the result: False when no step depends on the seed
        self.stochastic_steps: tuple[int, ...] = ()  # the steps whose result depends on the seed
        self._status = "Starting\u2026"
        self._done: dict[int, float] = {}  # step -> its own fraction
        self._fraction = 0.0

    # -- what to show -------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.phase.finished

    @property
    def status(self) -> str:
        return self._status

    @property
    def fraction(self) -> float:
        """0 until steps run, each step's share as it progresses, 1 with the result; never goes back."""
        return self._fraction

    @property
    def group_name(self) -> str:
        return group_name(self.instruction, self.feedback)

    @property
    def can_vary(self) -> bool:
        """Whether "next variation" could give other pixels: not when the result said no step depends on
        the seed (then show `variation_sentence` instead of running it again). True before a result."""
        return self.variation is not False

    @property
    def variation_sentence(self) -> str | None:
        """What to tell the user when another seed cannot change this edit; None when it can (or is unknown)."""
        return NO_VARIATION if self.variation is False else None

    @property
    def seed_text(self) -> str:
        """"seed 1234567" for the details, once the daemon said it; "" before."""
        return f"seed {self.seed}" if self.seed is not None else ""

    @classmethod
    def next_variation(cls, previous: EditSession) -> EditSession:
        """A new session for the variation of `previous` (its instruction and feedback, its request as
        `variation_of`): send it with `client.send_variation(previous.request_id)`."""
        return cls(previous.instruction, feedback=previous.feedback, endpoint=previous.endpoint,
                   connected=previous.connected, variation_of=previous.request_id)

    def layer_name(self, layer: Any) -> LayerName:
        """Names for a layer the client received (a `Layer`, or a layer descriptor from a header)."""
        get = layer.get if isinstance(layer, Mapping) else (lambda key: getattr(layer, key, None))
        step, ref = get("step"), get("ref") or ""
        brick = get("brick") or (self.plan.brick(step) if self.plan is not None else None)
        return layer_name(ref, step=step, brick=brick, kind=get("kind") or "image", role=get("role") or "")

    # -- feeding it ---------------------------------------------------------------------------------
    def sent(self, request_id: Any) -> None:
        self.request_id = request_id
        self._set(Phase.WAITING, "Waiting for the daemon\u2026")

    def feed(self, event: Any) -> bool:
        """One event of this edit (a client `Event`, or a reply header as a dict). True: show it again."""
        if isinstance(event, Mapping):
            kind, header = event.get("type"), event
        else:
            kind, header = event.type, event.header
        if self.done or not isinstance(header, Mapping):
            return False
        if not header.get("local"):
            self.connected = True
        handler = getattr(self, f"_on_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            return False
        return handler(header) is not False

    def fail(self, code: str, message: str = "", *, step: int | None = None, brick: str | None = None) -> Failure:
        """End the edit with a local failure (or return the one it already ended with)."""
        if self.failure is None:
            sentence = error_sentence(code, message, step=step, brick=brick, instruction=self.instruction,
                                      endpoint=self.endpoint, connected=self.connected)
            self.failure = Failure(code, message, sentence, step, brick)
            self._set(Phase.CANCELLED if code == "cancelled" else Phase.FAILED,
                      "Cancelled" if code == "cancelled" else sentence)
        return self.failure

    # -- the events ---------------------------------------------------------------------------------
    def _on_accepted(self, header: Mapping[str, Any]) -> None:
        position = header.get("position")
        self.position = position if isinstance(position, int) and position > 0 else 0
        if self.position:
            self._set(Phase.QUEUED, f"Queued ({self.position} ahead)")
        elif header.get("waiting") is True:  # other clients' edits hold the daemon's workers
            self._set(Phase.QUEUED, "Waiting for the daemon (busy with other edits)\u2026")
        elif self.plans:
            self._set(Phase.PLANNING, "Planning\u2026")
        else:
            self._set(Phase.RUNNING, "Running\u2026")

    def _on_plan(self, header: Mapping[str, Any]) -> None:
        self._read_seed(header)
        self.plan_header = dict(header)
        self.plan = PlanSummary.from_header(header)
        steps = header.get("steps")
        self.steps = steps if isinstance(steps, int) and steps >= 0 else len(self.plan.steps)
        chain = self.plan.chain
        self._set(Phase.RUNNING, f"Plan: {chain}" if chain else "Planned: nothing to run")

    def _on_progress(self, header: Mapping[str, Any]) -> None:
        self.progress_header = dict(header)
        steps, step = header.get("steps"), header.get("step")
        if not self.steps and isinstance(steps, int) and steps > 0:  # a `run`: no plan counted them
            self.steps = steps
        state = header.get("state")
        if isinstance(step, int):
            if state == "finished":
                self._done[step] = 1.0
            else:
                fraction = header.get("fraction")
                share = min(max(float(fraction), 0.0), 1.0) if isinstance(fraction, (int, float)) else 0.0
                self._done[step] = max(self._done.get(step, 0.0), share)
        if self.steps:
            self._fraction = max(self._fraction, min(sum(self._done.values()) / self.steps, 1.0))
        label = f"Step {step}/{self.steps}" if self.steps else f"Step {step}"
        brick = header.get("brick")
        if brick:
            label += f" \u00b7 {brick}"
        if state == "finished" and header.get("cached"):
            label += " (cached)"
        message = header.get("message")
        if message:
            label += f" \u2014 {message}"
        self._set(Phase.RUNNING, label)

    def _on_layer(self, header: Mapping[str, Any]) -> bool:
        return False  # the host keeps the pixels; the status stays what the step's progress said

    def _on_result(self, header: Mapping[str, Any]) -> None:
        values = header.get("values")
        self.values = dict(values) if isinstance(values, Mapping) else {}
        seconds = header.get("seconds")
        self.seconds = float(seconds) if isinstance(seconds, (int, float)) else None
        self._read_seed(header)
        variation, stochastic = header.get("variation"), header.get("stochastic")
        self.variation = variation if isinstance(variation, bool) else None
        self.stochastic_steps = tuple(n for n in stochastic if isinstance(n, int)) if isinstance(stochastic, list) \
            else ()
        self._fraction = 1.0
        done = f"Done in {self.seconds:.1f} s" if self.seconds is not None else "Done"
        if self.variation_of is not None and self.variation is False:
            done = self.variation_sentence or done  # a variation that cannot differ: say so, not "done"
        self._set(Phase.DONE, done)

    def _read_seed(self, header: Mapping[str, Any]) -> None:
        seed = header.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            self.seed = seed

    def _on_error(self, header: Mapping[str, Any]) -> None:
        step, brick = header.get("step"), header.get("brick")
        self.fail(str(header.get("code") or "internal"), str(header.get("message") or ""),
                  step=step if isinstance(step, int) else None, brick=brick if isinstance(brick, str) else None)
        needs, subject = header.get("needs"), header.get("subject")
        if self.failure is not None and isinstance(needs, str):
            self.failure = replace(self.failure, needs=needs, subject=subject if isinstance(subject, str) else None)

    def _on_cancelled(self, header: Mapping[str, Any]) -> None:
        reason = header.get("reason") or "client"
        self.fail("cancelled", "the daemon is shutting down" if reason == "shutdown" else "cancelled")

    def _set(self, phase: Phase, status: str) -> None:
        self.phase, self._status = phase, status


def _paren(message: str) -> str:
    return f" ({message})" if message else ""


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and "[" in value and value.endswith("]")
