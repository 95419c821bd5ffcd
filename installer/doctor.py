"""`lego-edit doctor`: one line per check, OK / WARN / FAIL, each problem with the command that fixes it.

The checks that need the daemon's config, its socket or the model list live in
daemon/cli/install.py and are passed in as named callables: this package does not import the daemon.
torch is imported only here, only when installed, and only when the GPU check runs.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lego_edit.installer import autostart, kritarc
from lego_edit.installer.core import installed_version, read_manifest
from lego_edit.installer.hosts import PYTHON_OVERRIDE, Which, detect, host_python, probe_zmq
from lego_edit.installer.paths import KRITA_MODULE, Env, Target, all_targets, display

OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4}  {self.name}: {self.detail}"
        return text + (f"  -> fix: {self.fix}" if self.fix else "")


CheckFn = Callable[[], "Check | list[Check]"]


MODEL_PACKAGES = {"torch", "diffusers", "transformers", "accelerate", "safetensors", "huggingface_hub", "peft"}


def check_name(fn: CheckFn) -> str:
    """What a check is called in the report: its function's name without `check_` (`check_torch` -> torch)."""
    return getattr(fn, "__name__", "check").removeprefix("check_").replace("_", " ")


def run_checks(checks: Iterable[CheckFn], out: Callable[[str], None] = print) -> int:
    """Run and print each check as it finishes; 1 when any FAILed, else 0."""
    failed = False
    for fn in checks:
        try:
            result = fn()
        except ImportError as exc:  # an optional package the check needs: what to install, not a failure
            package = (exc.name or "").split(".")[0]
            extra = "models" if package in MODEL_PACKAGES else ""
            result = Check(check_name(fn), WARN, f"cannot check: {package or exc} is not installed",
                           f"pip install 'lego-edit[{extra}]'" if extra else f"pip install {package or 'lego-edit'}")
        except Exception as exc:  # a broken check is reported, the others still run
            result = Check(check_name(fn), FAIL, f"the check itself failed: {type(exc).__name__}: {exc}",
                           "report this with the output of lego-edit doctor")
        for check in result if isinstance(result, list) else [result]:
            failed = failed or check.status == FAIL
            out(check.line())
    return 1 if failed else 0


# -- this Python ----------------------------------------------------------------------------------

def check_python() -> Check:
    version = ".".join(str(n) for n in sys.version_info[:3])
    where = f"{platform.python_implementation()} {version} on {platform.system()} {platform.machine()} ({sys.executable})"
    if not ((3, 10) <= sys.version_info[:2] <= (3, 13)):
        return Check("python", FAIL, where + ": Lego Edit needs Python 3.10 to 3.13",
                     "install Python 3.10-3.13 and reinstall: python3.12 -m pip install lego-edit")
    return Check("python", OK, where)


def check_pyzmq() -> Check:
    if importlib.util.find_spec("zmq") is None:
        return Check("pyzmq", FAIL, "not installed in this Python (the daemon needs it)",
                     f"{sys.executable} -m pip install pyzmq")
    import zmq

    return Check("pyzmq", OK, f"pyzmq {zmq.__version__}, libzmq {zmq.zmq_version()}")


def check_torch(import_torch: bool = True) -> Check:
    """torch and the device model bricks will use: CUDA, ROCm, Apple MPS or the CPU."""
    fix_install = ("pip install torch --index-url https://download.pytorch.org/whl/cpu (the CPU build; GPU builds: "
                   "https://pytorch.org/get-started/locally/), then pip install 'lego-edit[models]'")
    if importlib.util.find_spec("torch") is None:
        return Check("torch/GPU", WARN, "torch is not installed: only the offline (classical) backends run",
                     fix_install)
    if not import_torch:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("torch")
        except PackageNotFoundError:
            found = "?"
        return Check("torch/GPU", OK, f"torch {found} installed (device check skipped)")
    try:
        import torch
    except Exception as exc:  # a broken CUDA install raises all kinds of things at import
        return Check("torch/GPU", FAIL, f"torch is installed but does not import: {type(exc).__name__}: {exc}",
                     "pip install --force-reinstall torch")
    try:
        if torch.cuda.is_available():
            kind = "ROCm" if getattr(torch.version, "hip", None) else "CUDA"
            names = []
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                names.append(f"{props.name} ({props.total_memory / 2**30:.0f} GiB)")
            runtime = torch.version.hip if kind == "ROCm" else torch.version.cuda
            return Check("torch/GPU", OK, f"torch {torch.__version__}, {kind} {runtime}: {', '.join(names)}")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return Check("torch/GPU", OK, f"torch {torch.__version__}, Apple MPS")
    except Exception as exc:
        return Check("torch/GPU", WARN, f"torch {torch.__version__}: the GPU query failed ({exc}); using the CPU",
                     "check the GPU driver (nvidia-smi / rocminfo)")
    build = "CPU-only build" if "+cpu" in torch.__version__ or not torch.backends.cuda.is_built() else "no GPU visible"
    return Check("torch/GPU", WARN, f"torch {torch.__version__}, {build}: model bricks run on the CPU (slow)",
                 "for an NVIDIA card: pip install torch --index-url https://download.pytorch.org/whl/cu128")


# -- plugins --------------------------------------------------------------------------------------

def _install_flag(target: Target) -> str:
    return f"lego-edit install --{target.host}"


def _plugin_name(target: Target) -> str:
    return f"{target.label} plug-in" if target.host == "gimp" else f"{target.label} plugin"


