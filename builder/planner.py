"""Plan, check, repair: the loop every Builder backend goes through."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lego_edit.bricks.checker import CheckReport, check
from lego_edit.bricks.registry import Registry
from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError, parse_json, split_reasoning

log = logging.getLogger("lego_edit.builder")

BACKENDS = ("auto", "rules", "local", "openai")
MODEL_BACKENDS = ("local", "openai")  # the order `auto` tries them in
DEFAULT_OPENAI_BASE_URL = "http://127.0.0.1:11434/v1"
PROBE_TTL_S = 30.0  # how long a reachability answer is trusted
PROBE_TIMEOUT_S = 1.5
CORRECTIONS = "corrections"  # Plan.backend of a previous plan changed only by plain-words corrections
WARM_UP_INSTRUCTION = "make it brighter"  # what Builder.warm_up plans, and throws away
ENABLE_MODEL_HINT = ("a model Builder may be able to plan it: set builder.backend = \"auto\" with builder.openai_base_url and "
                     "builder.openai_model (env LEGO_EDIT_OPENAI_BASE_URL, LEGO_EDIT_OPENAI_MODEL) for an "
                     "OpenAI-compatible server such as Ollama, or builder.local_model (env LEGO_EDIT_LOCAL_MODEL) for "
                     "a local vision-language model; see the README's Builder section")


class PlanError(Exception):
    """No valid plan. `code`: "refused" (the instruction cannot be planned), "invalid_workflow" (the
    model kept writing broken workflows), "backend_error" (the model could not be reached or run),
    "bad_feedback" (feedback that could not be understood). `problems`: for a workflow that did not
    check clean, its problems in the checker's JSON form (each with its machine `code`)."""

    def __init__(self, message: str, code: str = "refused", problems: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.problems = list(problems)


@dataclass(frozen=True)
class AnswerProblem:
    """A model's answer holds no workflow at all; `code` is prompt.NO_JSON or prompt.NOT_A_WORKFLOW. It
    reads like a checker Problem (code, text, JSON form), so the repair loop treats both alike."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": "error", "step": None, "field": None, "message": self.message}


@dataclass
class Plan:
    reasoning: str
    workflow: Workflow
    backend: str
    attempts: int = 1
    warnings: list[str] = field(default_factory=list)


@dataclass
class BuilderConfig:
    """Builder settings; the daemon fills them from config.toml, the environment overrides some."""

    backend: str = "auto"  # auto: a configured, reachable model Builder, else rules (see Builder.model_backend)
    max_repairs: int = 2
    include_unavailable: bool = False  # list bricks with no usable backend in the prompt
    # local (transformers)
    local_model: str = ""  # a folder or a hub id already in the cache (downloads only via `models pull`)
    device: str = "auto"
    dtype: str = "auto"  # auto: the profile's on a GPU (fp16 for the released checkpoint), float32 on a CPU
    max_new_tokens: int = 4096
    # how the model is talked to (builder/profiles.py): auto = reference for the released checkpoint
    profile: str = "auto"
    local_lora: str = ""  # a LoRA folder merged into the local model when it loads (env LEGO_EDIT_LOCAL_LORA)
    # openai-compatible endpoint
    openai_base_url: str = DEFAULT_OPENAI_BASE_URL
    openai_model: str = ""
    openai_api_key: str = ""
    openai_timeout: float = 120.0

    @classmethod
    def from_env(cls, **overrides: Any) -> BuilderConfig:
        cfg = cls(**overrides)
        env = os.environ
        cfg.openai_base_url = env.get("LEGO_EDIT_OPENAI_BASE_URL", cfg.openai_base_url)
        cfg.openai_model = env.get("LEGO_EDIT_OPENAI_MODEL", cfg.openai_model)
        cfg.openai_api_key = env.get("LEGO_EDIT_OPENAI_API_KEY", env.get("OPENAI_API_KEY", cfg.openai_api_key))
        cfg.local_model = env.get("LEGO_EDIT_LOCAL_MODEL", cfg.local_model)
        cfg.local_lora = env.get("LEGO_EDIT_LOCAL_LORA", cfg.local_lora)
        return cfg


class Builder:
    def __init__(self, registry: Registry, config: BuilderConfig | None = None) -> None:
        self.registry = registry
        self.config = config or BuilderConfig()
        self._models: dict[str, Any] = {}  # backend name -> loaded chat model, created on first use

    def plan(self, instruction: str, *, image: Any = None, mask: Any = None, feedback: Sequence[str] = (),
             previous: Workflow | None = None, backend: str | None = None, new_feedback: Sequence[str] | None = None,
             previous_instruction: str | None = None) -> Plan:
        """A workflow that checks clean against the catalog and the feedback, or PlanError.

        Feedback is of two kinds (builder/corrections.py): constraints on the bricks ("don't use SOS",
        "keep the sky unchanged"), which every plan honours, and plain-words corrections of the result
        ("there's still a smudge", "too strong"), each a change made to the previous plan.
        `new_feedback` is what this re-plan adds (None: all of `feedback`): the corrections among the
        older sentences are already in `previous`. With `previous`, new corrections and neither new
        brick constraints nor a new instruction (one that differs from `previous_instruction`), no
        backend runs: the previous plan is corrected and checked, so its unchanged steps stay as they
        were and the executor's cache re-runs only what changed. Otherwise the backend plans (re-using
        `previous`) and the corrections are made to its plan."""
        from lego_edit.builder.corrections import Exclude
        from lego_edit.builder.feedback import KeepRegion

        backend = backend or self.config.backend
        if backend not in BACKENDS:
            raise PlanError(f"unknown builder backend {backend!r} (choose from {', '.join(BACKENDS)})", "bad_request")
        instruction = (instruction or "").strip()
        if not instruction:
            raise PlanError("the instruction is empty", "refused")
        said = self.read_feedback(feedback)
        constraints = said.constraints
        new = said if new_feedback is None else self.read_feedback(new_feedback)
        # "keep her face" on a first plan is the planner's constraint only; on a re-plan it also changes masks
        corrections = [c for c in new.corrections if previous is not None or not isinstance(c, Exclude)]
        has_mask = mask is not None and (not hasattr(mask, "any") or bool(mask.any()))
        inits = ("image", "mask") if has_mask else ("image",)
        checks = [_as_check(c) for c in constraints]
        new_rules = [c for c in new.constraints if not isinstance(c, KeepRegion)]
        same_instruction = previous_instruction is None or previous_instruction.strip() == instruction
        if previous is not None and corrections and not new_rules and same_instruction:
            return self._correct(Plan("", previous, CORRECTIONS), corrections, inits, checks)
        planned = self._plan_backend(backend, instruction, image, has_mask, constraints, checks, inits, previous)
        return self._correct(planned, corrections, inits, checks) if corrections else planned

    def warm_up(self) -> float:
        """Plan WARM_UP_INSTRUCTION with the rules planner and throw the plan away, so the first user's
        plan does not wait for the planner's imports and first-use tables (most of a second). Only the
        rules planner is warmed, whatever the configured backend: no model loads, no endpoint is
        probed, nothing runs. A refusal still warmed it; any other failure propagates. The seconds taken."""
        start = time.perf_counter()
        try:
            self.plan(WARM_UP_INSTRUCTION, backend="rules")
        except PlanError as exc:  # e.g. a registry without the brick it needs: the planner ran all the same
            log.debug("builder warm-up: the rules planner refused %r: %s", WARM_UP_INSTRUCTION, exc)
        return time.perf_counter() - start

    def constraints(self, feedback: Sequence[str]) -> list[Any]:
        """The constraints of feedback sentences (their corrections are read, not returned)."""
        return self.read_feedback(feedback).constraints

    def read_feedback(self, feedback: Sequence[str]) -> Any:
        """Feedback sentences as constraints and corrections (corrections.Feedback), or PlanError
        "bad_feedback" naming the clause that is neither."""
        from lego_edit.builder.corrections import read_feedback

        try:
            return read_feedback([t for t in feedback if t and t.strip()], self.registry)
        except ValueError as exc:
            raise PlanError(str(exc), "bad_feedback") from None

    def _correct(self, base: Plan, corrections: Sequence[Any], inits: Sequence[str], checks: Sequence[Any]) -> Plan:
        """`base` with the corrections made, checked like any plan."""
        from lego_edit.builder.corrections import CorrectionError, apply_corrections

        try:
            corrected, notes = apply_corrections(base.workflow.to_dict(), corrections, self.registry)
            workflow = Workflow.from_dict(corrected)
        except (CorrectionError, WorkflowSyntaxError) as exc:
            raise PlanError(str(exc), "refused") from None
        report = self._check(workflow, inits, checks)
        if not report.ok:
            raise PlanError("the corrected plan does not check: " + "; ".join(map(str, report.errors)), "refused",
                            [p.to_dict() for p in report.errors])
        changes = "; ".join(notes)
        if base.backend == CORRECTIONS:
            reasoning = (f"Corrections to the previous plan: {changes}. The steps before the change are as they were, "
                         "so their cached results are reused.")
        else:
            reasoning = f"{base.reasoning} Corrections: {changes}."
        return Plan(reasoning, workflow, base.backend, base.attempts, [*base.warnings, *map(str, report.warnings)])

    def _plan_backend(self, backend: str, instruction: str, image: Any, has_mask: bool, constraints: list[Any],
                      checks: list[Any], inits: Sequence[str], previous: Workflow | None) -> Plan:
        args = (instruction, has_mask, constraints, checks, inits, previous)
        if backend == "auto":
            return self._plan_auto(instruction, image, has_mask, constraints, checks, inits, previous)
        if backend == "rules":
            try:
                return self._plan_rules(*args, image=image)
            except PlanError as exc:
                if exc.code != "refused":
                    raise
                raise PlanError(self._rules_refusal(str(exc)), exc.code, exc.problems) from None
        return self._plan_with_model(backend, instruction, image, has_mask, constraints, checks, inits, previous)

    # -- auto: a model Builder when one is configured and answers, the rules Builder otherwise ----------
    def configured(self, backend: str) -> tuple[bool, str]:
        """Is model backend `backend` set up in the config (no probing)? With the reason when half is."""
        cfg = self.config
        if backend == "local":
            return bool(cfg.local_model), ""
        if cfg.openai_model:
            return True, ""
        if cfg.openai_base_url.rstrip("/") != DEFAULT_OPENAI_BASE_URL:
            return False, (f"builder.openai_base_url is set ({cfg.openai_base_url}) but builder.openai_model "
                           "(LEGO_EDIT_OPENAI_MODEL) is not: the openai Builder needs a model name")
        return False, ""

    def model_backend(self, *, fresh: bool = False) -> tuple[str | None, list[str]]:
        """The model backend `auto` plans with — the first of local, openai that is configured and
        answers (a probe cached for PROBE_TTL_S; `fresh` asks again) — and why each configured one,
        or half-configured one, cannot be used."""
        reasons: list[str] = []
        for name in MODEL_BACKENDS:
            ok, why = self.configured(name)
            if ok:
                ok, why = (True, "") if name in self._models else probe(name, self.config, fresh=fresh)
                if ok:
                    return name, reasons
            if why:
                reasons.append(why)
        return None, reasons

    def _plan_auto(self, instruction: str, image: Any, has_mask: bool, constraints: list[Any], checks: list[Any],
                   inits: Sequence[str], previous: Workflow | None) -> Plan:
        model, reasons = self.model_backend()
        failed = ""
        if model is not None:
            try:
                return self._plan_with_model(model, instruction, image, has_mask, constraints, checks, inits, previous)
            except PlanError as exc:
                failed = f"the {model} model Builder failed: {exc}"
                log.warning("builder auto: %s; trying the rules Builder", failed)
        try:
            plan = self._plan_rules(instruction, has_mask, constraints, checks, inits, previous, image=image)
        except PlanError as exc:
            if exc.code != "refused":
                raise
            if model is None and reasons:  # unreachable when last asked: hand over if it answers now
                model, reasons = self.model_backend(fresh=True)
                if model is not None:
                    try:
                        return self._plan_with_model(model, instruction, image, has_mask, constraints, checks, inits,
                                                     previous)
                    except PlanError as again:
                        failed = f"the {model} model Builder failed: {again}"
            if failed:
                message = f"{exc} ({failed})"
            elif reasons:
                message = f"{exc}. The model Builder could not take it over: {'; '.join(reasons)}"
            else:
                message = f"{exc}. {_capital(ENABLE_MODEL_HINT)}"
            raise PlanError(message, "refused", exc.problems) from None
        if failed:
            plan.warnings.append(f"{failed}; the rules Builder planned this instead")
        return plan

    def _rules_refusal(self, message: str) -> str:
        """A refusal of the `rules` backend, saying which Builder could do it and how to turn it on."""
        ready = [name for name in MODEL_BACKENDS if self.configured(name)[0]]
        if ready:
            return (f"{message}. The {ready[0]} model Builder is configured and could try: choose it with "
                    f"builder.backend = \"auto\" (or \"{ready[0]}\"), or --builder {ready[0]}")
        return f"{message}. {_capital(ENABLE_MODEL_HINT)}"

    def _check(self, workflow: Workflow, inits: Sequence[str], checks: Sequence[Any]) -> CheckReport:
        return check(workflow, self.registry, inits=inits, constraints=checks)

    def _plan_rules(self, instruction: str, has_mask: bool, constraints: list[Any], checks: list[Any],
                    inits: Sequence[str], previous: Workflow | None, image: Any = None) -> Plan:
        from lego_edit.builder.rules import PlanRefused, plan_rules

        try:
            planned = plan_rules(instruction, has_mask=has_mask, constraints=constraints,
                                 previous=previous.to_dict() if previous is not None else None,
                                 registry=self.registry, image_size=_image_size(image))
        except PlanRefused as exc:
            raise PlanError(str(exc), "refused") from None
        workflow = Workflow.from_dict(planned.workflow)
        report = self._check(workflow, inits, checks)
        if not report.ok:  # a planner bug or a constraint it could not meet: never hand out a half plan
            raise PlanError("the rules planner could not make a valid plan: " + "; ".join(map(str, report.errors)),
                            "refused", [p.to_dict() for p in report.errors])
        return Plan(planned.reasoning, workflow, "rules", 1, [str(w) for w in report.warnings])

    def profile(self, backend: str):
        """The profile (builder/profiles.py) model backend `backend` is talked to with."""
        from lego_edit.builder.profiles import resolve_profile

        cfg = self.config
        try:
            return resolve_profile(cfg.profile, cfg.local_model if backend == "local" else cfg.openai_model)
        except ValueError as exc:
            raise PlanError(str(exc), "bad_request") from None

    def chat_model(self, backend: str):
        """The model behind `backend`, created on first use (a local model loads only then)."""
        if backend not in self._models:
            cfg = self.config
            profile = self.profile(backend)
            if backend == "openai":
                from lego_edit.builder.openai_chat import OpenAIChat

                self._models[backend] = OpenAIChat(cfg.openai_base_url, cfg.openai_model, api_key=cfg.openai_api_key,
                                                   timeout=cfg.openai_timeout, max_tokens=cfg.max_new_tokens,
                                                   profile=profile)
            else:
                from lego_edit.builder.local_vlm import LocalVLM

                self._models[backend] = LocalVLM(cfg.local_model, device=cfg.device, dtype=cfg.dtype,
                                                 max_new_tokens=cfg.max_new_tokens, profile=profile,
                                                 lora=cfg.local_lora)
        return self._models[backend]

    def messages(self, backend: str, instruction: str, *, has_mask: bool, constraints: Sequence[Any] = (),
                 previous: Workflow | None = None) -> list[dict]:
        """The first messages model backend `backend` receives, rendered through its profile."""
        from lego_edit.builder.profiles import render_chat

        return render_chat(self.registry, instruction, has_mask=has_mask, constraints=constraints,
                           profile=self.profile(backend).name, previous=previous,
                           include_unavailable=self.config.include_unavailable)

    def _plan_with_model(self, backend: str, instruction: str, image: Any, has_mask: bool, constraints: list[Any],
                         checks: list[Any], inits: Sequence[str], previous: Workflow | None) -> Plan:
        from lego_edit.builder.chat import ChatModelError
        from lego_edit.builder.prompt import repair_prompt

        try:
            model = self.chat_model(backend)
        except ChatModelError as exc:
            raise PlanError(str(exc), "backend_error") from None
        messages = self.messages(backend, instruction, has_mask=has_mask, constraints=constraints, previous=previous)
        errors: list[Any] = []
        attempts = 1 + max(0, self.config.max_repairs)
        for attempt in range(1, attempts + 1):
            try:
                answer = model.complete(messages, image)
            except ChatModelError as exc:
                raise PlanError(str(exc), "backend_error") from None
            log.debug("builder %s attempt %d answered: %s", backend, attempt, answer)
            workflow, reasoning, errors = self._read_answer(answer, inits, checks, profile=self.profile(backend).name)
            if workflow is not None:
                return Plan(reasoning, workflow, backend, attempt, [])
            messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": repair_prompt(errors)}]
        raise PlanError(f"no valid workflow after {attempts} attempts; last problems: " + "; ".join(map(str, errors)),
                        "invalid_workflow", [p.to_dict() for p in errors])

    def _read_answer(self, answer: str, inits: Sequence[str], checks: list[Any], *, profile: str = "catalog"
                     ) -> tuple[Workflow | None, str, list[Any]]:
        """(workflow, reasoning, []) for a good answer, (None, reasoning, problems) otherwise; each problem
        is a checker Problem or an AnswerProblem, with its code. The reference profile's answers get the
        reference's own fix-ups first (profiles.reference_fixups)."""
        from lego_edit.builder.profiles import reference_fixups
        from lego_edit.builder.prompt import NO_JSON, NOT_A_WORKFLOW

        try:
            reasoning, _ = split_reasoning(answer)
            data = parse_json(answer)
        except WorkflowSyntaxError as exc:
            return None, "", [AnswerProblem(NO_JSON, f"no workflow JSON found ({exc})")]
        if isinstance(data, dict) and "refuse" in data and "pipeline" not in data:
            raise PlanError(f"the builder refused: {data['refuse']}", "refused")
        if profile == "reference":
            data = reference_fixups(data)
        try:
            workflow = Workflow.from_dict(data)
        except WorkflowSyntaxError as exc:
            return None, reasoning, [AnswerProblem(NOT_A_WORKFLOW, str(exc))]
        report = self._check(workflow, inits, checks)
        if not report.ok:
            return None, reasoning, report.errors
        return workflow, reasoning or workflow.process, []


