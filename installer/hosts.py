"""Finding Krita and GIMP 3, and the Python each one runs its plugins with.

Detection only looks (PATH, install folders, Flatpak app folders, existing config folders); the only
programs it runs are Pythons, with `-c`, to ask their version and whether they import zmq.

Which Python a host uses:
- Debian/Ubuntu Krita links the system libpython (its pykrita plugin names `libpython3.X.so`): the
  system `python3.X` of the same minor version sees the same site-packages (python3-zmq).
- GIMP 3 names its interpreter in `lib/gimp/3.0/interpreters/*.interp` (`python3=/usr/bin/python3`).
- Flatpak apps: `flatpak run --command=python3 APP`.
- Krita on Windows/macOS (and its AppImage) bundles its own Python: the version is read from the
  bundle's file names; nothing can be run, and it has no zmq.
`LEGO_EDIT_KRITA_PYTHON` / `LEGO_EDIT_GIMP_PYTHON` name the host's Python explicitly (an AppImage, an
unusual prefix, tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lego_edit.installer.paths import GIMP_API, GIMP_FLATPAK, KRITA_FLATPAK, Env, Target, kritarc_path
from lego_edit.installer.pyzmq import PlatformSpec, host_platform

PYTHON_OVERRIDE = {"krita": "LEGO_EDIT_KRITA_PYTHON", "gimp": "LEGO_EDIT_GIMP_PYTHON"}
_ENV_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "VIRTUAL_ENV", "PYTHONEXECUTABLE",
             "__PYVENV_LAUNCHER__")
_PROBE = ("import sys\n"
          "extra = sys.argv[1] if len(sys.argv) > 1 else ''\n"
          "print('%d.%d' % sys.version_info[:2])\n"
          "if extra: sys.path.append(extra)\n"
          "try:\n"
          "    import zmq\n"
          "    print('zmq', zmq.__version__, getattr(zmq, '__file__', '') or '')\n"
          "except Exception as exc:\n"
          "    print('nozmq', type(exc).__name__, exc)\n")

Which = Callable[[str], "str | None"]


@dataclass
class HostPython:
    """The Python a host runs plugins with, as far as it can be known from outside the host."""

    version: str | None = None           # "3.11"
    command: list[str] | None = None     # how to run it, when it can be run from here
    platform: PlatformSpec | None = None  # what binary wheels it takes
    source: str = ""                     # how it was found (for messages)
    distro_package: str | None = None    # e.g. "python3-zmq": the distribution's way to get pyzmq

    @property
    def known(self) -> bool:
        return self.version is not None and self.platform is not None


@dataclass
class ZmqProbe:
    ok: bool | None                      # None: could not run the host's Python
    version: str | None = None           # the Python's version, as it reported it
    detail: str = ""
    location: str = ""                   # where zmq was imported from


def clean_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a host's Python sees: ours without the variables that point it at our Python."""
    env = dict(os.environ if environ is None else environ)
    for name in _ENV_DROP:
        env.pop(name, None)
    return env


def probe_zmq(command: Sequence[str], extra_path: Path | None = None, *, environ: dict[str, str] | None = None,
              timeout: float = 30.0) -> ZmqProbe:
    """Run the host's Python: its version, and whether `import zmq` works (with `extra_path` appended)."""
    argv = [*command, "-c", _PROBE]
    if extra_path is not None:
        argv.append(str(extra_path))
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=clean_env(environ),
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return ZmqProbe(None, detail=f"cannot run {' '.join(command)}: {exc}")
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or not lines or not re.fullmatch(r"3\.\d+", lines[0].strip()):
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return ZmqProbe(None, detail=f"{' '.join(command)} failed: {err}")
    version = lines[0].strip()
    last = lines[-1] if len(lines) > 1 else ""
    if last.startswith("zmq "):
        parts = last.split(" ", 2)
        return ZmqProbe(True, version, f"pyzmq {parts[1]}", parts[2] if len(parts) > 2 else "")
    return ZmqProbe(False, version, last[len("nozmq "):] if last.startswith("nozmq ") else "import zmq failed")


def _which(env: Env) -> Which:
    path = env.environ.get("PATH", os.defpath)
    return lambda name: shutil.which(name, path=path)


# -- detection ----------------------------------------------------------------------------------

def _program_files(env: Env) -> list[Path]:
    names = ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)", "LOCALAPPDATA")
    found = []
    for name in names:
        value = env.environ.get(name)
        if value:
            base = Path(value) / "Programs" if name == "LOCALAPPDATA" else Path(value)
            if base not in found:
                found.append(base)
    return found or [Path("C:/Program Files")]


def krita_executable(env: Env, which: Which | None = None) -> Path | None:
    which = which or _which(env)
    for name in ("krita", "kritarunner"):
        hit = which(name)
        if hit:
            return Path(hit)
    if env.system == "Windows":
        for base in _program_files(env):
            for folder in ("Krita (x64)", "Krita"):
                exe = base / folder / "bin" / "krita.exe"
                if exe.exists():
                    return exe
    if env.system == "Darwin":
        for apps in (Path("/Applications"), env.home / "Applications"):
            app = apps / "krita.app" / "Contents" / "MacOS" / "krita"
            if app.exists():
                return app
    return None


