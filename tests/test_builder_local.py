"""The `local` Builder backend end to end with a tiny random Qwen2.5-VL built offline: real
transformers loading (local_files_only), image preprocessing (PIL processor), greedy generate,
then parse -> check -> repair. Random weights write gibberish, so the plan must end in a clear
invalid_workflow error after the bounded repairs, never a half plan."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.models

@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    from tests.tiny_models import qwen_vl

    return qwen_vl(tmp_path_factory.mktemp("tiny-qwen2.5-vl"))


def test_local_backend_generates_parses_and_repairs(registry, tiny_qwen, caplog):
    from lego_edit.builder import Builder, BuilderConfig, PlanError

    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(tiny_qwen), device="cpu",
                                              max_new_tokens=12, max_repairs=1))
    image = np.random.default_rng(0).integers(0, 255, (300, 500, 4), dtype=np.uint8)
    caplog.set_level(logging.DEBUG, logger="lego_edit.builder")
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=image)
    assert info.value.code == "invalid_workflow"
    assert "after 2 attempts" in str(info.value)
    assert info.value.problems and all(p["code"] for p in info.value.problems)  # the last answer's, with codes
    answers = [r for r in caplog.records if "answered" in r.getMessage()]
    assert len(answers) == 2  # one generate, one repair round, both through the real model


def test_local_backend_without_weights_is_a_clear_error(registry, tmp_path):
    from lego_edit.builder import Builder, BuilderConfig, PlanError

    builder = Builder(registry, BuilderConfig(backend="local", local_model=str(tmp_path / "nothing-here")))
    with pytest.raises(PlanError) as info:
        builder.plan("make it brighter", image=np.zeros((8, 8, 4), np.uint8))
    assert info.value.code == "backend_error" and "models pull builder" in str(info.value)
