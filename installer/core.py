"""Install and uninstall the plugins: plan the file changes, print them, apply them (unless a dry run).

Each target keeps a manifest (`<plugin folder>/.lego-edit-manifest.json`) of every file it wrote and
every folder it created, so an update removes what the new version no longer ships and `uninstall`
removes exactly what `install` put there (plus the __pycache__ the host's Python left in our folders),
and nothing of the user's. Writing a file whose bytes and mode are already right is skipped: a
second install changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lego_edit.installer import kritarc
from lego_edit.installer.hosts import PYTHON_OVERRIDE, HostPython, host_python, probe_zmq
from lego_edit.installer.paths import CLIENT_PACKAGE, GIMP_PLUGIN, KRITA_MODULE, Env, Target, display
from lego_edit.installer.pyzmq import VendorError, download_command, obtain, shell_join

Out = Callable[[str], None]
_SKIP_NAMES = {"__pycache__", ".DS_Store", ".pytest_cache", ".mypy_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp")
_DESKTOP_REQUIRED = {"Type": "Service", "ServiceTypes": "Krita/PythonPlugin", "X-KDE-Library": KRITA_MODULE}

DEFAULT_DESKTOP = f"""[Desktop Entry]
Type=Service
ServiceTypes=Krita/PythonPlugin
X-KDE-Library={KRITA_MODULE}
X-Python-2-Compatible=false
X-Krita-Manual=Manual.html
Name=Lego Edit
Comment=Instruction-based image editing: describe an edit, get the result and its masks as new layers
"""


class InstallError(Exception):
    """Something the user must fix before installing (missing source files, a folder we cannot write)."""


@dataclass
class FileSpec:
    data: bytes
    mode: int = 0o644


@dataclass
class Outcome:
    """What one target's install or uninstall did (or would do)."""

    target: Target
    changes: list[str] = field(default_factory=list)   # "create PATH", "update PATH", "remove PATH", ...
    written: list[str] = field(default_factory=list)   # the plain file writes among the changes
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a step that failed; the command fails
    created_dirs: list[Path] = field(default_factory=list)  # uninstall: folders install created (see prune_created)


# -- source files -------------------------------------------------------------------------------

