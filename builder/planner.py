"""Plan, check, repair: the loop every Builder backend goes through."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lego_edit.bricks.checker import CheckReport, check
from lego_edit.bricks.registry import Registry
from lego_edit.bricks.workflow import Workflow, WorkflowSyntaxError, parse_json, split_reasoning

log = logging.getLogger("lego_edit.builder")

BACKENDS = ("rules", "local", "openai")


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

    backend: str = "rules"
    max_repairs: int = 2
    include_unavailable: bool = False  # list bricks with no usable backend in the prompt
    # local (transformers)
    local_model: str = ""  # a folder or a hub id already in the cache (downloads only via `models pull`)
    device: str = "auto"
    dtype: str = "auto"
    max_new_tokens: int = 1024
    image_long_side: int = 448
    # openai-compatible endpoint
    openai_base_url: str = "http://127.0.0.1:11434/v1"
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
        return cfg


class Builder:
    def __init__(self, registry: Registry, config: BuilderConfig | None = None) -> None:
        self.registry = registry
        self.config = config or BuilderConfig()
        self._models: dict[str, Any] = {}  # backend name -> loaded chat model, created on first use

    def plan(self, instruction: str, *, image: Any = None, mask: Any = None, feedback: Sequence[str] = (),
             previous: Workflow | None = None, backend: str | None = None) -> Plan:
        """A workflow that checks clean against the catalog and the feedback, or PlanError."""
        backend = backend or self.config.backend
        if backend not in BACKENDS:
            raise PlanError(f"unknown builder backend {backend!r} (choose from {', '.join(BACKENDS)})", "bad_request")
        instruction = (instruction or "").strip()
        if not instruction:
            raise PlanError("the instruction is empty", "refused")
        constraints = self.constraints(feedback)
        has_mask = mask is not None and (not hasattr(mask, "any") or bool(mask.any()))
        inits = ("image", "mask") if has_mask else ("image",)
        checks = [_as_check(c) for c in constraints]
        if backend == "rules":
            return self._plan_rules(instruction, has_mask, constraints, checks, inits, previous)
        return self._plan_with_model(backend, instruction, image, has_mask, constraints, checks, inits, previous)

    def constraints(self, feedback: Sequence[str]) -> list[Any]:
        from lego_edit.builder.feedback import parse_feedback

        found: list[Any] = []
        for text in feedback:
            if not text or not text.strip():
                continue
            try:
                found.extend(parse_feedback(text, self.registry))
            except ValueError as exc:
                raise PlanError(str(exc), "bad_feedback") from None
        return found

    def _check(self, workflow: Workflow, inits: Sequence[str], checks: Sequence[Any]) -> CheckReport:
        return check(workflow, self.registry, inits=inits, constraints=checks)

    def _plan_rules(self, instruction: str, has_mask: bool, constraints: list[Any], checks: list[Any],
                    inits: Sequence[str], previous: Workflow | None) -> Plan:
        from lego_edit.builder.rules import PlanRefused, plan_rules

        try:
            planned = plan_rules(instruction, has_mask=has_mask, constraints=constraints,
                                 previous=previous.to_dict() if previous is not None else None,
                                 registry=self.registry)
        except PlanRefused as exc:
            raise PlanError(str(exc), "refused") from None
        workflow = Workflow.from_dict(planned.workflow)
        report = self._check(workflow, inits, checks)
        if not report.ok:  # a planner bug or a constraint it could not meet: never hand out a half plan
            raise PlanError("the rules planner could not make a valid plan: " + "; ".join(map(str, report.errors)),
                            "refused", [p.to_dict() for p in report.errors])
        return Plan(planned.reasoning, workflow, "rules", 1, [str(w) for w in report.warnings])

    def chat_model(self, backend: str):
        """The model behind `backend`, created on first use (a local model loads only then)."""
        if backend not in self._models:
            cfg = self.config
            if backend == "openai":
                from lego_edit.builder.openai_chat import OpenAIChat

                self._models[backend] = OpenAIChat(cfg.openai_base_url, cfg.openai_model, api_key=cfg.openai_api_key,
                                                   timeout=cfg.openai_timeout, image_long_side=cfg.image_long_side,
                                                   max_tokens=cfg.max_new_tokens)
            else:
                from lego_edit.builder.local_vlm import LocalVLM

                self._models[backend] = LocalVLM(cfg.local_model, device=cfg.device, dtype=cfg.dtype,
                                                 max_new_tokens=cfg.max_new_tokens, image_long_side=cfg.image_long_side)
        return self._models[backend]

    def system_prompt(self) -> str:
        from lego_edit.builder.examples import worked_examples
        from lego_edit.builder.prompt import system_prompt

        return system_prompt(self.registry, include_unavailable=self.config.include_unavailable,
                             examples=worked_examples())

    def _plan_with_model(self, backend: str, instruction: str, image: Any, has_mask: bool, constraints: list[Any],
                         checks: list[Any], inits: Sequence[str], previous: Workflow | None) -> Plan:
        from lego_edit.builder.chat import ChatModelError
        from lego_edit.builder.prompt import repair_prompt, user_prompt

        try:
            model = self.chat_model(backend)
        except ChatModelError as exc:
            raise PlanError(str(exc), "backend_error") from None
        messages = [{"role": "system", "content": self.system_prompt()},
                    {"role": "user", "content": user_prompt(instruction, has_mask=has_mask, constraints=constraints,
                                                            previous=previous)}]
        errors: list[Any] = []
        attempts = 1 + max(0, self.config.max_repairs)
        for attempt in range(1, attempts + 1):
            try:
                answer = model.complete(messages, image)
            except ChatModelError as exc:
                raise PlanError(str(exc), "backend_error") from None
            log.debug("builder %s attempt %d answered: %s", backend, attempt, answer)
            workflow, reasoning, errors = self._read_answer(answer, inits, checks)
            if workflow is not None:
                return Plan(reasoning, workflow, backend, attempt, [])
            messages += [{"role": "assistant", "content": answer}, {"role": "user", "content": repair_prompt(errors)}]
        raise PlanError(f"no valid workflow after {attempts} attempts; last problems: " + "; ".join(map(str, errors)),
                        "invalid_workflow", [p.to_dict() for p in errors])

    def _read_answer(self, answer: str, inits: Sequence[str], checks: list[Any]) -> tuple[Workflow | None, str, list[Any]]:
        """(workflow, reasoning, []) for a good answer, (None, reasoning, problems) otherwise; each problem
        is a checker Problem or an AnswerProblem, with its code."""
        from lego_edit.builder.prompt import NO_JSON, NOT_A_WORKFLOW

        try:
            reasoning, _ = split_reasoning(answer)
            data = parse_json(answer)
        except WorkflowSyntaxError as exc:
            return None, "", [AnswerProblem(NO_JSON, f"no workflow JSON found ({exc})")]
        if isinstance(data, dict) and "refuse" in data and "pipeline" not in data:
            raise PlanError(f"the builder refused: {data['refuse']}", "refused")
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
