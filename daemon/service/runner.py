"""What a worker does with a job: decode pixels, plan, run, and turn executor events into replies.

Runs on worker threads. It never touches a socket: every reply goes through `send`, which hands
the encoded frames to the socket thread.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from lego_edit.bricks.refs import Ref, step_ref
from lego_edit.daemon.service import pixels
from lego_edit.daemon.service.jobs import Job
from lego_edit.daemon.service.plans import PlanRecord, PlanStore
from lego_edit.daemon.service.protocol import (
    SEED_LIMIT,
    CancelReason,
    EventKind,
    Limits,
    ProtocolError,
    StepState,
    error_fields,
)
from lego_edit.plugins.client.session import layer_name  # the names both hosts give layers, so the daemon's agree

log = logging.getLogger("lego_edit.daemon")

# send(job, reply type, header fields, data buffers, terminal?)
Send = Callable[[Job, EventKind, dict[str, Any], list[Any], bool], None]

PROGRESS_INTERVAL_S = 0.05  # at most this often per step: a brick may report every few milliseconds


def job_executor(config: Any, registry: Any) -> Any:
    """The executor the daemon's jobs run on: this process's own, or with `[daemon] executor = "ray://HOST:PORT"`
    (or "auto") a RayExecutor, whose workflows run on that Ray cluster's actors (lego_edit.batch.ray_executor)
    with the same events, results and errors; Ray is imported at the first job, not here."""
    address = getattr(config.daemon, "executor", "")
    if address:
        from lego_edit.batch.ray_executor import RayExecutor

        return RayExecutor(config, registry, address)
    return config.make_executor(registry)


class JobRunner:
    def __init__(self, registry: Any, builder: Any, executor: Any, plans: PlanStore, send: Send,
                 limits: Limits | None = None, decode_budget: pixels.DecodeBudget | None = None) -> None:
        self.registry, self.builder, self.executor, self.plans, self.send = registry, builder, executor, plans, send
        self.limits = limits or Limits()
        self.decode_budget = decode_budget
        self._plan_lock = threading.Lock()  # a Builder backend may hold one model: plan one request at a time

    # -- entry point ----------------------------------------------------------------------------
    def __call__(self, job: Job) -> None:
        from lego_edit.bricks.checker import InvalidWorkflow
        from lego_edit.bricks.executor import RunCancelled, StepFailed
        from lego_edit.bricks.workflow import WorkflowSyntaxError
        from lego_edit.builder import PlanError

        try:
            if job.cancel.is_set():
                raise RunCancelled()
            {"plan": self._plan_job, "run": self._run_job, "edit": self._edit_job}[job.kind](job)
        except RunCancelled:
            self.send(job, EventKind.CANCELLED, {"reason": job.reason or CancelReason.CLIENT}, [], True)
        except ProtocolError as exc:
            self._error(job, exc.code, exc.message, **exc.details)
        except PlanError as exc:
            if exc.code == "invalid_workflow":
                self._error(job, "invalid_workflow", str(exc), reason="planner")
            else:
                self._error(job, "plan_refused", str(exc), reason=exc.code)
        except InvalidWorkflow as exc:
            problems = [p.to_dict() for p in exc.report.problems]
            self._error(job, "invalid_workflow", str(exc), problems=problems)
        except WorkflowSyntaxError as exc:
            self._error(job, "invalid_workflow", f"the workflow cannot be read: {exc}")
        except StepFailed as exc:
            code = "brick_unavailable" if exc.unavailable else "brick_failed"
            needs = {"needs": "selection", "subject": exc.subject} if getattr(exc, "needs_selection", False) else {}
            self._error(job, code, exc.cause, step=exc.step, brick=exc.brick, **needs)
        except ValueError as exc:  # inputs the executor refuses (e.g. a PNG that decodes to another size)
            self._error(job, "bad_request", str(exc))
        except Exception as exc:
            log.exception("request %r (%s) failed", job.id, job.kind)
            self._error(job, "internal", f"{type(exc).__name__}: {exc}")

    def _error(self, job: Job, code: str, message: str, **details: Any) -> None:
        self.send(job, EventKind.ERROR, error_fields(code, message, **details), [], True)

    # -- the three kinds of job -----------------------------------------------------------------
    def _plan_job(self, job: Job) -> None:
        record = self._previous(job)
        inputs = self._inputs(job, record)
        plan, instruction, feedback = self._plan(job, inputs, record)
        self._remember(job, plan.workflow, instruction, feedback, inputs, record, reasoning=plan.reasoning)
        self.send(job, EventKind.PLAN, _plan_fields(plan), [], True)

    def _run_job(self, job: Job) -> None:
        from lego_edit.bricks.workflow import Workflow, parse_workflow

        raw = job.request.get("workflow")
        workflow = parse_workflow(raw) if isinstance(raw, str) else Workflow.from_dict(raw)
        inputs = self._inputs(job, None)
        seed = self._seed(job, None)
        self._remember(job, workflow, workflow.process, [], inputs, None, seed=seed)
        self._execute(job, workflow, inputs, seed)

    def _edit_job(self, job: Job) -> None:
        from lego_edit.bricks.executor import RunCancelled

        if job.request.get("variation_of") is not None:
            self._variation_job(job)
            return
        record = self._previous(job)
        inputs = self._inputs(job, record)
        plan, instruction, feedback = self._plan(job, inputs, record)
        seed = self._seed(job, record)
        self._remember(job, plan.workflow, instruction, feedback, inputs, record, reasoning=plan.reasoning, seed=seed)
        self.send(job, EventKind.PLAN, {**_plan_fields(plan), "seed": seed}, [], False)
        if job.cancel.is_set():
            raise RunCancelled()
        self._execute(job, plan.workflow, inputs, seed)

    def _variation_job(self, job: Job) -> None:
        """The earlier request's workflow and inputs again, unplanned, with a new seed: the step cache
        serves every step that does not depend on the seed, so only the stochastic ones (and what reads
        them) run."""
        from lego_edit.bricks.executor import RunCancelled

        record = self._previous(job, "variation_of")
        assert record is not None  # the request names variation_of: _previous refuses an unknown one
        inputs = self._inputs(job, record, "variation_of")
        if inputs.get("image") is None:
            raise ProtocolError("bad_request", f"variation_of: {job.request.get('variation_of')!r} was planned without "
                                               "an image: send the image with this request", job.id)
        seed = self._seed(job, record, variation=True)
        self._remember(job, record.workflow, record.instruction, list(record.feedback), inputs, record,
                       reasoning=record.reasoning, seed=seed)
        fields = {"reasoning": record.reasoning, "workflow": record.workflow.to_dict(), "backend": "variation",
                  "attempts": 0, "warnings": [], "steps": len(record.workflow.steps), "seed": seed,
                  "variation_of": job.request.get("variation_of")}
        self.send(job, EventKind.PLAN, fields, [], False)
        if job.cancel.is_set():
            raise RunCancelled()
        self._execute(job, record.workflow, inputs, seed)

    def _seed(self, job: Job, record: PlanRecord | None, *, variation: bool = False) -> int:
        """The job's seed: the one asked for; else a re-plan keeps its request's (the steps it did not change
        stay cached, and a seeded step's pixels stay as they were); else a new random one, for a variation
        never the seed it varies."""
        asked = job.request.get("seed")
        if asked is not None:
            return int(asked)
        if record is not None and record.seed is not None and not variation:
            return record.seed
        while True:
            seed = secrets.randbelow(SEED_LIMIT)
            if record is None or seed != record.seed:
                return seed

    # -- pieces ---------------------------------------------------------------------------------
    def fits(self, value: Any) -> bool:
        """Whether an image (an array: its pixels) or an encoded frame (its bytes) is within the limits."""
        if isinstance(value, np.ndarray) and value.ndim in (2, 3) and value.dtype == np.uint8 \
                and value.shape[-1:] != (0,):
            if value.shape[0] * value.shape[1] > self.limits.max_pixels:
                return False
        nbytes = getattr(value, "nbytes", None)
        size = int(nbytes) if nbytes is not None else len(value)
        return size <= self.limits.frame_bytes

    def _check_size(self, value: Any, step: int | None, brick: str | None, ref: str) -> None:
        if not self.fits(value):
            what = "x".join(map(str, value.shape[:2][::-1])) + " pixels" if isinstance(value, np.ndarray) \
                else f"{getattr(value, 'nbytes', None) or len(value)} bytes"
            raise ProtocolError("too_large", f"the result {ref} is {what}: over the daemon's limits "
                                             f"(max_pixels {self.limits.max_pixels}, max_frame_bytes "
                                             f"{self.limits.frame_bytes})", step=step, brick=brick)
    def _previous(self, job: Job, field: str = "replan_of") -> PlanRecord | None:
        target = job.request.get(field)
        if target is None:
            return None
        record = self.plans.get(job.client, target)
        if record is None:
            raise ProtocolError("bad_request", f"{field}: no earlier request {target!r} of yours is remembered "
                                               f"(the daemon keeps each client's last few)", job.id)
        return record

    def _inputs(self, job: Job, record: PlanRecord | None, field: str = "replan_of") -> dict[str, Any]:
        wires = job.request.images
        if "image" not in wires:
            if record is not None:
                if not record.inputs:
                    raise ProtocolError("bad_request", f"the image of {job.request.get(field)!r} is no longer "
                                                       f"kept (memory limit): send it again with this request", job.id)
                return dict(record.inputs)
            return {"image": None, "mask": None, "_format": "RGBA8"}
        budget, most = self.decode_budget, self.limits.max_pixels
        image = pixels.to_array(wires["image"], budget=budget, max_pixels=most, cancel=job.cancel)
        mask = pixels.to_array(wires["mask"], budget=budget, max_pixels=most, cancel=job.cancel) \
            if "mask" in wires else None
        passthrough = pixels.Passthrough.of(wires["image"], image)
        return {"image": image, "mask": mask, "_format": wires["image"].format, "_passthrough": passthrough}

    def _plan(self, job: Job, inputs: dict[str, Any], record: PlanRecord | None):
        req = job.request
        instruction = req.get("instruction") or (record.instruction if record else "")
        feedback = (list(record.feedback) if record else []) + list(req.get("feedback", []))
        # a re-plan says which feedback is new: the older corrections are already in the previous plan
        replan = {"new_feedback": list(req.get("feedback", [])), "previous_instruction": record.instruction} \
            if record else {}
        with self._plan_lock:
            plan = self.builder.plan(instruction, image=inputs.get("image"), mask=inputs.get("mask"),
                                     feedback=feedback, previous=record.workflow if record else None,
                                     backend=req.get("backend"), **replan)
        return plan, instruction, feedback

    def _remember(self, job: Job, workflow: Any, instruction: str, feedback: list[str], inputs: dict[str, Any],
                  record: PlanRecord | None, *, reasoning: str = "", seed: int | None = None) -> None:
        fmt = job.request.get("reply_format") or (record.reply_format if record and "image" not in
                                                  job.request.images else inputs.get("_format", "RGBA8"))
        kept = {k: v for k, v in inputs.items() if k != "_passthrough"}
        self.plans.put(job.client, job.id, PlanRecord(instruction, feedback, workflow, kept, fmt, reasoning, seed))

    def _execute(self, job: Job, workflow: Any, inputs: dict[str, Any], seed: int) -> None:
        req = job.request
        record = self.plans.get(job.client, job.id)
        reply_format = req.get("reply_format") or (record.reply_format if record else "RGBA8")
        passthrough = inputs.get("_passthrough")
        relay = _Relay(self, job, workflow, reply_format, stream_layers=req.get("layers", True))
        start = time.perf_counter()
        result = self.executor.run(workflow, {"image": inputs.get("image"), "mask": inputs.get("mask")},
                                   on_event=relay, cancel=job.cancel, seed=seed)
        seconds = time.perf_counter() - start
        layers, buffers, values = [], [], {}
        bricks = {s.number: s.model for s in workflow.steps}
        for ref, value in result.result:
            if isinstance(value, np.ndarray):
                parsed = Ref.parse(ref)
                step = parsed.step if parsed else None
                self._check_size(value, step, bricks.get(step), ref)
                desc, buffer = pixels.encode(value, reply_format, passthrough)
                self._check_size(buffer, step, bricks.get(step), ref)
                buffers.append(buffer)
                desc["frame"] = len(buffers)
                parsed = Ref.parse(ref)
                step = parsed.step if parsed else None
                brick = bricks.get(step)
                kind = "mask" if value.ndim == 2 else "image"
                layers.append({"name": layer_name(ref, step=step, brick=brick, kind=kind).label, "role": "result",
                               "kind": kind, "ref": ref, "step": step, "brick": brick, "image": desc})
            else:
                values[ref] = _scalar(value)
        stochastic = sorted(getattr(result, "stochastic", []))
        seeds = getattr(result, "seeds", {})
        steps = [{"step": n, "brick": bricks.get(n), "seconds": round(result.seconds[n], 6),
                  "cached": n in result.cached, "stochastic": n in stochastic,
                  **({"seed": seeds[n]} if n in seeds else {})} for n in sorted(result.seconds)]
        self.send(job, EventKind.RESULT, {"layers": layers, "values": values, "steps": steps,
                                  "executed": sorted(result.executed), "cached": sorted(result.cached),
                                  "seconds": round(seconds, 6), "seed": seed,
                                  "stochastic": stochastic, "variation": bool(stochastic)}, buffers, True)


class _Relay:
    """Executor events -> `progress` and `layer` replies (intermediate outputs only; results go in `result`)."""

    def __init__(self, runner: JobRunner, job: Job, workflow: Any, reply_format: str, stream_layers: bool) -> None:
        self.runner, self.job, self.reply_format, self.stream_layers = runner, job, reply_format, stream_layers
        self.steps = len(workflow.steps)
        self.results = {str(r) for r in workflow.result}
        self.started: set[int] = set()
        self.last_progress: dict[int, float] = {}
        self.values: dict[int, dict[str, Any]] = {}

    def __call__(self, event: Any) -> None:
        if self.job.cancel.is_set():
            return
        base = {"step": event.step, "steps": self.steps, "brick": event.brick}
        if event.kind == "step_started":
            self.started.add(event.step)
            seed = getattr(event, "seed", None)
            self._send(EventKind.PROGRESS, {**base, "state": StepState.STARTED, "fraction": 0.0, "message": event.message,
                                            **({"seed": seed} if seed is not None else {})})
        elif event.kind == "progress":
            now = time.monotonic()
            if event.fraction < 1.0 and now - self.last_progress.get(event.step, 0.0) < PROGRESS_INTERVAL_S:
                return
            self.last_progress[event.step] = now
            fraction = min(max(float(event.fraction), 0.0), 1.0) if math.isfinite(event.fraction) else 0.0
            self._send(EventKind.PROGRESS, {**base, "state": StepState.RUNNING, "fraction": fraction, "message": event.message})
        elif event.kind == "output":
            ref = step_ref(event.step, event.key)
            if not isinstance(event.value, np.ndarray):
                self.values.setdefault(event.step, {})[ref] = _scalar(event.value)
            elif ref not in self.results and self.stream_layers:
                if not self.runner.fits(event.value):
                    log.warning("layer %s of step %s is %s: over the daemon's limits, not sent", ref, event.step,
                                "x".join(map(str, event.value.shape)))
                    return
                desc, buffer = pixels.encode(event.value, self.reply_format)
                if not self.runner.fits(buffer):
                    log.warning("layer %s of step %s encodes to over max_frame_bytes, not sent", ref, event.step)
                    return
                desc["frame"] = 1
                kind = "mask" if event.value.ndim == 2 else "image"
                name = layer_name(ref, step=event.step, brick=event.brick, kind=kind).label
                self._send(EventKind.LAYER, {"name": name, "role": kind, "kind": kind,
                                     "ref": ref, "step": event.step, "brick": event.brick,
                                     "cached": event.step not in self.started, "image": desc}, [buffer])
        elif event.kind == "step_finished":
            self._send(EventKind.PROGRESS, {**base, "state": StepState.FINISHED, "fraction": 1.0, "message": "",
                                    "seconds": round(event.seconds or 0.0, 6), "cached": event.cached,
                                    "values": self.values.pop(event.step, {})})

    def _send(self, kind: EventKind, fields: dict[str, Any], buffers: list[Any] | None = None) -> None:
        self.runner.send(self.job, kind, fields, buffers or [], False)


def _plan_fields(plan: Any) -> dict[str, Any]:
    return {"reasoning": plan.reasoning, "workflow": plan.workflow.to_dict(), "backend": plan.backend,
            "attempts": plan.attempts, "warnings": list(plan.warnings), "steps": len(plan.workflow.steps)}


def _scalar(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

