"""Start `lego-edit tray` at login: an XDG autostart .desktop (Linux), a .cmd in the Startup folder
(Windows), a LaunchAgent plist (macOS). Every file carries a marker so uninstall removes only ours."""

from __future__ import annotations

import os
import plistlib
import re
import sys
from pathlib import Path

from lego_edit.installer.paths import Env, autostart_path, display

MARKER = "X-Lego-Edit-Autostart"
LABEL = "org.lego-edit.tray"


def tray_command(system: str | None = None, executable: str | None = None) -> list[str]:
    """How to run `lego-edit tray` from a login session (absolute paths: no PATH or venv activation then)."""
    system = system or ("Windows" if os.name == "nt" else sys.platform)
    python = Path(executable or sys.executable)
    if system == "Windows":
        pythonw = python.with_name("pythonw.exe")
        return [str(pythonw if pythonw.exists() else python), "-m", "lego_edit.daemon", "tray"]
    script = python.with_name("lego-edit")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "tray"]
    return [str(python), "-m", "lego_edit.daemon", "tray"]


def _desktop_exec(argv: list[str]) -> str:
    """An Exec= value (desktop entry spec: quote arguments with reserved characters, escape inside quotes)."""
    out = []
    for arg in argv:
        arg = arg.replace("%", "%%")  # % starts a field code
        if arg and not re.search(r"[\s\"'\\><~|&;$*?#()`]", arg):
            out.append(arg)
        else:
            escaped = re.sub(r'(["`$\\])', r"\\\1", arg)
            out.append(f'"{escaped}"')
    # the desktop file's own string escaping doubles backslashes
    return " ".join(out).replace("\\", "\\\\")


def _cmd_quote(arg: str) -> str:
    return f'"{arg}"' if re.search(r'[\s&()^|<>"]', arg) or not arg else arg


def entry(env: Env, command: list[str]) -> bytes:
    if env.system == "Windows":
        lines = ["@echo off",
                 f"rem {MARKER}: starts the Lego Edit tray at login (lego-edit install --autostart)",
                 'start "" ' + " ".join(_cmd_quote(a) for a in command), ""]
        return "\r\n".join(lines).encode("utf-8")
    if env.system == "Darwin":
        return plistlib.dumps({"Label": LABEL, "ProgramArguments": command, "RunAtLoad": True,
                               "ProcessType": "Interactive", MARKER: True}, sort_keys=True)
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Lego Edit tray",
        "Comment=Starts the Lego Edit daemon's tray icon at login",
        f"Exec={_desktop_exec(command)}",
        "Icon=image-x-generic",
        "Terminal=false",
        "Categories=Graphics;",
        "X-GNOME-Autostart-enabled=true",
        f"{MARKER}=true",
        "",
    ]).encode("utf-8")


def is_ours(path: Path) -> bool:
    try:
        return MARKER.encode() in path.read_bytes()
    except OSError:
        return False


def install(env: Env, command: list[str], *, dry_run: bool = False) -> list[str]:
    path = autostart_path(env)
    data = entry(env, command)
    try:
        if path.read_bytes() == data:
            return []
        verb = "update"
    except OSError:
        verb = "create"
    if not dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.lego-edit-tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    changes = [f"{verb} {display(path, env)} (runs: {' '.join(command)})"]
    if env.system == "Darwin":
        changes.append(f"note: it starts at the next login; now: launchctl load -w {path}")
    return changes


def uninstall(env: Env, *, dry_run: bool = False) -> list[str]:
    path = autostart_path(env)
    if not path.exists():
        return []
    if not is_ours(path):
        return [f"leave {display(path, env)}: not written by lego-edit"]
    if not dry_run:
        path.unlink()
        if env.system != "Windows":
            try:
                path.parent.rmdir()  # only when empty
            except OSError:
                pass
    return [f"remove {display(path, env)}"]


def status(env: Env) -> tuple[bool, Path]:
    path = autostart_path(env)
    return path.exists() and is_ours(path), path