def _gimp3_lib_dirs(prefixes: Sequence[Path]) -> list[Path]:
    found: list[Path] = []
    for prefix in prefixes:
        for pattern in (f"lib/gimp/{GIMP_API}", f"lib/*/gimp/{GIMP_API}", f"lib64/gimp/{GIMP_API}"):
            found.extend(p for p in sorted(prefix.glob(pattern)) if p.is_dir())
    return found


def gimp_executable(env: Env, which: Which | None = None) -> Path | None:
    which = which or _which(env)
    for name in ("gimp-3.0", "gimp-3", "gimp-console-3.0"):
        hit = which(name)
        if hit:
            return Path(hit)
    hit = which("gimp")
    if hit and re.search(r"gimp-3", os.path.basename(os.path.realpath(hit))):
        return Path(hit)
    if env.system == "Windows":
        for base in _program_files(env):
            for folder in ("GIMP 3", "GIMP"):
                for exe_name in ("gimp-3.exe", "gimp-3.0.exe"):
                    exe = base / folder / "bin" / exe_name
                    if exe.exists():
                        return exe
    if env.system == "Darwin":
        for apps in (Path("/Applications"), env.home / "Applications"):
            app = apps / "GIMP.app"
            if (app / "Contents" / "Resources" / "lib" / "gimp" / GIMP_API).is_dir():
                return app / "Contents" / "MacOS" / "gimp"
    return None


def _flatpak_installed(app: str, env: Env) -> Path | None:
    for base in (env.flatpak_app_root / app, env.xdg_data_home / "flatpak" / "app" / app,
                 Path("/var/lib/flatpak/app") / app):
        if base.is_dir():
            return base
    return None


def detect(target: Target, env: Env, which: Which | None = None) -> str | None:
    """Why we think this host install is present (for messages), or None."""
    if target.variant == "flatpak":
        app = KRITA_FLATPAK if target.host == "krita" else GIMP_FLATPAK
        where = _flatpak_installed(app, env)
        return f"Flatpak {app} ({where})" if where else None
    if target.host == "krita":
        exe = krita_executable(env, which)
        if exe:
            return f"Krita at {exe}"
        if kritarc_path(env).exists():
            return f"{kritarc_path(env)} exists"
        if target.root.is_dir():
            return f"{target.root} exists"
        return None
    exe = gimp_executable(env, which)
    if exe:
        return f"GIMP 3 at {exe}"
    if env.system == "Linux" and _gimp3_lib_dirs([Path("/usr"), Path("/usr/local")]):
        return "GIMP 3 libraries under /usr"
    if target.root.parent.is_dir():
        return f"{target.root.parent} exists"
    return None


# -- the host's Python ----------------------------------------------------------------------------

def libpython_version(files: Sequence[Path]) -> str | None:
    """The X.Y of the first `libpython3.X` a binary links (found in its bytes: DT_NEEDED names)."""
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        match = re.search(rb"libpython(3\.\d+)", data) or re.search(rb"python3(\d+)\.dll", data, re.I)
        if match:
            found = match.group(1).decode()
            return found if "." in found else f"3.{found[1:]}"
    return None


def parse_interp(text: str) -> str | None:
    """The interpreter a GIMP `.interp` file maps `python3` (else `python`) to."""
    mapping = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ":")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        mapping[key.strip()] = value.strip()
    return mapping.get("python3") or mapping.get("python")


def _prefixes(exe: Path | None) -> list[Path]:
    found = []
    if exe is not None:
        for candidate in (exe, Path(os.path.realpath(exe))):
            prefix = candidate.parent.parent
            if prefix not in found:
                found.append(prefix)
    for default in (Path("/usr"), Path("/usr/local")):
        if default not in found:
            found.append(default)
    return found


def _python_for_version(prefixes: Sequence[Path], version: str) -> list[str] | None:
    for prefix in prefixes:
        for name in (f"python{version}", "python3"):
            exe = prefix / "bin" / name
            if exe.exists() and (name != "python3" or _reported_version([str(exe)]) == version):
                return [str(exe)]
    return None


