"""The registry: the 18 catalog bricks, honest availability, third-party bricks via entry points."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from lego_edit.bricks.executor import Executor, StepFailed
from lego_edit.bricks.registry import Registry
from lego_edit.bricks.workflow import Workflow

CATALOG = ["RES", "SOS", "MASK-SEG", "ADD-PRED", "CMI-PRED", "BBOX", "INVERSE", "COMPOSE", "RESIZE", "FASTINPAINT",
           "FLUX-INPAINT", "FLUX-FILL", "FLUX-RCM", "FLUX-CBG", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE", "FLUX-BRIGHT"]


def test_all_catalog_bricks_exist_with_typed_ports(registry):
    for name in CATALOG:
        brick = registry.get(name)
        assert brick is not None, name
        assert brick.purpose and brick.inputs and brick.outputs and brick.backends
    res = registry.get("RES")
    assert [(p.name, str(p.type)) for p in res.inputs] == [("image", "Image"), ("prompt", "Str")]
    assert [(p.name, str(p.type)) for p in res.outputs] == [("mask", "Mask"), ("image", "Image")]


def test_classical_backends_are_active_offline(registry):
    for name in ["RES", "SOS", "MASK-SEG", "BBOX", "INVERSE", "COMPOSE", "RESIZE", "FASTINPAINT", "FLUX-BRIGHT",
                 "FLUX-RCM", "FLUX-CBG", "FLUX-STYLE", "FLUX-ENV", "CMI-PRED"]:
        status = registry.get(name).status()
        assert status["available"], (name, status)


def test_unavailable_brick_says_what_fixes_it(registry):
    fill = registry.get("FLUX-FILL")
    status = fill.status()
    if status["available"]:
        pytest.skip("FLUX-FILL weights are installed on this machine")
    assert status["active_backend"] is None
    assert any(b["fix"].startswith("lego-edit models pull") for b in status["backends"])
    wf = Workflow.from_dict({"process": "fill", "pipeline": [
        {"step": 1, "model": "FLUX-FILL", "input": {"image": "init[image]", "mask": "init[mask]", "prompt": "a cat"},
         "output": {"image": "step1[image]"}}, {"result": "[step1[image]]"}]})
    image = np.zeros((32, 32, 4), np.uint8)
    with pytest.raises(StepFailed) as info:
        Executor(registry).run(wf, {"image": image, "mask": np.full((32, 32), 255, np.uint8)})
    assert info.value.unavailable and "lego-edit models pull" in str(info.value)


def test_third_party_bricks_register_through_entry_points(tmp_path, monkeypatch):
    pkg = tmp_path / "vignette_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent('''
        from lego_edit.bricks import Brick, Port, ValueType
        VIGNETTE = Brick("VIGNETTE", "Darken the corners.", (Port("image", ValueType.IMAGE),),
                         (Port("image", ValueType.IMAGE),))
        VIGNETTE.backend("numpy")(lambda ctx, image: {"image": image.copy()})
        def broken(registry):
            raise RuntimeError("this plug-in is broken")
    '''))
    dist = tmp_path / "vignette_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: vignette-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lego_edit.bricks]\nvignette = vignette_pkg:VIGNETTE\n"
                                           "broken = vignette_pkg:broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry()
    loaded = reg.load_entry_points()
    assert loaded == ["vignette"]  # the broken one is logged and skipped
    assert reg.get("VIGNETTE").status()["active_backend"] == "numpy"
    sys.modules.pop("vignette_pkg", None)