def default_source() -> Path:
    """The `plugins` folder shipped beside this package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("plugins")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if Path(location, "client").is_dir():
                return Path(location)
    return Path(__file__).resolve().parent.parent / "plugins"


def _walk(folder: Path, *, only_py: bool = False, skip_top: Iterable[str] = ()) -> dict[str, Path]:
    """Relative posix path -> file, sorted, without caches and editor droppings."""
    found: dict[str, Path] = {}
    skip_top = set(skip_top)
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        rel_dir = Path(dirpath).relative_to(folder)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_NAMES and not d.startswith(".")
                             and not (rel_dir == Path(".") and d in skip_top))
        for name in sorted(filenames):
            if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                continue
            if rel_dir == Path(".") and name in skip_top:
                continue
            if only_py and not name.endswith(".py"):
                continue
            found[(rel_dir / name).as_posix()] = Path(dirpath) / name
    return found


def client_files(source: Path, version: str) -> dict[str, FileSpec]:
    client = source / "client"
    files = _walk(client, only_py=True) if client.is_dir() else {}
    if "__init__.py" not in files:
        raise InstallError(f"{client}/__init__.py not found: the plugin source is incomplete "
                           "(reinstall lego-edit, or pass the repository's plugins/ folder with --source)")
    out = {rel: FileSpec(path.read_bytes()) for rel, path in files.items()}
    out["VERSION"] = FileSpec(f"{version}\n".encode())
    return out


def desktop_problems(text: str) -> list[str]:
    """What a pykrita .desktop file lacks for Krita 5 to list the plugin."""
    problems = []
    if "[Desktop Entry]" not in text:
        problems.append("no [Desktop Entry] group")
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    for key, want in _DESKTOP_REQUIRED.items():
        if values.get(key) != want:
            problems.append(f"{key} is {values.get(key)!r}, not {want!r}")
    if not values.get("Name"):
        problems.append("no Name")
    return problems


def planned_files(target: Target, source: Path, version: str, notes: list[str] | None = None) -> dict[str, FileSpec]:
    """Every file the plugin needs, as paths relative to target.root (no manifest, no pyzmq)."""
    notes = notes if notes is not None else []
    client = client_files(source, version)
    files: dict[str, FileSpec] = {}
    if target.host == "krita":
        package = source / "krita" / KRITA_MODULE
        if not (package / "__init__.py").is_file():
            raise InstallError(f"{package}/__init__.py not found: the Krita plugin is missing from {source}")
        base = f"pykrita/{KRITA_MODULE}"
        for rel, path in _walk(package, skip_top=[CLIENT_PACKAGE]).items():
            files[f"{base}/{rel}"] = FileSpec(path.read_bytes())
        desktop = source / "krita" / f"{KRITA_MODULE}.desktop"
        if desktop.is_file():
            data = desktop.read_bytes()
            problems = desktop_problems(data.decode("utf-8", errors="replace"))
            if problems:
                notes.append(f"{desktop}: {'; '.join(problems)} (Krita may not list the plugin)")
        else:
            data = DEFAULT_DESKTOP.encode()
        files[f"pykrita/{KRITA_MODULE}.desktop"] = FileSpec(data)
        action = source / "krita" / f"{KRITA_MODULE}.action"
        if action.is_file():
            files[f"actions/{KRITA_MODULE}.action"] = FileSpec(action.read_bytes())
        client_base = f"{base}/{CLIENT_PACKAGE}"
    else:
        folder = source / "gimp" / GIMP_PLUGIN
        entry = folder / f"{GIMP_PLUGIN}.py"
        if not entry.is_file():
            raise InstallError(f"{entry} not found: the GIMP plug-in is missing from {source}")
        for rel, path in _walk(folder, skip_top=[CLIENT_PACKAGE]).items():
            files[f"{GIMP_PLUGIN}/{rel}"] = FileSpec(path.read_bytes(), 0o755 if rel == entry.name else 0o644)
        client_base = f"{GIMP_PLUGIN}/{CLIENT_PACKAGE}"
    for rel, spec in client.items():
        files[f"{client_base}/{rel}"] = spec
    return files


# -- manifest -----------------------------------------------------------------------------------

def read_manifest(target: Target) -> dict | None:
    try:
        data = json.loads(target.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _inside(target: Target, rel: str) -> Path | None:
    """target.root / rel, or None when `rel` would leave the root (a damaged or hostile manifest)."""
    if not isinstance(rel, str) or not rel or rel.startswith(("/", "\\")) or ".." in Path(rel).parts:
        return None
    return target.root / rel


def manifest_bytes(target: Target, version: str, files: Iterable[str], created: Iterable[str],
                   pyzmq: dict | None) -> bytes:
    data = {
        "package": "lego-edit", "version": version, "host": target.host, "variant": target.variant,
        "files": sorted(files), "created_dirs": sorted(created), "pyzmq": pyzmq,
    }
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


def _rel(target: Target, path: Path) -> str:
    return path.relative_to(target.root).as_posix()


# -- pyzmq ----------------------------------------------------------------------------------------

@dataclass
class PyzmqPlan:
    files: dict[str, FileSpec] = field(default_factory=dict)  # relative to the plugin folder
    record: dict | None = None
    keep: list[str] = field(default_factory=list)            # already-vendored files kept as they are


def plan_pyzmq(target: Target, env: Env, old: dict | None, *, mode: str, wheel: Path | None, dry_run: bool,
               outcome: Outcome, python: HostPython | None = None) -> PyzmqPlan:
    """Make sure the host's Python can import zmq: nothing to do, keep the vendored copy, or vendor one."""
    plan = PyzmqPlan()
    if mode == "skip":
        outcome.notes.append("pyzmq: not checked (--no-pyzmq)")
        if old and old.get("pyzmq"):  # keep what an earlier install vendored
            plan.record, plan.keep = old["pyzmq"], list(old["pyzmq"].get("files", []))
        return plan
    python = python or host_python(target, env)
    if python.command:
        probe = probe_zmq(python.command)
        if probe.ok:
            outcome.notes.append(f"pyzmq: {target.label}'s Python ({python.source}) imports zmq ({probe.detail})")
            return plan
        if probe.ok is None:
            outcome.notes.append(f"pyzmq: could not run {target.label}'s Python: {probe.detail}")
        python.version = python.version or probe.version
    if not python.known:
        outcome.notes.append(
            f"pyzmq: cannot tell which Python {target.label} uses ({python.source}); if the plugin reports "
            f"that zmq is missing, set {PYTHON_OVERRIDE[target.host]}=/path/to/its/python and install again")
        return plan
    assert python.version is not None and python.platform is not None
    previous = (old or {}).get("pyzmq") or {}
    base = target.plugin_dir
    if previous.get("python") == python.version and previous.get("platform") == python.platform.pip_platforms()[0] \
            and wheel is None and all((base / f).is_file() for f in previous.get("files", [])):
        plan.record, plan.keep = previous, list(previous.get("files", []))
        outcome.notes.append(f"pyzmq: keeping the vendored {previous.get('wheel')} (CPython {python.version})")
        return plan
    hint = f" (or: sudo apt-get install {python.distro_package})" if python.distro_package else ""
    command = shell_join(download_command(python.version, python.platform, "pyzmq-wheels"))
    if dry_run:
        source = f"from {wheel}" if wheel else f"with: {command}"
        outcome.changes.append(f"vendor pyzmq for CPython {python.version} ({python.platform.describe()}) into "
                               f"{display(base, env)} {source}")
        return plan
    try:
        name, files = obtain(python.version, python.platform, wheel)
    except VendorError as exc:
        outcome.problems.append(
            f"{target.label}'s Python ({python.source}) cannot import zmq and no pyzmq wheel could be vendored: "
            f"{exc}. Fix: {exc.command or command}   then: lego-edit install --{target.host} --pyzmq-wheel "
            f"pyzmq-wheels{hint}")
        return plan
    plan.files = {rel: FileSpec(data, mode) for rel, (data, mode) in files.items()}
    plan.record = {"wheel": name, "python": python.version, "platform": python.platform.pip_platforms()[0],
                   "files": sorted(files)}
    outcome.notes.append(f"pyzmq: vendored {name} for {target.label}'s Python {python.version}{hint}")
    return plan