def _reported_version(command: list[str]) -> str | None:
    try:
        proc = subprocess.run([*command, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30, env=clean_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and re.fullmatch(r"3\.\d+", out) else None


def _override(host: str, env: Env) -> HostPython | None:
    value = env.environ.get(PYTHON_OVERRIDE[host])
    if not value:
        return None
    command = [value]
    return HostPython(_reported_version(command), command, host_platform(env.system),
                      f"{PYTHON_OVERRIDE[host]}={value}")


def _flatpak_python(app: str, env: Env, which: Which) -> HostPython:
    flatpak = which("flatpak")
    if not flatpak:
        return HostPython(source=f"Flatpak {app}: the flatpak command is not on PATH")
    command = [flatpak, "run", "--command=python3", app]
    return HostPython(_reported_version(command), command, host_platform("Linux"), f"flatpak run {app}")


def host_python(target: Target, env: Env, which: Which | None = None) -> HostPython:
    """Our best knowledge of the Python that `target`'s host runs plugins with."""
    which = which or _which(env)
    override = _override(target.host, env)
    if override is not None:
        return override
    if target.variant == "flatpak":
        return _flatpak_python(KRITA_FLATPAK if target.host == "krita" else GIMP_FLATPAK, env, which)
    if target.host == "krita":
        return _krita_python(env, which)
    return _gimp_python(env, which)


def _krita_python(env: Env, which: Which) -> HostPython:
    exe = krita_executable(env, which)
    plat = host_platform(env.system)
    if env.system == "Linux":
        if exe is None:
            return HostPython(source="Krita not found")
        real = os.path.realpath(exe)
        if real.lower().endswith(".appimage") or env.environ.get("APPIMAGE"):
            return HostPython(source=f"Krita AppImage {real} (bundled Python)", platform=plat)
        prefixes = _prefixes(exe)
        libs = []
        for prefix in prefixes:
            for pattern in ("lib/kritaplugins/*pykrita*", "lib/*/kritaplugins/*pykrita*",
                            "lib64/kritaplugins/*pykrita*"):
                libs.extend(sorted(prefix.glob(pattern)))
        version = libpython_version(libs)
        if version is None:
            return HostPython(source=f"Krita at {exe}: no Python plugin support found", platform=plat)
        command = _python_for_version(prefixes, version)
        packaged = command is not None and command[0].startswith(("/usr/bin/", "/bin/"))
        return HostPython(version, command, plat, f"Krita at {exe} links libpython{version}",
                          distro_package="python3-zmq" if packaged else None)
    if exe is None:
        return HostPython(source="Krita not found", platform=plat)
    bundle = exe.parent.parent
    if env.system == "Windows":
        dlls = sorted(bundle.glob("bin/python3*.dll")) + sorted(bundle.glob("python/python3*.dll"))
        for dll in dlls:
            match = re.fullmatch(r"python3(\d+)\.dll", dll.name, re.I)
            if match:
                return HostPython(f"3.{match.group(1)}", None, plat, f"Krita bundle {bundle} ({dll.name})")
        return HostPython(source=f"Krita bundle {bundle}: no python3X.dll found", platform=plat)
    frameworks = sorted((bundle / "Frameworks" / "Python.framework" / "Versions").glob("3.*"))
    if frameworks:
        version = frameworks[-1].name
        python = frameworks[-1] / "bin" / f"python{version}"
        return HostPython(version, [str(python)] if python.exists() else None, plat, f"Krita bundle {bundle}")
    return HostPython(source=f"Krita bundle {bundle}: no Python.framework found", platform=plat)


def _gimp_python(env: Env, which: Which) -> HostPython:
    exe = gimp_executable(env, which)
    plat = host_platform(env.system)
    if exe is None and env.system != "Linux":
        return HostPython(source="GIMP 3 not found", platform=plat)
    prefixes = _prefixes(exe) if exe else [Path("/usr"), Path("/usr/local")]
    if env.system == "Darwin" and exe is not None:
        prefixes = [exe.parent.parent / "Resources", *prefixes]
    interps = []
    for lib in _gimp3_lib_dirs(prefixes):
        interps.extend(sorted((lib / "interpreters").glob("*.interp")))
    for interp in interps:
        try:
            python = parse_interp(interp.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if python:
            path = Path(python)
            if not path.is_absolute() and exe is not None:
                path = exe.parent / python
            command = [str(path)]
            return HostPython(_reported_version(command), command, plat, f"{interp} -> {path}",
                              distro_package="python3-zmq" if str(path).startswith("/usr/bin") else None)
    if exe is None:
        return HostPython(source="GIMP 3 not found", platform=plat)
    if env.system == "Linux":
        # no python .interp: GIMP runs the plug-in through its `#!/usr/bin/env python3` line; a packaged
        # GIMP means the python3 of the same prefix
        pythons = [p / "bin" / "python3" for p in prefixes if (p / "bin" / "python3").exists()]
        prefix_command = [str(pythons[0])] if pythons else None
        return HostPython(_reported_version(prefix_command) if prefix_command else None, prefix_command, plat,
                          f"GIMP 3 at {exe} runs python3 from its prefix",
                          distro_package="python3-zmq" if pythons and str(pythons[0]).startswith("/usr/") else None)
    bundled = sorted(exe.parent.glob("python3*.exe")) + sorted(exe.parent.glob("python.exe"))
    if bundled:
        command = [str(bundled[0])]
        return HostPython(_reported_version(command), command, plat, f"GIMP 3 bundle {exe.parent}")
    return HostPython(source=f"GIMP 3 at {exe}: its Python was not found", platform=plat)

