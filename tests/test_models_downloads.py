"""`lego-edit models list | pull | verify | remove` against a fake huggingface_hub cache (no network here)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("huggingface_hub")



def safetensors_bytes(n_floats: int = 4) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n_floats], "data_offsets": [0, 4 * n_floats]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\0" * (4 * n_floats)


def torchscript_like() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("big-lama/data.pkl", b"stand-in")
    return buffer.getvalue()


def fake_repo(cache: Path, repo_id: str, files: dict[str, bytes]) -> Path:
    """A repository laid out as huggingface_hub writes it: refs/main, blobs/<sha256>, snapshots/<commit>/ links."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()  # commits are unique across repositories
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    for rel, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(exist_ok=True)
        blob.write_bytes(data)
        link = repo / "snapshots" / commit / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return repo


@pytest.fixture()
def hf(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user config.toml
    monkeypatch.delenv("LEGO_EDIT_CONFIG", raising=False)
    cache = tmp_path / "hf" / "hub"
    cache.mkdir(parents=True)
    yield cache
    from lego_edit.bricks.models import configure

    configure({})


def cli(capsys, *args: str) -> tuple[int, str, str]:
    from lego_edit.daemon.cli import main

    code = main(["models", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def listing(capsys) -> dict:
    code, out, _ = cli(capsys, "list", "--json")
    assert code == 0
    return json.loads(out)


def lama_files() -> dict[str, bytes]:
    return {"big-lama.pt": torchscript_like()}


def sam_files(weights: bytes | None = None) -> dict[str, bytes]:
    return {"config.json": b"{}", "preprocessor_config.json": b"{}", "model.safetensors": weights or safetensors_bytes()}


def test_list_shows_every_model_and_model_backend(hf, capsys):
    data = listing(capsys)
    assert {m["name"] for m in data["models"]} >= {"grounding-dino", "sam", "clipseg", "lama", "flux-fill", "sd-upscaler",
                                                   "lego-loras", "sd-inpaint", "captioner", "vlm"}
    assert all(m["status"] == "missing" for m in data["models"])
    flux = next(m for m in data["models"] if m["name"] == "flux-fill")
    assert flux["gated"] and not flux["commercial"] and "Non-Commercial" in flux["licence"]
    bricks = {b["name"]: b for b in data["bricks"]}
    assert set(bricks) == {"RES", "SOS", "MASK-SEG", "ADD-PRED", "CMI-PRED", "FASTINPAINT", "FLUX-INPAINT",
                           "FLUX-FILL", "FLUX-RCM", "FLUX-CBG", "FLUX-STYLE", "FLUX-ENV", "FLUX-POSE", "EDIT", "UPSCALE"}
    lama = bricks["FASTINPAINT"]["backends"][0]
    assert lama["name"] == "lama" and not lama["available"] and lama["fix"] == "lego-edit models pull lama"
    code, out, _ = cli(capsys, "list")
    assert code == 0 and "FLUX-RCM" in out and "lego-edit models pull flux-fill lego-loras" in out


def test_present_weights_switch_the_brick(hf, capsys, registry):
    fake_repo(hf, "fashn-ai/LaMa", lama_files())
    data = listing(capsys)
    assert next(m for m in data["models"] if m["name"] == "lama")["status"] == "present"
    from lego_edit.bricks.models.locate import package_installed

    if package_installed("torch"):
        assert registry.get("FASTINPAINT").active_backend().name == "lama"
    code, out, _ = cli(capsys, "verify", "lama")
    assert code == 0 and "lama: OK (1 files" in out


def test_verify_finds_truncated_missing_and_interrupted_files(hf, capsys):
    whole = safetensors_bytes(64)
    repo = fake_repo(hf, "facebook/sam-vit-base", sam_files(whole[:-10]))
    code, out, _ = cli(capsys, "verify", "sam")
    assert code == 1 and "model.safetensors: size" in out and "truncated" in out
    (repo / "blobs" / "deadbeef.incomplete").write_bytes(b"partial")
    code, out, _ = cli(capsys, "verify", "sam")
    assert "interrupted download" in out and "pull sam" in out
    index = {"weight_map": {"a": "diffusion_pytorch_model-00001-of-00002.safetensors",
                            "b": "diffusion_pytorch_model-00002-of-00002.safetensors"}}
    fake_repo(hf, "black-forest-labs/FLUX.1-Fill-dev", {
        "transformer/diffusion_pytorch_model.safetensors.index.json": json.dumps(index).encode(),
        "transformer/diffusion_pytorch_model-00001-of-00002.safetensors": safetensors_bytes()})
    code, out, _ = cli(capsys, "verify", "flux-fill")
    assert code == 1 and "missing transformer/diffusion_pytorch_model-00002-of-00002.safetensors" in out
    code, out, _ = cli(capsys, "verify")  # everything: reports, fails because sam and flux-fill are broken
    assert code == 1 and "grounding-dino: not downloaded" in out


def test_remove_whole_repo_and_shared_repo(hf, capsys):
    from huggingface_hub import scan_cache_dir

    fake_repo(hf, "fashn-ai/LaMa", lama_files())
    fake_repo(hf, "xiaomi-research/lego-edit", {"loras/mat768.safetensors": safetensors_bytes(8),
                                                "loras/env768.safetensors": safetensors_bytes(16),
                                                "Builder/config.json": b"{\"a\": 1}"})
    code, out, _ = cli(capsys, "remove", "lama", "lego-loras")
    assert code == 0 and "lama: removed" in out and "lego-loras: removed" in out
    repos = {r.repo_id: r for r in scan_cache_dir(hf).repos}
    assert "fashn-ai/LaMa" not in repos
    left = {f.file_name for rev in repos["xiaomi-research/lego-edit"].revisions for f in rev.files}
    assert left == {"config.json"}  # the Builder stays
    code, out, _ = cli(capsys, "remove", "lama")
    assert code == 0 and "not in the cache" in out


def test_pull_offline_and_errors_are_clear(hf, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = cli(capsys, "pull", "lama")
    assert code == 1 and "HF_HUB_OFFLINE is set" in err and "[models.paths] lama" in err
    fake_repo(hf, "fashn-ai/LaMa", lama_files())
    code, out, _ = cli(capsys, "pull", "lama")  # already here: offline is no obstacle
    assert code == 0 and "lama: ready" in out
    code, _, err = cli(capsys, "pull", "--preset", "low-vram")
    assert code == 1 and "could not pull clipseg, sam, flux2-klein-4b, sd-inpaint, captioner" in err
    code, _, err = cli(capsys, "pull", "no-such-model")
    assert code == 1 and "unknown model 'no-such-model'" in err
    code, _, err = cli(capsys, "pull")
    assert code == 1 and "--preset" in err


def test_configured_folder_is_used_not_downloaded(hf, capsys, tmp_path, monkeypatch):
    folder = tmp_path / "my-lama"
    folder.mkdir()
    config = tmp_path / "config.toml"
    config.write_text(f'[models]\npaths = {{ lama = "{folder}" }}\n')
    code, _, err = cli(capsys, "pull", "lama", "--config", str(config))
    assert code == 1 and "configured as the local folder" in err and "big-lama.pt" in err
    (folder / "big-lama.pt").write_bytes(torchscript_like())
    code, out, _ = cli(capsys, "pull", "lama", "--config", str(config))
    assert code == 0 and str(folder) in out
    code, _, err = cli(capsys, "remove", "lama", "--config", str(config))
    assert code == 1 and "does not delete your folders" in err and (folder / "big-lama.pt").exists()


def test_gated_repository_message(hf):
    from lego_edit.bricks.models.hub import _gated_message
    from lego_edit.bricks.models.known import KNOWN

    text = _gated_message(KNOWN["flux-fill"], "black-forest-labs/FLUX.1-Fill-dev")
    assert "https://huggingface.co/black-forest-labs/FLUX.1-Fill-dev" in text and "hf auth login" in text
