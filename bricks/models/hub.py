"""Downloads, checks and removal of the known checkpoints, through huggingface_hub.

This is the only code that downloads anything. `pull` uses `snapshot_download` (resumable: an
interrupted file continues where it stopped; progress bars on a terminal) into the hub cache, or
does nothing for a model configured as a local folder. HF_HUB_OFFLINE is honoured before any
connection is tried. Gated repositories (FLUX.1 Fill) answer with the licence page to accept.
"""

from __future__ import annotations

import fnmatch
import json
import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lego_edit.bricks.models.extras import INSTALL_HINT
from lego_edit.bricks.models.known import KNOWN, ModelSpec
from lego_edit.bricks.models.locate import Source, hub_cache_dir, missing_files, missing_reason, root_folder, source
from lego_edit.bricks.models.settings import ModelSettings


class DownloadError(Exception):
    """A pull, verify or remove could not be done; the message says why and what to do."""


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _repo_dir(src: Source, settings: ModelSettings) -> Path:
    return hub_cache_dir(settings) / ("models--" + str(src.repo_id).replace("/", "--"))


def _gated_message(spec: ModelSpec, repo_id: str) -> str:
    return (f"{repo_id} is a gated repository: accept its licence ({spec.licence}) at https://huggingface.co/{repo_id} "
            "with your Hugging Face account, then log in here with `hf auth login` (or set HF_TOKEN) and pull again")