# -- applying -------------------------------------------------------------------------------------

def _same(path: Path, spec: FileSpec) -> bool:
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode):
            return False
        if os.name != "nt" and (st.st_mode & 0o777) != spec.mode:
            return False
        return st.st_size == len(spec.data) and path.read_bytes() == spec.data
    except OSError:
        return False


def _write(path: Path, spec: FileSpec) -> None:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    tmp = path.with_name(f".{path.name}.lego-edit-tmp")
    tmp.write_bytes(spec.data)
    os.chmod(tmp, spec.mode)
    os.replace(tmp, path)


def _missing_dirs(root: Path, rels: Iterable[str]) -> list[str]:
    """Folders (relative to root, root's own parents included as absolute) that do not exist yet."""
    missing = set()
    for rel in rels:
        parent = (root / rel).parent
        while parent != root and not parent.exists():
            missing.add(_rel_or_abs(root, parent))
            parent = parent.parent
    node = root
    while not node.exists():
        missing.add(str(node))
        if node.parent == node:
            break
        node = node.parent
    return sorted(missing)


def _rel_or_abs(root: Path, path: Path) -> str:
    if path == root:
        return str(root)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def install_target(target: Target, source: Path, version: str, env: Env, *, dry_run: bool = False,
                   pyzmq_mode: str = "auto", pyzmq_wheel: Path | None = None,
                   python: HostPython | None = None) -> Outcome:
    outcome = Outcome(target)
    files = planned_files(target, source, version, outcome.notes)
    old = read_manifest(target)
    zplan = plan_pyzmq(target, env, old, mode=pyzmq_mode, wheel=pyzmq_wheel, dry_run=dry_run, outcome=outcome,
                       python=python)
    plugin_rel = _rel(target, target.plugin_dir)
    for rel, spec in zplan.files.items():
        files[f"{plugin_rel}/{rel}"] = spec
    kept = {f"{plugin_rel}/{rel}" for rel in zplan.keep}
    if zplan.record is not None:
        zplan.record = {**zplan.record, "files": sorted(set(zplan.record.get("files", [])))}

    manifest_rel = _rel(target, target.manifest)
    created = set((old or {}).get("created_dirs", [])) | set(_missing_dirs(target.root, [*files, manifest_rel]))
    if target.kritarc is not None:
        node = target.kritarc.parent
        while not node.exists() and node.parent != node:
            created.add(_rel_or_abs(target.root, node))
            node = node.parent
    all_files = set(files) | kept | {manifest_rel}
    files[manifest_rel] = FileSpec(manifest_bytes(target, version, all_files - {manifest_rel}, created, zplan.record))

    stale = []
    for rel in (old or {}).get("files", []):
        path = _inside(target, rel)
        if path is not None and rel not in all_files and (path.is_file() or path.is_symlink()):
            stale.append(path)

    for path in stale:
        outcome.changes.append(f"remove {display(path, env)} (no longer shipped)")
        if not dry_run:
            path.unlink()
    if not dry_run:
        _prune_dirs(target, [p.parent for p in stale], created)
    for rel in sorted(files):
        path = target.root / rel
        spec = files[rel]
        if _same(path, spec):
            continue
        verb = "update" if path.exists() else "create"
        line = f"{verb} {display(path, env)}" + (" (executable)" if spec.mode & 0o111 else "")
        outcome.changes.append(line)
        outcome.written.append(line)
        if not dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, spec)

    if target.kritarc is not None:
        _enable_in_kritarc(target, env, dry_run, outcome)
    if not outcome.changes:
        outcome.notes.insert(0, "up to date")
    return outcome