def check_target(target: Target, env: Env, version: str, which: Which | None = None,
                 present: str | None = None) -> tuple[list[Check], bool]:
    """The checks for one target, and whether the plugin is installed there."""
    name = _plugin_name(target)
    entry_ok = target.entry.is_file()
    stamped = installed_version(target)
    if not entry_ok and stamped is None:
        if present:
            return [Check(name, FAIL, f"not installed in {display(target.root, env)} ({present})",
                          _install_flag(target))], False
        app = "Krita 5" if target.host == "krita" else "GIMP 3"
        return [Check(name, WARN, f"{target.label} not found; not installed",
                      f"install {app}, then: {_install_flag(target)}")], False
    checks = []
    manifest = read_manifest(target)
    missing = []
    if manifest is not None:
        missing = [f for f in manifest["files"] if isinstance(f, str) and not (target.root / f).exists()]
    if not entry_ok or stamped is None or missing:
        lost = missing[:3] or [str(target.entry if not entry_ok else target.plugin_dir / "lego_edit_client/VERSION")]
        checks.append(Check(name, FAIL, f"damaged install in {display(target.root, env)}: missing {', '.join(lost)}",
                            _install_flag(target)))
    elif stamped != version:
        checks.append(Check(name, FAIL, f"version {stamped} in {display(target.plugin_dir, env)}, but lego-edit is {version}",
                            _install_flag(target)))
    elif target.host == "gimp" and os.name != "nt" and not os.access(target.entry, os.X_OK):
        checks.append(Check(name, FAIL, f"{display(target.entry, env)} is not executable: GIMP will not run it",
                            _install_flag(target)))
    else:
        checks.append(Check(name, OK, f"lego-edit {stamped} in {display(target.plugin_dir, env)}"))
    if target.kritarc is not None:
        text = kritarc.read(target.kritarc)
        enabled = kritarc.read_enabled(text, KRITA_MODULE) if text is not None else None
        if enabled:
            checks.append(Check(f"{target.label} plugin enabled", OK, f"{kritarc.enable_key(KRITA_MODULE)}=true in "
                                f"{display(target.kritarc, env)}"))
        else:
            checks.append(Check(f"{target.label} plugin enabled", FAIL,
                                f"not enabled in {display(target.kritarc, env)}"
                                + (" (set to false)" if enabled is False else ""),
                                f"close Krita, then {_install_flag(target)} (or Settings > Configure Krita > "
                                "Python Plugin Manager > Lego Edit, and restart Krita)"))
    checks.append(check_host_zmq(target, env, which, manifest))
    return checks, True


def check_host_zmq(target: Target, env: Env, which: Which | None = None, manifest: dict | None = None) -> Check:
    """Whether the host's own Python imports zmq, with the plugin folder appended to sys.path as the plugin does."""
    name = f"{target.label} Python imports zmq"
    python = host_python(target, env, which)
    vendored = (manifest or {}).get("pyzmq") or None
    if python.command:
        probe = probe_zmq(python.command, target.plugin_dir)
        if probe.ok:
            where = "vendored in the plugin folder" if target.plugin_dir.as_posix() in probe.location.replace(
                os.sep, "/") else "from the host's site-packages"
            return Check(name, OK, f"{python.command[-1] if len(python.command) == 1 else ' '.join(python.command)} "
                         f"(Python {probe.version}): {probe.detail}, {where}")
        if probe.ok is False:
            apt = f" (or: sudo apt-get install {python.distro_package})" if python.distro_package else ""
            return Check(name, FAIL, f"{python.command[0]} (Python {probe.version}) cannot import zmq: {probe.detail}",
                         f"{_install_flag(target)}  (vendors a pyzmq wheel){apt}")
    if vendored and (python.version is None or vendored.get("python") == python.version):
        return Check(name, OK, f"pyzmq vendored ({vendored.get('wheel')}, CPython {vendored.get('python')}); "
                     f"{target.label}'s Python cannot be run from here to confirm")
    if python.known and not vendored:
        return Check(name, FAIL, f"{target.label} bundles Python {python.version} without pyzmq, and none is vendored",
                     _install_flag(target))
    return Check(name, WARN, f"cannot run {target.label}'s Python ({python.source})",
                 f"{PYTHON_OVERRIDE[target.host]}=/path/to/its/python lego-edit doctor")


def check_plugins(env: Env, version: str, which: Which | None = None) -> list[Check]:
    checks: list[Check] = []
    installed_any = False
    found_any = []
    for host in ("krita", "gimp"):
        for target in all_targets(host, env):
            present = detect(target, env, which)
            installed = target.entry.is_file() or installed_version(target) is not None
            if target.variant == "flatpak" and not (present or installed):
                continue  # only mention a Flatpak that exists
            if present:
                found_any.append(target.host)
            result, installed = check_target(target, env, version, which, present)
            installed_any = installed_any or installed
            checks.extend(result)
    if not installed_any and not found_any:  # (a host that is found but lacks the plugin FAILs on its own line)
        checks.append(Check("plugins", FAIL, "no plugin installed, and neither Krita nor GIMP 3 was found",
                                "install Krita 5 or GIMP 3, then: lego-edit install (or force: lego-edit install "
                                "--krita --gimp)"))
    return checks


def check_autostart(env: Env) -> Check:
    on, path = autostart.status(env)
    if on:
        if importlib.util.find_spec("pystray") is None:
            return Check("autostart", WARN, f"{display(path, env)} starts `lego-edit tray` at login, but pystray "
                         "is not installed", "pip install 'lego-edit[tray]'")
        return Check("autostart", OK, f"the tray starts at login ({display(path, env)})")
    return Check("autostart", OK, "off (optional: lego-edit install --autostart starts the tray at login)")
