"""How the built-in bricks are built: explicitly, from model settings, with no import-time wiring."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from lego_edit.bricks.builtin import CLASSICAL, builtin_bricks
from lego_edit.bricks.builtin.catalog import ALL, BY_NAME
from lego_edit.bricks.models.backends import SPECS
from lego_edit.bricks.models.settings import ModelSettings
from lego_edit.bricks.registry import BrickSpec, Registry


def test_the_catalog_declares_frozen_specs_without_backends():
    assert all(isinstance(spec, BrickSpec) for spec in ALL)
    assert list(BY_NAME) == [spec.name for spec in ALL]
    assert not any(hasattr(spec, "backends") for spec in ALL)
    with pytest.raises(AttributeError):
        ALL[0].purpose = "changed"  # type: ignore[misc]


def test_builtin_bricks_are_new_objects_model_backends_first_then_classical():
    from lego_edit.bricks.models.backends import ENGINE_BRICKS
    from lego_edit.bricks.models.reference_backends import REFERENCE_BACKENDS

    MODEL = (*REFERENCE_BACKENDS, *SPECS)
    first, second = builtin_bricks(), builtin_bricks()
    assert [b.name for b in first] == [spec.name for spec in ALL]
    for a, b in zip(first, second, strict=True):
        assert a is not b and a.backends is not b.backends
        assert a.spec == BY_NAME[a.name]
        # the editing engine first, then the reference's own models, then the substitutes, then classical
        expected = ((["engine"] if a.name in ENGINE_BRICKS else []) + [s.name for s in MODEL if s.brick == a.name]
                    + [s.name for s in CLASSICAL if s.brick == a.name])
        assert [x.name for x in a.backends] == expected
        kinds = [x.kind for x in a.backends]
        assert kinds == sorted(kinds, key=lambda k: k != "model")  # every model backend before any classical one
    assert sum(len(b.backends) for b in first) == len(ENGINE_BRICKS) + len(MODEL) + len(CLASSICAL)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="the LaMa backend needs torch installed")
def test_two_registries_with_different_settings_coexist(tmp_path):
    lama = tmp_path / "lama"
    lama.mkdir()
    (lama / "big-lama.pt").write_bytes(b"weights")  # availability is judged from the files alone
    with_lama = Registry(builtin_bricks(ModelSettings(device="cpu", paths={"lama": str(lama)})))
    without = Registry(builtin_bricks(ModelSettings(device="cpu", cache_dir=str(tmp_path / "empty-cache"))))

    assert with_lama.get("FASTINPAINT").active_backend().name == "lama"
    assert without.get("FASTINPAINT").active_backend().name == "opencv"
    assert with_lama.get("FASTINPAINT") is not without.get("FASTINPAINT")

    # the process-wide settings do not reach registries built with their own
    from lego_edit.bricks.models import configure

    try:
        configure({"device": "cpu", "cache_dir": str(tmp_path / "other-cache")})
        with_lama.recheck()
        assert with_lama.get("FASTINPAINT").active_backend().name == "lama"
        (lama / "big-lama.pt").unlink()
        assert with_lama.get("FASTINPAINT").active_backend().name == "lama"  # cached for a few seconds ...
        with_lama.recheck()
        assert with_lama.get("FASTINPAINT").active_backend().name == "opencv"  # ... until rechecked
        assert without.get("FASTINPAINT").active_backend().name == "opencv"
    finally:
        configure({})


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="the LaMa backend needs torch installed")
def test_a_registry_without_settings_follows_configure(tmp_path):
    from lego_edit.bricks.models import configure

    lama = tmp_path / "lama"
    lama.mkdir()
    (lama / "big-lama.pt").write_bytes(b"weights")
    following = Registry(builtin_bricks())
    try:
        configure({"device": "cpu", "cache_dir": str(tmp_path / "empty-cache")})
        assert following.get("FASTINPAINT").active_backend().name == "opencv"
        configure({"device": "cpu", "paths": {"lama": str(lama)}})
        assert following.get("FASTINPAINT").active_backend().name == "lama"  # no recheck needed
    finally:
        configure({})


def test_the_declarations_import_without_the_image_stack():
    code = (
        "import sys, json\n"
        "import lego_edit.bricks.builtin.catalog, lego_edit.bricks.registry, lego_edit.bricks.refs\n"
        "import lego_edit.bricks.valuetype, lego_edit.bricks.builtin.vocab\n"
        "from lego_edit.bricks import Brick, BrickRole, BrickSpec, Port, ValueType\n"
        "from lego_edit.bricks.checker import ProblemCode\n"
        "print(json.dumps(sorted(m for m in ('numpy', 'cv2', 'torch', 'PIL') if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
