"""Where Krita, GIMP 3 and the desktop session look for things, per OS.

Everything is computed from an `Env` (the OS name and a mapping of environment variables), never
from the process's globals directly, so tests can point HOME and the XDG variables at a temporary
folder, and the Windows and macOS tables can be checked on Linux.

| what               | Linux                                   | Windows                        | macOS                                        |
|--------------------|-----------------------------------------|--------------------------------|----------------------------------------------|
| Krita resources    | $XDG_DATA_HOME/krita                    | %APPDATA%\\krita               | ~/Library/Application Support/krita          |
| kritarc            | $XDG_CONFIG_HOME/kritarc                | %LOCALAPPDATA%\\kritarc        | ~/Library/Preferences/kritarc                |
| GIMP 3 plug-ins    | $XDG_CONFIG_HOME/GIMP/3.0/plug-ins      | %APPDATA%\\GIMP\\3.0\\plug-ins | ~/Library/Application Support/GIMP/3.0/plug-ins |
| autostart          | $XDG_CONFIG_HOME/autostart/*.desktop    | Startup folder, *.cmd          | ~/Library/LaunchAgents/*.plist               |

Flatpak (Linux): Krita ~/.var/app/org.kde.krita/{data/krita, config/kritarc}, GIMP
~/.var/app/org.gimp.GIMP/config/GIMP/3.0/plug-ins. `GIMP3_DIRECTORY` (GIMP's own override of its
profile folder) is honoured; so is a `ResourceDirectory=` that the user set in kritarc.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

KRITA_FLATPAK = "org.kde.krita"
GIMP_FLATPAK = "org.gimp.GIMP"
GIMP_API = "3.0"

KRITA_MODULE = "lego_edit"          # pykrita/lego_edit/ and lego_edit.desktop; kritarc key enable_lego_edit
GIMP_PLUGIN = "lego-edit"           # plug-ins/lego-edit/lego-edit.py
CLIENT_PACKAGE = "lego_edit_client"  # the shared client, copied inside each plugin folder
MANIFEST = ".lego-edit-manifest.json"
AUTOSTART_NAME = "lego-edit-tray"


@dataclass(frozen=True)
class Env:
    """The OS ("Linux", "Windows", "Darwin") and the environment the paths come from."""

    system: str = field(default_factory=platform.system)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def home(self) -> Path:
        if self.system == "Windows":
            value = self.environ.get("USERPROFILE") or self.environ.get("HOME")
        else:
            value = self.environ.get("HOME")
        return Path(value) if value else Path.home()

    def _xdg(self, name: str, default: str) -> Path:
        value = self.environ.get(name, "")
        return Path(value) if value and os.path.isabs(value) else self.home / default

    @property
    def xdg_config_home(self) -> Path:
        return self._xdg("XDG_CONFIG_HOME", ".config")

    @property
    def xdg_data_home(self) -> Path:
        return self._xdg("XDG_DATA_HOME", ".local/share")

    @property
    def appdata(self) -> Path:
        value = self.environ.get("APPDATA")
        return Path(value) if value else self.home / "AppData" / "Roaming"

    @property
    def localappdata(self) -> Path:
        value = self.environ.get("LOCALAPPDATA")
        return Path(value) if value else self.home / "AppData" / "Local"

    @property
    def mac_support(self) -> Path:
        return self.home / "Library" / "Application Support"

    @property
    def flatpak_app_root(self) -> Path:
        return self.home / ".var" / "app"


@dataclass(frozen=True)
class Target:
    """One place a plugin goes: a host (krita | gimp) in one of its installs (native | flatpak)."""

    host: str
    variant: str
    root: Path                 # Krita: the resource folder; GIMP: the plug-ins folder
    kritarc: Path | None = None

    @property
    def label(self) -> str:
        name = "Krita" if self.host == "krita" else "GIMP 3"
        return name + (" (Flatpak)" if self.variant == "flatpak" else "")

    @property
    def key(self) -> str:
        return f"{self.host}-{self.variant}"

    @property
    def plugin_dir(self) -> Path:
        """The folder that is all ours: it holds the plugin, the client copy and the manifest."""
        if self.host == "krita":
            return self.root / "pykrita" / KRITA_MODULE
        return self.root / GIMP_PLUGIN

    @property
    def manifest(self) -> Path:
        return self.plugin_dir / MANIFEST

    @property
    def pykrita(self) -> Path:
        return self.root / "pykrita"

    @property
    def actions_dir(self) -> Path:
        return self.root / "actions"

    @property
    def entry(self) -> Path:
        """The file the host loads: Krita's .desktop, GIMP's executable .py."""
        if self.host == "krita":
            return self.pykrita / f"{KRITA_MODULE}.desktop"
        return self.plugin_dir / f"{GIMP_PLUGIN}.py"


def kritarc_path(env: Env) -> Path:
    if env.system == "Windows":
        return env.localappdata / "kritarc"
    if env.system == "Darwin":
        return env.home / "Library" / "Preferences" / "kritarc"
    return env.xdg_config_home / "kritarc"


def krita_resource_dir(env: Env) -> Path:
    if env.system == "Windows":
        default = env.appdata / "krita"
    elif env.system == "Darwin":
        default = env.mac_support / "krita"
    else:
        default = env.xdg_data_home / "krita"
    custom = _kritarc_resource_directory(kritarc_path(env))
    return custom or default


def _kritarc_resource_directory(kritarc: Path) -> Path | None:
    """`ResourceDirectory=` among kritarc's top-level keys (before any [group]): the user moved the folder."""
    try:
        text = kritarc.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            if stripped.startswith("[$"):  # "[$Version]"-style meta groups come first in some files
                continue
            break
        key, sep, value = stripped.partition("=")
        if sep and key.strip() == "ResourceDirectory" and value.strip():
            path = Path(os.path.expanduser(value.strip()))
            return path if path.is_absolute() else None
    return None