def _enable_in_kritarc(target: Target, env: Env, dry_run: bool, outcome: Outcome) -> None:
    assert target.kritarc is not None
    text = kritarc.read(target.kritarc)
    new = kritarc.set_enabled(text or "", KRITA_MODULE)
    if text is not None and new == text:
        return
    outcome.changes.append(f"{'create' if text is None else 'edit'} {display(target.kritarc, env)}: "
                           f"[python] {kritarc.enable_key(KRITA_MODULE)}=true")
    if not dry_run:
        kritarc.write(target.kritarc, new)


def _prune_dirs(target: Target, starts: Iterable[Path], created: set[str]) -> None:
    """Remove empty folders from each start upwards: inside our plugin folder always; above it only if we created them."""
    plugin_dir = target.plugin_dir
    for start in sorted(set(starts), key=lambda p: len(p.parts), reverse=True):
        node = start
        while True:
            ours = node == plugin_dir or plugin_dir in node.parents
            recorded = _rel_or_abs(target.root, node) in created
            if not (ours or recorded) or not node.is_dir() or any(node.iterdir()):
                break
            node.rmdir()
            if node.parent == node:
                break
            node = node.parent


def uninstall_target(target: Target, env: Env, source: Path | None = None, *, dry_run: bool = False) -> Outcome:
    outcome = Outcome(target)
    old = read_manifest(target)
    if old is not None:
        rels = [r for r in old.get("files", []) if isinstance(r, str)]
        created = {d for d in old.get("created_dirs", []) if isinstance(d, str)}
    else:
        rels, created = _known_layout(target, source), set()
    rels.append(_rel(target, target.manifest))
    outcome.created_dirs = [p for p in (Path(d) if os.path.isabs(d) else _inside(target, d) for d in created)
                            if p is not None]
    removed_parents = []
    for rel in sorted(set(rels)):
        path = _inside(target, rel)
        if path is None or not (path.is_file() or path.is_symlink()):
            continue
        outcome.changes.append(f"remove {display(path, env)}")
        removed_parents.append(path.parent)
        if not dry_run:
            path.unlink()
    # bytecode the host's Python wrote into our folders
    if target.plugin_dir.is_dir():
        for cache in sorted(target.plugin_dir.rglob("__pycache__"), key=lambda p: len(p.parts), reverse=True):
            if cache.is_dir():
                outcome.changes.append(f"remove {display(cache, env)}/")
                removed_parents.append(cache.parent)
                if not dry_run:
                    shutil.rmtree(cache, ignore_errors=True)
    if not dry_run:
        _prune_dirs(target, removed_parents, created)
        if target.plugin_dir.is_dir():
            left = sorted(p for p in target.plugin_dir.rglob("*") if p.is_file())
            if left:
                outcome.notes.append(f"left {len(left)} file(s) that are not ours in {display(target.plugin_dir, env)}")
        _prune_dirs(target, [target.plugin_dir.parent, target.actions_dir] if target.host == "krita"
                    else [target.plugin_dir.parent], created)
    if target.kritarc is not None:
        text = kritarc.read(target.kritarc)
        if text is not None:
            new = kritarc.remove_enabled(text, KRITA_MODULE)
            if new != text:
                outcome.changes.append(f"edit {display(target.kritarc, env)}: remove "
                                       f"[python] {kritarc.enable_key(KRITA_MODULE)}")
                if not dry_run:
                    if new.strip():
                        kritarc.write(target.kritarc, new)
                    else:
                        target.kritarc.unlink()
                        _prune_dirs(target, [target.kritarc.parent], created)
    if not outcome.changes:
        outcome.notes.insert(0, "nothing installed")
    return outcome


def prune_created(folders: Iterable[Path]) -> None:
    """After every target is uninstalled: remove the folders our installs created that are now empty."""
    for folder in sorted(set(folders), key=lambda p: len(p.parts), reverse=True):
        try:
            if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:
            pass


def _known_layout(target: Target, source: Path | None) -> list[str]:
    """Without a manifest (an install by hand, a damaged folder): the files the current source would install."""
    try:
        return sorted(planned_files(target, source or default_source(), "0"))
    except InstallError:
        names = [f"pykrita/{KRITA_MODULE}.desktop", f"actions/{KRITA_MODULE}.action"] if target.host == "krita" \
            else [f"{GIMP_PLUGIN}/{GIMP_PLUGIN}.py"]
        return names


def installed_version(target: Target) -> str | None:
    """The lego-edit version stamped into the installed client copy (None: not installed)."""
    stamp = target.plugin_dir / CLIENT_PACKAGE / "VERSION"
    try:
        return stamp.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None

