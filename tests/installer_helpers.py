"""Shared pieces of the installer and doctor tests: a temporary HOME, a minimal plugin tree, the CLI."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.net import free_port

REPO = Path(__file__).resolve().parents[1]

# A Krita 5 kritarc as Krita writes it: top-level keys before any group, a [$Version] meta group, keys
# with spaces, backslashes, '%', '[$e]' and mixed case, base64 blobs, a comment, and a [python] group
# holding other plugins' enable_ keys. configparser would refuse or mangle this file.
KRITARC = """\
ResourceDirectory=
ArtisticColorSelector\\ColorModel=HSY
BackgroundColorForNewImage=0,0,0,0
showRulers=true
[$Version]
update_info=filepicker.upd:filepicker-remove-old-previews-entry,kritarc.upd:4.1-Shortcuts

[Crop Tool]
CropWidth=1024
grow center=false

[DockWidget sharedtooldocker]
DockArea=2
Locked=false

[KisToolTransform]
transform mode=Free %s
LastUsedPath[$e]=$HOME/Pictures

# a comment somebody left
[MainWindow]
State=AAAA/wAAAAD9AAAABAAAAAAAAAEXAAADcPwCAAAAB/sAAAAgAEsAaQBzAEIAcgB1AHMAaABTAGUAbABlAGMAdABvAHI=
ToolBarsMovable=Disabled

[python]
enable_assignprofiledialog=false
enable_colorspace=true
enable_comics_project_management_tools=false
enable_documenttools=false

[theme]
Theme=Krita dark
"""

CLIENT_INIT = '"""fixture client"""\n\nfrom .core import PROTOCOL_VERSION, ping\n\n__all__ = ["PROTOCOL_VERSION", "ping"]\n'
CLIENT_CORE = 'PROTOCOL_VERSION = 1\n\n\ndef ping():\n    return "pong"\n'
KRITA_INIT = ("try:\n    from krita import Krita\nexcept ImportError:\n    Krita = None\n\n"
              "from .lego_edit_client import ping  # noqa: F401\n")
DESKTOP = """[Desktop Entry]
Type=Service
ServiceTypes=Krita/PythonPlugin
X-KDE-Library=lego_edit
X-Python-2-Compatible=false
Name=Lego Edit
Comment=fixture
"""
ACTION = """<?xml version="1.0" encoding="UTF-8"?>
<ActionCollection version="2" name="Scripts">
  <Actions category="Scripts"><text>Lego Edit</text>
    <Action name="lego_edit_show_docker"><text>Lego Edit</text></Action>
  </Actions>
</ActionCollection>
"""
GIMP_ENTRY = ("#!/usr/bin/env python3\nimport os\nimport sys\n\nHERE = os.path.dirname(os.path.abspath(__file__))\n"
              "sys.path.insert(0, HERE)\nimport lego_edit_client  # noqa: E402,F401\n")


def make_source(root: Path) -> Path:
    """A minimal plugins/ tree with the agreed layout (what the Krita and GIMP engineers ship)."""
    files = {
        "client/__init__.py": CLIENT_INIT,
        "client/core.py": CLIENT_CORE,
        "krita/lego_edit/__init__.py": KRITA_INIT,
        "krita/lego_edit/docker.py": "# the docker\n",
        "krita/lego_edit.desktop": DESKTOP,
        "krita/lego_edit.action": ACTION,
        "gimp/lego-edit/lego-edit.py": GIMP_ENTRY,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # droppings that must not be deployed
    (root / "client" / "__pycache__").mkdir()
    (root / "client" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0")
    return root



def home_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user whose HOME is `home` (XDG folders inside it)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "LEGO_EDIT_", "GIMP3_"))}
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "HF_HOME": str(home / ".cache" / "huggingface"),
        # the hosts' Python: this one (it has pyzmq), so the result does not depend on the machine
        "LEGO_EDIT_KRITA_PYTHON": sys.executable,
        "LEGO_EDIT_GIMP_PYTHON": sys.executable,
        "LEGO_EDIT_ENDPOINT": f"tcp://127.0.0.1:{free_port()}",
        "PYTHONPATH": str(REPO),
    })
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lego_edit.daemon", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def tree(root: Path) -> dict[str, tuple]:
    """Every file (content hash, mode) and folder under root: what 'nothing changed' compares."""
    out: dict[str, tuple] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode):
            out[rel + "/"] = ("dir",)
        else:
            out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), stat.S_IMODE(st.st_mode))
    return out


def python_without_zmq(folder: Path) -> Path:
    """A host Python that cannot import zmq: this interpreter without its site-packages."""
    script = folder / "host-python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    script.chmod(0o755)
    return script


def fake_pyzmq_wheel(folder: Path) -> Path:
    """A wheel named and laid out like pyzmq's binary wheels, for this Python and platform."""
    from lego_edit.installer.pyzmq import host_platform

    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    plat = host_platform().pip_platforms()[-1]
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"pyzmq-99.0.0-{tag}-{tag}-{plat}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("zmq/__init__.py", '__version__ = "99.0.0"\n')
        zf.writestr("zmq/backend/__init__.py", "")
        zf.writestr("pyzmq.libs/libzmq-fake.so.5", b"\x7fELF fake")
        zf.writestr("pyzmq-99.0.0.dist-info/METADATA", "Name: pyzmq\nVersion: 99.0.0\n")
        zf.writestr("pyzmq-99.0.0.data/headers/zmq.h", "/* not deployed */\n")
    return wheel
