"""Choosing the editing engine and its VRAM preset from the card, the licence setting and what is
downloaded; what `models list` and `doctor` say about it. No torch: this runs in the base install."""

from __future__ import annotations

from pathlib import Path

import pytest

from lego_edit.bricks.models.engines.catalog import ENGINES, VRAM_PRESETS
from lego_edit.bricks.models.engines.choose import Gpu, choose, preset_for_card, recommend
from lego_edit.bricks.models.settings import ModelSettings, SettingsError


def card(free: float) -> Gpu:
    return Gpu("Test card", free, free)


def only(*names: str):
    return lambda e: e.name in names


@pytest.mark.parametrize(("free", "engine", "preset"), [
    (80.0, "qwen-image-edit-plus", "full"),
    (24.0, "qwen-image-edit-plus", "standard"),
    (16.0, "flux2-klein-9b", "standard"),
    (12.0, "flux2-klein-4b", "standard"),
    (7.0, "flux2-klein-9b", None),  # nothing fits in bf16 or 8-bit: 4-bit with offload, the preferred one that fits
])
def test_auto_picks_by_free_vram_with_everything_downloaded(free, engine, preset):
    choice = recommend(ModelSettings(), card(free))
    if preset is None:  # 7 GB: klein 9B needs 10 in low-vram, klein 4B 6 -> klein 4B in low-vram
        assert (choice.engine.name, choice.preset) == ("flux2-klein-4b", "low-vram")
        assert "only 4-bit" in choice.reason
        return
    assert (choice.engine.name, choice.preset) == (engine, preset)
    assert f"{free:.1f} GB free" in choice.reason and "Test card" in choice.reason


def test_the_smallest_preset_fits_a_12_gb_card():
    assert min(e.vram_gb["low-vram"] for e in ENGINES.values() if e.kind.value == "instruct") <= 12
    assert recommend(ModelSettings(), card(12.0)).engine is not None
    assert [preset_for_card(f) for f in (8, 12, 20, 24, 40)] == ["low-vram", "low-vram", "standard", "standard", "full"]
    assert VRAM_PRESETS["low-vram"].quantization == "bnb-4bit" and VRAM_PRESETS["low-vram"].offload == "model"
    assert VRAM_PRESETS["standard"].offload == "model" and VRAM_PRESETS["full"].quantization == "none"


def test_permissive_licence_leaves_out_non_commercial_weights():
    permissive = ModelSettings(licence="permissive")
    here = only("flux2-klein-9b", "flux1-kontext", "flux2-klein-4b")
    assert choose(ModelSettings(), gpu=card(40), present=here, instruct_only=True).engine.name == "flux2-klein-9b"
    assert choose(permissive, gpu=card(40), present=here, instruct_only=True).engine.name == "flux2-klein-4b"
    none = choose(permissive, gpu=card(40), present=only("flux2-klein-9b", "flux1-kontext"), instruct_only=True)
    assert none.engine is None and "permissive licence" in none.reason
    named = choose(ModelSettings(engine="flux1-kontext", licence="permissive"), gpu=card(40), present=here)
    assert named.engine is None and "non-commercial" in named.reason


def test_configured_engine_and_preset_and_no_gpu():
    fixed = ModelSettings(engine="flux2-klein-4b", vram_preset="low-vram")
    choice = choose(fixed, gpu=card(80), present=only("flux2-klein-4b"))
    assert (choice.engine.name, choice.preset) == ("flux2-klein-4b", "low-vram")
    missing = choose(ModelSettings(engine="qwen-image-edit"), gpu=card(80), present=only("flux2-klein-4b"))
    assert missing.engine is None and "models pull qwen-image-edit" in missing.reason
    cpu = choose(ModelSettings(), gpu=None, present=only("flux2-klein-4b", "qwen-image-edit"), instruct_only=True)
    assert (cpu.engine.name, cpu.preset) == ("flux2-klein-4b", None) and "allow_cpu" in cpu.reason
    # auto keeps FLUX.1 Fill / SD for their own backends (the Lego-Edit LoRAs) unless named
    assert choose(ModelSettings(), gpu=card(80), present=only("flux1-fill"), instruct_only=True).engine is None
    assert choose(ModelSettings(engine="flux1-fill"), gpu=card(80), present=only("flux1-fill")).engine.name == "flux1-fill"


@pytest.mark.parametrize(("key", "value"), [("engine", "flux3"), ("licence", "free"), ("vram_preset", "huge")])
def test_bad_engine_settings_name_the_key(key, value):
    with pytest.raises(SettingsError, match=f"models.{key}"):
        ModelSettings.from_mapping({key: value})


def test_models_list_shows_engines_and_the_reference_models(tmp_path: Path, monkeypatch, capsys):
    pytest.importorskip("huggingface_hub")
    import json

    from lego_edit.daemon.cli import main

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    (tmp_path / "config.toml").write_text("[models]\n")
    monkeypatch.setenv("LEGO_EDIT_CONFIG", str(tmp_path / "config.toml"))
    assert main(["models", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    engines = {e["name"]: e for e in data["engines"]}
    assert set(engines) == set(ENGINES)
    assert engines["flux2-klein-4b"]["licence"] == "Apache-2.0" and engines["flux2-klein-4b"]["commercial"]
    assert engines["qwen-image-edit"]["commercial"] and not engines["flux2-klein-9b"]["commercial"]
    assert engines["flux2-klein-4b"]["vram_gb"]["low-vram"] <= 12
    models = {m["name"]: m for m in data["models"]}
    assert not models["evf-sam"]["wired"]  # the reference's RES: custom code, listed with its files and licence
    for name in ("mibg-matting", "mimo-lora", "flux-canny"):
        assert models[name]["wired"] and not models[name]["commercial"]
    assert any(line.startswith("engine (auto):") for line in data["engine_choice"])
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "Editing engines" in out and "flux2-klein-4b" in out and "VRAM: full 17 GB" in out
    assert "not yet wired" in out and "engine (auto): none" in out


def test_builder_pull_names_its_folder():
    from lego_edit.bricks.models.known import KNOWN
    from lego_edit.daemon.cli.models import _model_folder

    root = Path("/cache/snapshots/abc")
    assert _model_folder(root, KNOWN["builder"].allow_patterns) == root / "Builder"
    assert _model_folder(root, KNOWN["flux-fill"].allow_patterns) == root
    assert _model_folder(root, None) == root


def test_loading_preset_follows_the_settings():
    """What an engine is loaded with: explicit quantization/offload win, a named VRAM preset applies on a
    GPU, nothing on the CPU."""
    from types import SimpleNamespace

    pytest.importorskip("numpy")
    from lego_edit.bricks.models.engines.runtime import loading_preset

    klein = ENGINES["flux2-klein-4b"]
    gpu = SimpleNamespace(device="cuda", settings=ModelSettings(vram_preset="low-vram"))
    assert loading_preset(gpu, klein) == ("bnb-4bit", "model")
    assert loading_preset(SimpleNamespace(device="cuda", settings=ModelSettings(vram_preset="full")), klein) == \
        ("none", "none")
    explicit = SimpleNamespace(device="cuda", settings=ModelSettings(vram_preset="low-vram", offload="sequential"))
    assert loading_preset(explicit, klein) == ("none", "sequential")
    assert loading_preset(SimpleNamespace(device="cpu", settings=ModelSettings(vram_preset="low-vram")), klein) == \
        ("none", "none")
