"""Stage 3's reward: run the generated workflow, ask the judge how well the result does the instruction.

Per answer: `valid` is 1 when the workflow checks clean (as in training.rewards), else 0. `critic`
is the judge's overall score (0..1) for the result the Executor made from the example's image —
or `critic.failure_reward` when there is nothing to judge or no verdict: an answer with no valid
workflow, a refusal, a step that fails, a run longer than `critic.timeout_s` (cancelled, not waited
for), a judge whose answer cannot be read or who cannot be reached. Nothing here raises into the
trainer; each failure is counted in `CriticReward.failures` by reason.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import numpy as np

from lego_edit.training.config import CriticConfig
from lego_edit.training.rewards import completion_text, is_valid, read_answer

log = logging.getLogger("lego_edit.training.critic")


def make_critic_judge(cfg: CriticConfig):
    from lego_edit.evaluation.judge import JudgeConfig, make_judge

    judge = make_judge(cfg.kind, JudgeConfig(base_url=cfg.base_url, model=cfg.model, api_key=cfg.api_key,
                                             local_model=cfg.local_model))
    if judge is None:
        raise ValueError("stage 3 needs a judge: set critic.kind to openai or local")
    return judge


@dataclass
class Outcome:
    """One answer's stage-3 reward parts and why the critic part is what it is."""

    valid: float
    critic: float
    reason: str  # "judged" or the failure


def final_image(result: Any) -> np.ndarray | None:
    """The last image (H x W x 4) in a run's result list."""
    for _, value in reversed(result.result):
        if isinstance(value, np.ndarray) and value.ndim == 3:
            return value
    return None


class CriticReward:
    def __init__(self, registry: Any, judge: Any, cfg: CriticConfig, *, executor: Any = None) -> None:
        from lego_edit.bricks.executor import Executor

        self.registry, self.judge, self.cfg = registry, judge, cfg
        self.executor = executor if executor is not None else Executor(registry)
        self._runner = ThreadPoolExecutor(max_workers=2, thread_name_prefix="critic-run")
        self.failures: Counter = Counter()
        self._images: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}

    def _inputs(self, image_path: str, mask_path: str) -> tuple[np.ndarray, np.ndarray | None]:
        key = f"{image_path}\x00{mask_path}"
        if key not in self._images:
            from lego_edit.bricks.imageio import load_image, load_mask

            self._images[key] = (load_image(image_path), load_mask(mask_path) if mask_path else None)
        return self._images[key]

    def execute(self, workflow: dict[str, Any], image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """The workflow's final image; TimeoutError past the limit (the run is cancelled)."""
        from lego_edit.bricks.workflow import Workflow

        cancel = threading.Event()
        future = self._runner.submit(self.executor.run, Workflow.from_dict(workflow), {"image": image, "mask": mask},
                                     cancel=cancel)
        try:
            result = future.result(timeout=self.cfg.timeout_s)
        except FutureTimeout:
            cancel.set()
            raise TimeoutError(f"the workflow ran longer than {self.cfg.timeout_s:g} s") from None
        out = final_image(result)
        if out is None:
            raise ValueError("the workflow's result holds no image")
        return out

    def score(self, text: str, instruction: str, image_path: str, mask_path: str = "") -> Outcome:
        from lego_edit.bricks.executor import StepFailed

        fail = float(self.cfg.failure_reward)
        answer = read_answer(text)
        if answer.workflow is None:
            return self._failed(0.0, fail, "refused" if answer.refusal is not None else "unparseable")
        try:
            image, mask = self._inputs(image_path, mask_path)
        except Exception as exc:  # an unreadable source image is the data's fault, not the answer's
            log.warning("critic: cannot read %s: %s", image_path, exc)
            return self._failed(0.0, fail, "unreadable_image")
        if not is_valid(answer.workflow, self.registry, has_mask=mask is not None):
            return self._failed(0.0, fail, "invalid")
        try:
            result = self.execute(answer.workflow, image, mask)
        except TimeoutError:
            return self._failed(1.0, fail, "timeout")
        except StepFailed:
            return self._failed(1.0, fail, "step_failed")
        except Exception as exc:  # a brick's own bug must not end the training run
            log.warning("critic: the workflow could not run: %s", exc)
            return self._failed(1.0, fail, "run_error")
        try:
            verdict = self.judge.judge(instruction, image, result, protocol=self.cfg.protocol)
        except Exception as exc:  # the judge unreachable or failing: a defined reward, the run goes on
            log.warning("critic: the judge gave no verdict: %s", exc)
            return self._failed(1.0, fail, "judge_error")
        if verdict.parse_failed or verdict.overall is None:
            return self._failed(1.0, fail, "judge_unreadable")
        return Outcome(1.0, float(min(1.0, max(0.0, verdict.overall))), "judged")

    def _failed(self, valid: float, critic: float, reason: str) -> Outcome:
        self.failures[reason] += 1
        return Outcome(valid, critic, reason)

    def functions(self) -> list[Any]:
        """The TRL reward functions `valid` and `critic`, scoring each answer once per batch."""
        cache: dict[int, list[Outcome]] = {}

        def outcomes(completions: list[Any], columns: dict[str, Any]) -> list[Outcome]:
            key = id(completions)
            if key not in cache:
                cache.clear()
                n = len(completions)
                col = {k: (v if isinstance(v, list) and len(v) == n else [None] * n) for k, v in columns.items()}
                cache[key] = [self.score(completion_text(c), str(col["instruction"][i] or ""),
                                         str(col["image_path"][i] or ""), str(col["mask_path"][i] or ""))
                              for i, c in enumerate(completions)]
            return cache[key]

        def valid(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float]:
            return [o.valid for o in outcomes(completions, columns)]

        def critic(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float]:
            return [o.critic for o in outcomes(completions, columns)]

        return [valid, critic]