def _as_check(constraint: Any):
    """A feedback constraint as a checker constraint (it judges the workflow's JSON form)."""
    return lambda workflow: constraint.violations(workflow.to_dict())


def _image_size(image: Any) -> tuple[int, int] | None:
    """(width, height) of a PIL image or an (h, w[, c]) array, None when unknown (aspect-ratio outpainting)."""
    size = getattr(image, "size", None)
    if isinstance(size, tuple) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size):
        return size[0], size[1]
    shape = getattr(image, "shape", None)
    if isinstance(shape, tuple) and len(shape) >= 2 and all(isinstance(v, int) and v > 0 for v in shape[:2]):
        return int(shape[1]), int(shape[0])
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- reachability of the model backends ------------------------------------------------------------------
_probes: dict[tuple[str, str], tuple[float, bool, str]] = {}
_probe_lock = threading.Lock()


def probe(backend: str, config: BuilderConfig, *, fresh: bool = False) -> tuple[bool, str]:
    """(usable, why not) for a configured model backend: for openai, does the endpoint answer HTTP at
    all; for local, is transformers installed and the model a folder or in the hub cache. Answers are
    kept for PROBE_TTL_S, so `auto` asks at most that often; `fresh` asks now."""
    key = (backend, config.openai_base_url if backend == "openai" else config.local_model)
    now = time.monotonic()
    with _probe_lock:
        cached = _probes.get(key)
    if cached is not None and not fresh and now - cached[0] < PROBE_TTL_S:
        return cached[1], cached[2]
    ok, why = _probe_openai(config.openai_base_url) if backend == "openai" else _probe_local(config.local_model)
    with _probe_lock:
        _probes[key] = (time.monotonic(), ok, why)
    return ok, why


def _probe_openai(base_url: str) -> tuple[bool, str]:
    import urllib.error
    import urllib.request

    url = base_url.rstrip("/") + "/models"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=PROBE_TIMEOUT_S):
            return True, ""
    except urllib.error.HTTPError:  # it answers, if not that path: a server is there
        return True, ""
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, (f"the openai model Builder at {base_url} was unreachable ({reason}): start the server or fix "
                       "builder.openai_base_url (LEGO_EDIT_OPENAI_BASE_URL)")


def _probe_local(model: str) -> tuple[bool, str]:
    import importlib.util

    if importlib.util.find_spec("transformers") is None:
        from lego_edit.bricks.models.extras import INSTALL_HINT

        return False, f"the local model Builder ({model}) needs transformers: {INSTALL_HINT}"
    from lego_edit.builder.local_vlm import model_folder

    if model_folder(model) is not None:
        return True, ""
    return False, (f"the local model Builder's model {model!r} is neither a folder holding config.json nor downloaded "
                   "(`lego-edit models pull builder`, or set builder.local_model / LEGO_EDIT_LOCAL_MODEL)")
