"""Finding weights on this machine — a configured folder or the huggingface_hub cache — with no network.

Every answer comes from the file system: a configured folder is read directly, the hub cache through
`huggingface_hub.try_to_load_from_cache` (which never connects). A model is present when all its
required files are, and every shard named by a present `*.index.json` is too, so a download that
stopped half-way does not count as present.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lego_edit.bricks.models.known import KNOWN, ModelSpec
from lego_edit.bricks.models.settings import ModelSettings


def hub_cache_dir(settings: ModelSettings) -> Path:
    """The huggingface_hub cache in force now (read from the environment on every call, as tests change it)."""
    if settings.cache_dir:
        return Path(settings.cache_dir).expanduser()
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "hub"


def looks_like_folder(value: str) -> bool:
    """A configured path is a folder when it exists, is absolute/relative-marked, or has more than one '/'."""
    if Path(value).expanduser().is_dir():
        return True
    return bool(value.startswith(("/", "~", ".", "\\")) or re.match(r"^[A-Za-z]:[\\/]", value) or value.count("/") > 1)


@dataclass(frozen=True)
class Source:
    """Where one model comes from: a hub repository (through the cache) or a local folder."""

    spec: ModelSpec
    repo_id: str | None = None
    folder: Path | None = None

    @property
    def label(self) -> str:
        return str(self.folder) if self.folder is not None else str(self.repo_id)


def source(name: str, settings: ModelSettings) -> Source:
    spec = KNOWN[name]
    override = settings.paths.get(name)
    if override and looks_like_folder(override):
        return Source(spec, folder=Path(override).expanduser())
    return Source(spec, repo_id=override or spec.repo_id)


def local_file(src: Source, filename: str, settings: ModelSettings) -> Path | None:
    """The local path of one file of the model, or None if it is not on this machine."""
    if src.folder is not None:
        path = src.folder / filename
        return path if path.is_file() else None
    from huggingface_hub import try_to_load_from_cache

    assert src.repo_id is not None  # a Source without a folder names a repository (see source())
    found = try_to_load_from_cache(src.repo_id, filename, cache_dir=str(hub_cache_dir(settings)),
                                   revision=src.spec.revision)
    if isinstance(found, str) and os.path.isfile(found):  # a dangling symlink (blob removed) is not a file
        return Path(found)
    return None


def _first_present(src: Source, entry: str | tuple[str, ...], settings: ModelSettings) -> Path | None:
    for alternative in (entry,) if isinstance(entry, str) else entry:
        found = local_file(src, alternative, settings)
        if found is not None:
            return found
    return None


def missing_files(src: Source, settings: ModelSettings, files: tuple[str, ...] | None = None) -> list[str]:
    """Required files (or just `files`) and shards of present indexes that are not on this machine."""
    missing: list[str] = []
    for entry in src.spec.required if files is None else files:
        found = _first_present(src, entry, settings)
        if found is None:
            missing.append(entry if isinstance(entry, str) else " or ".join(entry))
            continue
        if found.name.endswith(".index.json"):
            missing.extend(_missing_shards(src, found, entry if isinstance(entry, str) else entry[0], settings))
    return missing


def _missing_shards(src: Source, index: Path, relative: str, settings: ModelSettings) -> list[str]:
    try:
        shards = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
    except (OSError, ValueError):
        return [f"{relative} (unreadable index)"]
    folder = relative.rsplit("/", 1)[0] + "/" if "/" in relative else ""
    return [folder + s for s in sorted(shards) if local_file(src, folder + s, settings) is None]


def root_folder(src: Source, settings: ModelSettings) -> Path | None:
    """The folder holding the model's files (the configured folder, or its snapshot in the hub cache)."""
    if src.folder is not None:
        return src.folder if src.folder.is_dir() else None
    first = src.spec.required[0]
    found = _first_present(src, first, settings)
    if found is None:
        return None
    name = first if isinstance(first, str) else next(a for a in first if found.as_posix().endswith(a))
    root = found
    for _ in name.split("/"):
        root = root.parent
    return root


def missing_reason(name: str, settings: ModelSettings, files: tuple[str, ...] | None = None) -> str | None:
    """Why the model cannot be loaded from this machine, or None when all its files (or `files`) are here."""
    src = source(name, settings)
    if src.folder is not None and not src.folder.is_dir():
        return f"{name}: the configured folder {src.folder} does not exist"
    wanted = src.spec.required if files is None else files
    missing = missing_files(src, settings, files)
    if not missing:
        return None
    if src.folder is not None:
        return f"{name}: {src.folder} lacks {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else "")
    if len(missing) == len(wanted):
        return f"{name} ({src.repo_id}) is not downloaded"
    return f"{name} ({src.repo_id}) is incomplete: {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else "") + " missing"


@cache
def package_installed(package: str) -> bool:
    """Whether a package is installed, without importing it (the catalog must not import torch)."""
    return importlib.util.find_spec(package) is not None


def missing_packages(packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if not package_installed(p)]