def pull(name: str, settings: ModelSettings, *, progress: bool = True) -> Path:
    """Download model `name` (only its files: allow_patterns) and return its local folder."""
    spec = KNOWN[name]
    src = source(name, settings)
    if src.folder is not None:
        reason = missing_reason(name, settings)
        if reason:
            raise DownloadError(f"{name} is configured as the local folder {src.folder}, which pull does not fill: "
                                f"{reason}. Copy the files of {spec.hub_page} there, or remove the path from the config")
        return src.folder
    if offline():
        if missing_reason(name, settings) is None:
            return root_folder(src, settings) or _repo_dir(src, settings)
        raise DownloadError(f"HF_HUB_OFFLINE is set, so {name} ({src.repo_id}) cannot be downloaded. Unset it to "
                            f"download, or put the files in a folder and set [models.paths] {name} = \"/that/folder\"")
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import (
            GatedRepoError,
            HfHubHTTPError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError as exc:
        raise DownloadError(f"huggingface_hub is not installed ({exc}); {INSTALL_HINT}") from exc
    cache_dir = str(hub_cache_dir(settings))
    allow_patterns = list(spec.allow_patterns) if spec.allow_patterns else None
    if not progress:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    try:
        folder = Path(snapshot_download(str(src.repo_id), revision=spec.revision, cache_dir=cache_dir,
                                        allow_patterns=allow_patterns))
    except GatedRepoError as exc:
        raise DownloadError(_gated_message(spec, str(src.repo_id))) from exc
    except RepositoryNotFoundError as exc:
        raise DownloadError(f"{src.repo_id} was not found on the hub (or it is private: log in with `hf auth login`)") from exc
    except RevisionNotFoundError as exc:
        raise DownloadError(f"{src.repo_id} has no revision {spec.revision!r}") from exc
    except LocalEntryNotFoundError as exc:
        raise DownloadError(f"cannot reach the Hugging Face hub to download {name} ({src.repo_id}): {exc}") from exc
    except HfHubHTTPError as exc:
        raise DownloadError(f"the hub refused the download of {name} ({src.repo_id}): {exc}") from exc
    except OSError as exc:  # connection errors, disk full, permissions
        raise DownloadError(f"downloading {name} ({src.repo_id}) failed: {exc}") from exc
    missing = missing_files(src, settings)
    if missing:
        raise DownloadError(f"{name} downloaded, but {', '.join(missing[:3])} are not in {src.repo_id}: "
                            "the repository changed; set [models.paths] to a folder with the expected layout")
    return folder


# -- verify ---------------------------------------------------------------------------------------

@dataclass
class Report:
    name: str
    source: str
    present: bool
    problems: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.present and not self.problems


def _model_files(root: Path, spec: ModelSpec) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if spec.allow_patterns and not any(fnmatch.fnmatch(rel, p) for p in spec.allow_patterns):
            continue
        files.append(path)
    return files


def check_safetensors(path: Path) -> str | None:
    """A truncated or corrupt .safetensors file: its header must parse and its tensors end at the file's end."""
    size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            (length,) = struct.unpack("<Q", fh.read(8))
            if length > size - 8 or length > 100_000_000:
                return "header length exceeds the file"
            header = json.loads(fh.read(length))
    except (OSError, ValueError, struct.error) as exc:
        return f"unreadable header ({exc})"
    end = max((v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"), default=0)
    if 8 + length + end != size:
        return f"size {size} does not match its header ({8 + length + end}): truncated or corrupt"
    return None


def verify(name: str, settings: ModelSettings) -> Report:
    """Check a model's files on this machine without the network: all required files and shards are
    there, no link points nowhere, every .safetensors file is whole, TorchScript archives open, and no
    download was left half-way."""
    spec = KNOWN[name]
    src = source(name, settings)
    report = Report(name, src.label, present=missing_reason(name, settings) is None)
    for missing in missing_files(src, settings):
        report.problems.append(f"missing {missing}")
    root = root_folder(src, settings)
    if root is None:
        return report
    for path in _model_files(root, spec):
        rel = path.relative_to(root).as_posix()
        if not path.exists():
            report.problems.append(f"{rel}: the link points to a missing file")
            continue
        report.files += 1
        report.bytes += path.stat().st_size
        problem = None
        if path.suffix == ".safetensors":
            problem = check_safetensors(path)
        elif path.suffix == ".pt" and not zipfile.is_zipfile(path):
            problem = "not a TorchScript archive"
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                problem = f"invalid JSON ({exc})"
        if problem:
            report.problems.append(f"{rel}: {problem}")
    if src.folder is None:
        blobs = _repo_dir(src, settings) / "blobs"
        partial = sorted(blobs.glob("*.incomplete")) if blobs.is_dir() else []
        if partial:
            report.problems.append(f"{len(partial)} interrupted download(s) in the cache: run `lego-edit models pull {name}` to resume")
    return report


# -- remove ---------------------------------------------------------------------------------------

def _shared(spec: ModelSpec, repo_id: str) -> bool:
    return any(s.name != spec.name and s.repo_id == repo_id for s in KNOWN.values())


def remove(name: str, settings: ModelSettings) -> int | None:
    """Delete model `name` from the hub cache; returns the bytes freed, None if it was not there. A configured folder is never
    deleted (it is the user's). Files of a repository shared by several models (lego-edit: LoRAs and
    Builder) are removed pattern by pattern, so the other model stays."""
    spec = KNOWN[name]
    src = source(name, settings)
    if src.folder is not None:
        raise DownloadError(f"{name} is the configured folder {src.folder}; lego-edit does not delete your folders")
    repo_dir = _repo_dir(src, settings)
    if not repo_dir.is_dir():
        return None
    if spec.allow_patterns and _shared(spec, str(src.repo_id)):
        return _remove_files(repo_dir, spec.allow_patterns)
    from huggingface_hub import scan_cache_dir

    info = scan_cache_dir(hub_cache_dir(settings))
    repo = next((r for r in info.repos if r.repo_id == src.repo_id and r.repo_type == "model"), None)
    if repo is None:
        return None
    strategy = info.delete_revisions(*[rev.commit_hash for rev in repo.revisions])
    freed = strategy.expected_freed_size
    strategy.execute()
    return freed


def _remove_files(repo_dir: Path, patterns: tuple[str, ...]) -> int:
    snapshots = repo_dir / "snapshots"
    doomed: set[Path] = set()
    for link in list(snapshots.rglob("*")) if snapshots.is_dir() else []:
        if link.is_dir() and not link.is_symlink():
            continue
        rel = link.relative_to(snapshots).as_posix().split("/", 1)[-1]
        if any(fnmatch.fnmatch(rel, p) for p in patterns):
            if link.is_symlink():
                doomed.add(Path(os.path.realpath(link)))
            link.unlink()
    still_used = {Path(os.path.realpath(p)) for p in snapshots.rglob("*") if p.is_symlink()}
    freed = 0
    for blob in doomed - still_used:
        if blob.is_file():
            freed += blob.stat().st_size
            blob.unlink()
    for folder in sorted((p for p in snapshots.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()
    return freed


# -- listing ----------------------------------------------------------------------------------------

@dataclass
class Row:
    name: str
    status: str  # "present" | "missing" | "incomplete" | "folder missing"
    source: str
    size_gb: float
    licence: str
    commercial: bool
    gated: bool
    bricks: tuple[str, ...]
    reason: str | None


def status_rows(settings: ModelSettings) -> list[Row]:
    rows = []
    for spec in KNOWN.values():
        src = source(spec.name, settings)
        reason = missing_reason(spec.name, settings)
        if reason is None:
            status = "present"
        elif src.folder is not None:
            status = "folder incomplete" if src.folder.is_dir() else "folder missing"
        elif "incomplete" in reason:
            status = "incomplete"
        else:
            status = "missing"
        rows.append(Row(spec.name, status, src.label, spec.size_gb, spec.licence, spec.commercial, spec.gated,
                        spec.bricks, reason))
    return rows
