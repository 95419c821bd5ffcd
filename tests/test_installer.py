"""`lego-edit install / uninstall`: into a temporary HOME, through the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lego_edit.installer import kritarc, package_version
from lego_edit.installer.core import DEFAULT_DESKTOP, desktop_problems
from lego_edit.installer.hosts import libpython_version, parse_interp
from lego_edit.installer.paths import Env, autostart_path, flatpak_target, native_target
from lego_edit.installer.pyzmq import PlatformSpec, wheel_fits
from tests.installer_helpers import (
    KRITARC,
    REPO,
    cli,
    fake_pyzmq_wheel,
    home_env,
    make_source,
    python_without_zmq,
    tree,
)

VERSION = package_version()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "plugins")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


KRITA = ".local/share/krita"
PYKRITA = f"{KRITA}/pykrita"
GIMP = ".config/GIMP/3.0/plug-ins"


# -- install ----------------------------------------------------------------------------------------

def test_install_twice_gives_the_same_tree(home: Path, source: Path):
    env = home_env(home)
    out = _ok(cli(env, "install", "--krita", "--gimp", "--source", str(source)))
    assert "Krita" in out and "GIMP 3" in out
    first = tree(home)

    # the Krita layout Debian's Krita 5.1 loads: pykrita/<module>/ + pykrita/<module>.desktop, enabled in kritarc
    assert f"{PYKRITA}/lego_edit/__init__.py" in first
    assert f"{PYKRITA}/lego_edit/docker.py" in first
    assert f"{PYKRITA}/lego_edit/lego_edit_client/__init__.py" in first
    assert f"{PYKRITA}/lego_edit/lego_edit_client/core.py" in first
    assert f"{KRITA}/actions/lego_edit.action" in first
    assert not any("__pycache__" in rel for rel in first)
    assert (home / PYKRITA / "lego_edit/lego_edit_client/VERSION").read_text() == f"{VERSION}\n"
    assert desktop_problems((home / PYKRITA / "lego_edit.desktop").read_text()) == []
    assert kritarc.read_enabled((home / ".config/kritarc").read_text(), "lego_edit") is True
    # GIMP 3: plug-ins/lego-edit/lego-edit.py, executable, with the client beside it
    entry = home / GIMP / "lego-edit/lego-edit.py"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o755
    assert (home / GIMP / "lego-edit/lego_edit_client/VERSION").read_text() == f"{VERSION}\n"
    assert (home / GIMP / "lego-edit/lego_edit_client/core.py").is_file()

    out = _ok(cli(env, "install", "--krita", "--gimp", "--source", str(source)))
    assert tree(home) == first
    assert out.count("up to date") == 2, out


def test_installed_copies_import_as_the_hosts_import_them(home: Path, source: Path):
    """Krita imports the package by name from pykrita/; GIMP runs the .py with its folder on sys.path."""
    env = home_env(home)
    _ok(cli(env, "install", "--krita", "--gimp", "--source", str(source)))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import lego_edit; "
            "from lego_edit.lego_edit_client import ping; assert ping() == 'pong'")
    subprocess.run([sys.executable, "-c", code, str(home / PYKRITA)], check=True, cwd=home)
    subprocess.run([str(home / GIMP / "lego-edit/lego-edit.py")], check=True, cwd=home)


def test_existing_kritarc_is_kept_byte_for_byte(home: Path, source: Path):
    env = home_env(home)
    rc = home / ".config" / "kritarc"
    rc.parent.mkdir(parents=True)
    rc.write_bytes(KRITARC.encode())
    _ok(cli(env, "install", "--krita", "--source", str(source)))
    after = rc.read_text()
    lines, original = after.splitlines(keepends=True), KRITARC.splitlines(keepends=True)
    ours = [line for line in lines if line not in original]
    assert ours == ["enable_lego_edit=true\n"]
    assert [line for line in lines if line != ours[0]] == original
    # inside [python], after the other plugins' keys
    assert "enable_documenttools=false\nenable_lego_edit=true\n\n[theme]" in after

    _ok(cli(env, "install", "--krita", "--source", str(source)))
    assert rc.read_text() == after
    _ok(cli(env, "uninstall", "--krita"))
    assert rc.read_bytes() == KRITARC.encode()


def test_uninstall_leaves_nothing_of_ours(home: Path, source: Path):
    env = home_env(home)
    # the user's own things: another pykrita plugin, another GIMP plug-in, their kritarc, an autostart entry
    mine = {
        f"{PYKRITA}/other_plugin.desktop": "[Desktop Entry]\n",
        f"{PYKRITA}/other_plugin/__init__.py": "",
        f"{KRITA}/actions/other.action": "<x/>",
        f"{GIMP}/other/other.py": "#!/usr/bin/env python3\n",
        ".config/autostart/something-else.desktop": "[Desktop Entry]\n",
        ".config/kritarc": KRITARC,
    }
    for rel, text in mine.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text(text)
    before = tree(home)
    _ok(cli(env, "install", "--krita", "--gimp", "--autostart", "--source", str(source)))
    assert tree(home) != before
    # the hosts' Pythons compile our modules next to them
    for folder in (home / PYKRITA / "lego_edit", home / GIMP / "lego-edit/lego_edit_client"):
        (folder / "__pycache__").mkdir()
        (folder / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    out = _ok(cli(env, "uninstall"))
    assert "autostart" in out
    assert tree(home) == before


def test_install_then_uninstall_in_an_empty_home_leaves_it_empty(home: Path, source: Path):
    env = home_env(home)
    _ok(cli(env, "install", "--krita", "--gimp", "--autostart", "--source", str(source)))
    _ok(cli(env, "uninstall"))
    assert tree(home) == {}


def test_dry_run_changes_nothing(home: Path, source: Path):
    env = home_env(home)
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "kritarc").write_text(KRITARC)
    before = tree(home)
    out = _ok(cli(env, "install", "--krita", "--gimp", "--autostart", "--dry-run", "--source", str(source)))
    assert tree(home) == before
    assert "dry run" in out
    assert f"create ~/{PYKRITA}/lego_edit/__init__.py" in out
    assert f"create ~/{GIMP}/lego-edit/lego-edit.py (executable)" in out
    assert "edit ~/.config/kritarc: [python] enable_lego_edit=true" in out
    assert "autostart: would create" in out

    _ok(cli(env, "install", "--krita", "--gimp", "--autostart", "--source", str(source)))
    installed = tree(home)
    out = _ok(cli(env, "uninstall", "--dry-run"))
    assert tree(home) == installed
    assert f"remove ~/{PYKRITA}/lego_edit.desktop" in out
    assert "remove [python] enable_lego_edit" in out


def test_autostart_entry_created_and_removed(home: Path, source: Path):
    env = home_env(home)
    _ok(cli(env, "install", "--krita", "--autostart", "--source", str(source)))
    entry = home / ".config" / "autostart" / "lego-edit-tray.desktop"
    text = entry.read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" tray")
    assert os.path.isabs(exec_line[len("Exec="):].split()[0].strip('"'))

    _ok(cli(env, "uninstall", "--autostart"))
    assert not entry.exists()
    assert (home / PYKRITA / "lego_edit.desktop").exists()  # only the autostart entry went


def test_no_flag_installs_into_every_host_found(home: Path, source: Path):
    env = home_env(home)
    (home / ".var/app/org.kde.krita").mkdir(parents=True)       # the Krita Flatpak has been run
    (home / ".config/GIMP/3.0").mkdir(parents=True)             # GIMP 3 has been run
    _ok(cli(env, "install", "--source", str(source)))
    flatpak = home / ".var/app/org.kde.krita"
    assert (flatpak / "data/krita/pykrita/lego_edit/__init__.py").is_file()
    assert (flatpak / "data/krita/pykrita/lego_edit.desktop").is_file()
    assert kritarc.read_enabled((flatpak / "config/kritarc").read_text(), "lego_edit") is True
    assert (home / GIMP / "lego-edit/lego-edit.py").is_file()

    _ok(cli(env, "uninstall"))
    assert not (flatpak / "data/krita/pykrita/lego_edit").exists()
    assert not (flatpak / "config/kritarc").exists()


def test_vendors_pyzmq_for_a_host_python_without_it(home: Path, source: Path, tmp_path: Path):
    host = python_without_zmq(tmp_path)
    env = home_env(home, LEGO_EDIT_GIMP_PYTHON=str(host))
    wheel = fake_pyzmq_wheel(tmp_path / "wheels")
    out = _ok(cli(env, "install", "--gimp", "--source", str(source), "--pyzmq-wheel", str(wheel.parent)))
    assert f"vendored {wheel.name}" in out
    plugin = home / GIMP / "lego-edit"
    assert (plugin / "zmq/__init__.py").is_file() and (plugin / "pyzmq.libs/libzmq-fake.so.5").is_file()
    assert (plugin / "pyzmq-99.0.0.dist-info/METADATA").is_file()
    assert not (plugin / "pyzmq-99.0.0.data").exists()
    manifest = json.loads((plugin / ".lego-edit-manifest.json").read_text())
    assert manifest["pyzmq"]["wheel"] == wheel.name
    # the host's Python finds it the way the plug-in does (its folder on sys.path)
    probe = subprocess.run([str(host), "-c", "import sys; sys.path.append(sys.argv[1]); import zmq; print(zmq.__version__)",
                            str(plugin)], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "99.0.0"

    installed = tree(home)
    out = _ok(cli(env, "install", "--gimp", "--source", str(source)))  # no wheel given: the vendored copy is kept
    assert "keeping the vendored" in out and tree(home) == installed

    _ok(cli(env, "uninstall", "--gimp"))
    assert not plugin.exists()


def test_missing_pyzmq_wheel_prints_the_command(home: Path, source: Path, tmp_path: Path):
    env = home_env(home, LEGO_EDIT_GIMP_PYTHON=str(python_without_zmq(tmp_path)))
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    proc = cli(env, "install", "--gimp", "--source", str(source), "--pyzmq-wheel", str(empty))
    assert proc.returncode == 1
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"pip download --only-binary=:all: --no-deps --python-version {py} --implementation cp --platform" in proc.stdout
    assert "lego-edit install --gimp --pyzmq-wheel" in proc.stdout
    assert (home / GIMP / "lego-edit/lego-edit.py").is_file()  # the plug-in itself is in place


def test_reinstall_removes_files_no_longer_shipped(home: Path, source: Path):
    env = home_env(home)
    (source / "krita/lego_edit/old.py").write_text("# gone in the next version\n")
    _ok(cli(env, "install", "--krita", "--source", str(source)))
    assert (home / PYKRITA / "lego_edit/old.py").is_file()
    (source / "krita/lego_edit/old.py").unlink()
    out = _ok(cli(env, "install", "--krita", "--source", str(source)))
    assert "no longer shipped" in out
    assert not (home / PYKRITA / "lego_edit/old.py").exists()


def test_missing_plugin_source_is_a_clear_error(home: Path, tmp_path: Path):
    env = home_env(home)
    (tmp_path / "empty" / "client").mkdir(parents=True)
    (tmp_path / "empty" / "client" / "__init__.py").write_text("")
    proc = cli(env, "install", "--gimp", "--source", str(tmp_path / "empty"))
    assert proc.returncode == 1
    assert "lego-edit.py not found" in proc.stderr
    assert tree(home) == {}


@pytest.mark.skipif(not (REPO / "plugins/krita/lego_edit/__init__.py").is_file()
                    or not (REPO / "plugins/gimp/lego-edit/lego-edit.py").is_file(),
                    reason="the real plugins have not landed yet")
def test_the_shipped_plugins_install(home: Path):
    env = home_env(home)
    _ok(cli(env, "install", "--krita", "--gimp"))
    desktop = home / PYKRITA / "lego_edit.desktop"
    assert desktop_problems(desktop.read_text()) == []
    assert (home / PYKRITA / "lego_edit/lego_edit_client/__init__.py").is_file()
    assert (home / GIMP / "lego-edit/lego_edit_client/__init__.py").is_file()
    # the client copy works under its new name (relative imports only) in the host's layout
    code = "import sys; sys.path.insert(0, sys.argv[1]); import lego_edit_client; print(lego_edit_client.__name__)"
    subprocess.run([sys.executable, "-c", code, str(home / GIMP / "lego-edit")], check=True, cwd=home)
    _ok(cli(env, "uninstall"))
    assert not (home / PYKRITA / "lego_edit").exists()


# -- the pieces -------------------------------------------------------------------------------------

@pytest.mark.parametrize("nl", ["\n", "\r\n"])
def test_kritarc_edits_are_minimal(nl: str):
    text = KRITARC.replace("\n", nl)
    on = kritarc.set_enabled(text, "lego_edit")
    assert on.count(nl) == text.count(nl) + 1 and "enable_lego_edit=true" + nl in on
    assert kritarc.set_enabled(on, "lego_edit") == on
    assert kritarc.remove_enabled(on, "lego_edit") == text


def test_kritarc_without_python_group_or_final_newline():
    for text in ("", "[General]\nfoo=1\n", "[General]\nfoo=1", "top=1\n"):
        on = kritarc.set_enabled(text, "lego_edit")
        assert kritarc.read_enabled(on, "lego_edit") is True
        back = kritarc.remove_enabled(on, "lego_edit")
        assert back == text or (text.endswith("foo=1") and back == text + "\n")
    tail = "[python]\nenable_a=true"  # [python] last, no newline at the end
    on = kritarc.set_enabled(tail, "lego_edit")
    assert on == "[python]\nenable_a=true\nenable_lego_edit=true"
    assert kritarc.remove_enabled(on, "lego_edit") == tail


def test_kritarc_existing_false_is_switched_on():
    text = "[python]\nenable_lego_edit=false\nenable_b=true\n"
    assert kritarc.read_enabled(text, "lego_edit") is False
    assert kritarc.set_enabled(text, "lego_edit") == "[python]\nenable_lego_edit=true\nenable_b=true\n"
    assert kritarc.read_enabled("[other]\nenable_lego_edit=true\n", "lego_edit") is None  # wrong group


def test_paths_per_os():
    win = Env("Windows", {"USERPROFILE": r"C:\Users\ann", "APPDATA": r"C:\Users\ann\AppData\Roaming",
                          "LOCALAPPDATA": r"C:\Users\ann\AppData\Local"})
    assert native_target("krita", win).pykrita == Path(r"C:\Users\ann\AppData\Roaming") / "krita" / "pykrita"
    assert native_target("krita", win).kritarc == Path(r"C:\Users\ann\AppData\Local") / "kritarc"
    assert native_target("gimp", win).root == Path(r"C:\Users\ann\AppData\Roaming") / "GIMP" / "3.0" / "plug-ins"
    assert autostart_path(win).parent.name == "Startup" and autostart_path(win).suffix == ".cmd"

    mac = Env("Darwin", {"HOME": "/Users/ann"})
    support = Path("/Users/ann/Library/Application Support")
    assert native_target("krita", mac).pykrita == support / "krita" / "pykrita"
    assert native_target("krita", mac).kritarc == Path("/Users/ann/Library/Preferences/kritarc")
    assert native_target("gimp", mac).root == support / "GIMP" / "3.0" / "plug-ins"
    assert autostart_path(mac) == Path("/Users/ann/Library/LaunchAgents/org.lego-edit.tray.plist")

    linux = Env("Linux", {"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg"})
    assert native_target("krita", linux).pykrita == Path("/home/ann/.local/share/krita/pykrita")
    assert native_target("krita", linux).kritarc == Path("/cfg/kritarc")
    assert native_target("gimp", linux).root == Path("/cfg/GIMP/3.0/plug-ins")
    assert flatpak_target("krita", linux).pykrita == Path("/home/ann/.var/app/org.kde.krita/data/krita/pykrita")
    assert flatpak_target("gimp", linux).root == Path("/home/ann/.var/app/org.gimp.GIMP/config/GIMP/3.0/plug-ins")
    assert native_target("gimp", Env("Linux", {"HOME": "/h", "GIMP3_DIRECTORY": "/g3"})).root == Path("/g3/plug-ins")


def test_kritarc_resource_directory_is_honoured(tmp_path: Path):
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "kritarc").write_text(f"ResourceDirectory={tmp_path / 'res'}\n[python]\n")
    target = native_target("krita", Env("Linux", {"HOME": str(tmp_path)}))
    assert target.pykrita == tmp_path / "res" / "pykrita"


def test_wheel_choice_by_python_and_platform():
    linux = PlatformSpec("linux", "x86_64", "glibc", (2, 36))
    name = "pyzmq-27.3.0-cp311-cp311-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl"
    assert wheel_fits(name, "3.11", linux)
    assert not wheel_fits(name, "3.12", linux)
    assert not wheel_fits(name, "3.11", PlatformSpec("linux", "x86_64", "glibc", (2, 17)))
    assert wheel_fits("pyzmq-27.3.0-cp312-abi3-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl", "3.13", linux)
    assert not wheel_fits("pyzmq-27.3.0-cp312-abi3-manylinux_2_28_x86_64.whl", "3.11", linux)
    assert wheel_fits("pyzmq-27.3.0-cp310-cp310-win_amd64.whl", "3.10", PlatformSpec("win", "x86_64"))
    mac = PlatformSpec("mac", "arm64", mac_version=(14, 0))
    assert wheel_fits("pyzmq-27.3.0-cp310-cp310-macosx_10_15_universal2.whl", "3.10", mac)
    assert "manylinux_2_28_x86_64" in linux.pip_platforms() and "manylinux2014_x86_64" in linux.pip_platforms()


def test_host_python_clues(tmp_path: Path):
    lib = tmp_path / "kritapykrita.so"
    lib.write_bytes(b"\x7fELF....libQt5Core.so.5\0libpython3.11.so.1.0\0libc.so.6")
    assert libpython_version([tmp_path / "missing.so", lib]) == "3.11"
    interp = "python=/usr/bin/python3\npython3=/usr/bin/python3.13\n:Python:E::py::python3:\n"
    assert parse_interp(interp) == "/usr/bin/python3.13"
    assert parse_interp("# only comments\n#scm=/path/to/scm\n") is None


def test_default_desktop_file_is_valid():
    assert desktop_problems(DEFAULT_DESKTOP) == []
    assert desktop_problems("[Desktop Entry]\nType=Service\nName=x\n")


def test_autostart_entries_per_os():
    import plistlib

    from lego_edit.installer import autostart

    win = autostart.entry(Env("Windows", {}), [r"C:\Program Files\Py\pythonw.exe", "-m", "lego_edit.daemon", "tray"])
    assert win.startswith(b"@echo off\r\n") and b'start "" "C:\\Program Files\\Py\\pythonw.exe" -m lego_edit.daemon tray' in win
    mac = plistlib.loads(autostart.entry(Env("Darwin", {}), ["/usr/local/bin/lego-edit", "tray"]))
    assert mac["ProgramArguments"] == ["/usr/local/bin/lego-edit", "tray"] and mac["RunAtLoad"] is True
    linux = autostart.entry(Env("Linux", {}), ["/opt/my apps/lego-edit", "tray"]).decode()
    assert 'Exec="/opt/my apps/lego-edit" tray' in linux
    for data in (win, linux.encode(), autostart.entry(Env("Darwin", {}), ["x"])):
        assert autostart.MARKER.encode() in data  # uninstall removes only entries carrying it