def gimp_plugins_dir(env: Env) -> Path:
    custom = env.environ.get("GIMP3_DIRECTORY")
    if custom:
        return Path(custom) / "plug-ins"
    if env.system == "Windows":
        return env.appdata / "GIMP" / GIMP_API / "plug-ins"
    if env.system == "Darwin":
        return env.mac_support / "GIMP" / GIMP_API / "plug-ins"
    return env.xdg_config_home / "GIMP" / GIMP_API / "plug-ins"


def native_target(host: str, env: Env) -> Target:
    if host == "krita":
        return Target("krita", "native", krita_resource_dir(env), kritarc_path(env))
    return Target("gimp", "native", gimp_plugins_dir(env))


def flatpak_target(host: str, env: Env) -> Target:
    if host == "krita":
        base = env.flatpak_app_root / KRITA_FLATPAK
        return Target("krita", "flatpak", base / "data" / "krita", base / "config" / "kritarc")
    base = env.flatpak_app_root / GIMP_FLATPAK
    return Target("gimp", "flatpak", base / "config" / "GIMP" / GIMP_API / "plug-ins")


def all_targets(host: str, env: Env) -> list[Target]:
    """Every place this OS may hold the plugin (Flatpak only on Linux)."""
    targets = [native_target(host, env)]
    if env.system == "Linux":
        targets.append(flatpak_target(host, env))
    return targets


def autostart_path(env: Env) -> Path:
    if env.system == "Windows":
        return env.appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup" / f"{AUTOSTART_NAME}.cmd"
    if env.system == "Darwin":
        return env.home / "Library" / "LaunchAgents" / "org.lego-edit.tray.plist"
    return env.xdg_config_home / "autostart" / f"{AUTOSTART_NAME}.desktop"


def display(path: Path, env: Env) -> str:
    """A path with the home folder shown as ~ (for messages)."""
    try:
        return "~" + os.sep + str(path.relative_to(env.home))
    except ValueError:
        return str(path)
