"""Start the daemon from a host plug-in ("Start daemon"): find `lego-edit`, run `lego-edit serve` detached.

A host's Python is not the daemon's (GIMP's, Krita's embedded one), so the daemon is its own
program: a configured path, PATH, then the usual per-user install places. It is started in a
session of its own with the host's variables that point at the host's Python removed, logging to a
file the message can name. A host that wants the daemon to end with it (Krita's docker) asks for
`ends_with_host`: on Linux the daemon is then started through util-linux's `setpriv --pdeathsig
TERM`, so the kernel sends it SIGTERM when the host's process goes, even when the host is killed or
crashes; the host's own quit hook (SIGTERM, then a wait) covers the orderly exit everywhere.
Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

_HOST_PYTHON_VARS = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE")
_BUNDLE_VARS = ("LD_LIBRARY_PATH", "LD_PRELOAD", "QT_PLUGIN_PATH", "PYTHONNOUSERSITE", "GI_TYPELIB_PATH")


@dataclass(frozen=True)
class Launch:
    """A started daemon (`process`), or why none was started (`error`, one sentence)."""

    process: subprocess.Popen | None
    command: tuple[str, ...] = ()
    error: str = ""
    ends_with_host: bool = False  # the kernel ends it when the host process ends (Linux, setpriv)


def find_daemon_executable(configured: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The `lego-edit` program: `configured` (a path), PATH, then ~/.local/bin, pipx's venv, /usr/local/bin."""
    environ = os.environ if environ is None else environ
    if configured and os.path.isfile(configured) and os.access(configured, os.X_OK):
        return configured
    found = shutil.which("lego-edit", path=environ.get("PATH"))
    if found:
        return found
    home = environ.get("HOME") or os.path.expanduser("~")
    names = ["lego-edit.exe", "lego-edit"] if sys.platform == "win32" else ["lego-edit"]
    places = [os.path.join(home, ".local", "bin"), os.path.join(home, ".local", "pipx", "venvs", "lego-edit", "bin"),
              "/usr/local/bin", "/opt/homebrew/bin"]
    if environ.get("APPDATA"):
        places.append(os.path.join(environ["APPDATA"], "Python", "Scripts"))
    for place in places:
        for name in names:
            candidate = os.path.join(place, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def daemon_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The host's environment without what points a Python at the host's own (embedded, bundled) one."""
    env = dict(os.environ if environ is None else environ)
    drop = list(_HOST_PYTHON_VARS)
    if env.get("APPIMAGE") or env.get("APPDIR") or env.get("FLATPAK_ID") or env.get("SNAP"):
        drop += _BUNDLE_VARS
    for name in drop:
        env.pop(name, None)
    env.pop("LEGO_EDIT_ENDPOINT", None)  # the daemon listens where it is told (--endpoint), not where clients look
    return env


def death_signal_prefix(environ: Mapping[str, str] | None = None) -> list[str]:
    """The argv prefix that makes the started program get SIGTERM when this process ends ([] where none exists)."""
    if not sys.platform.startswith("linux"):
        return []
    environ = os.environ if environ is None else environ
    setpriv = shutil.which("setpriv", path=environ.get("PATH")) or shutil.which("setpriv", path="/usr/bin:/bin")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def start_daemon(endpoint: str | None, log_path: str, *, executable: str | None = None,
                 environ: Mapping[str, str] | None = None, ends_with_host: bool = False) -> Launch:
    """Run `lego-edit serve [--endpoint E]` in the background, its output appended to `log_path`.

    With `ends_with_host`, the daemon also ends when this process does (see the module's docstring)."""
    exe = executable or find_daemon_executable(environ=environ)
    if exe is None:
        return Launch(None, error="The `lego-edit` program was not found (PATH, ~/.local/bin). Install it "
                                  "(pip install lego-edit) or run `lego-edit serve` yourself.")
    command = [exe, "serve"] + (["--endpoint", endpoint] if endpoint else [])
    try:
        os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
        log = open(log_path, "ab")
    except OSError:
        log = None
    kwargs: dict = {"stdin": subprocess.DEVNULL, "stdout": log or subprocess.DEVNULL,
                    "stderr": log or subprocess.DEVNULL, "close_fds": True, "env": daemon_env(environ)}
    if sys.platform == "win32":
        kwargs["creationflags"] = 0x00000008 | 0x00000200  # DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP
    else:
        kwargs["start_new_session"] = True  # its own session: not killed by a Ctrl-C in the host's terminal
    prefix = death_signal_prefix(environ) if ends_with_host else []
    try:
        process = subprocess.Popen(prefix + command, **kwargs)
    except OSError as exc:
        return Launch(None, tuple(command), f"Could not start {exe}: {exc}")
    finally:
        if log is not None:
            log.close()
    return Launch(process, tuple(command), ends_with_host=bool(prefix))
