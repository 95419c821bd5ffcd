"""ModelSettings from the [models] table, and the light-import promise (no torch at CLI/daemon start)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_from_mapping_reads_the_config_table():
    from lego_edit.bricks.models import ModelSettings

    s = ModelSettings.from_mapping({"device": "cuda:1", "dtype": {"cuda": "float16"}, "vram_budget": "8GiB",
                                    "offload": "model", "quantization": "bnb-4bit", "idle_unload_seconds": 30,
                                    "paths": {"lama": "/models/big-lama"}, "cache_dir": "",
                                    "options": {"flux-fill": {"steps": 20}}})
    assert s.vram_budget_bytes == 8 * 1024**3 and s.offload == "model" and s.cache_dir is None
    assert s.dtype_name("cuda") == "float16" and s.dtype_name("cpu") == "auto"
    assert s.option("flux-fill", "steps", 28) == 20 and s.option("lama", "steps", 1) == 1
    assert ModelSettings.from_mapping({"vram_budget_bytes": 1000}).vram_budget_bytes == 1000
    assert ModelSettings.from_mapping({"vram_budget_bytes": "7.5GB"}).vram_budget_bytes == 7_500_000_000
    assert ModelSettings.from_mapping(None) == ModelSettings()


@pytest.mark.parametrize("table, words", [
    ({"ofload": "model"}, "unknown setting"),
    ({"offload": "disk"}, "offload"),
    ({"quantization": "int3"}, "quantization"),
    ({"device": "tpu"}, "device"),
    ({"dtype": "float8"}, "dtype"),
    ({"vram_budget": "lots"}, "cannot read"),
    ({"paths": {"lamma": "/x"}}, "unknown model"),
])
def test_bad_settings_are_refused_with_the_key(table, words):
    from lego_edit.bricks.models import ModelSettings, SettingsError

    with pytest.raises(SettingsError, match=words):
        ModelSettings.from_mapping(table)


@pytest.mark.models  # `models list` reads the Hugging Face cache through huggingface_hub
def test_catalog_and_models_cli_do_not_import_torch(tmp_path):
    code = ("import sys\n"
            "from lego_edit.daemon.cli import main, build_parser\n"
            "build_parser()\n"
            "from lego_edit.bricks import default_registry\n"
            "default_registry().catalog()\n"
            "assert main(['models', 'list', '--json']) == 0\n"
            "heavy = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    env = {"HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_vlm_answers_become_boxes():
    from lego_edit.bricks.models.vlm import _fit_into, parse_box

    shown, original = (448, 336), (1024, 768)
    assert parse_box('```json\n[{"bbox_2d": [112, 84, 224, 168], "label": "hat"}]\n```', shown, original) == \
        (256.0, 192.0, 512.0, 384.0)
    assert parse_box("<|box_start|>(250,500),(500,750)<|box_end|>", shown, original) == (256.0, 384.0, 512.0, 576.0)
    assert parse_box("[0.5, 0.5, 0.25, 0.25]", shown, original) == (256.0, 192.0, 512.0, 384.0)
    assert parse_box("I cannot tell.", shown, original) is None
    assert parse_box('{"bbox_2d": [10, 10, 10, 40]}', shown, original) is None  # no width
    # a box outside the user's region is moved into it, bottom-aligned, shrunk to fit
    assert _fit_into((0, 0, 100, 50), (200, 100, 260, 300)) == (200.0, 250.0, 260.0, 300.0)


def test_lego_lora_files_and_presets_are_known_models():
    from lego_edit.bricks.models.known import KNOWN, LORA_FILES, PRESETS, expand

    assert all(name in KNOWN for preset in PRESETS.values() for name in preset)
    assert expand(["grounded-sam", "sam", "low-vram"])[:3] == ["grounding-dino", "sam", "clipseg"]
    assert LORA_FILES["rcm"] in KNOWN["lego-loras"].required
    assert not KNOWN["lego-loras"].commercial and "CC BY-NC" in KNOWN["lego-loras"].licence
