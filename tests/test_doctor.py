"""`lego-edit doctor`: through the real CLI in a subprocess, with HOME and the XDG folders in tmp_path."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lego_edit.installer import package_version
from lego_edit.installer.doctor import FAIL, OK, WARN, Check, check_target, run_checks
from lego_edit.installer.paths import Env, native_target
from tests.installer_helpers import REPO, cli, home_env, make_source, python_without_zmq

LINE = re.compile(r"^(OK|WARN|FAIL) +[^:]+: .+")
GIMP = ".config/GIMP/3.0/plug-ins"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "plugins")


def _lines(proc: subprocess.CompletedProcess) -> dict[str, str]:
    """check name -> its line (the first line is the banner)."""
    out = {}
    for line in proc.stdout.splitlines()[1:]:
        assert LINE.match(line), line
        out[line.split(":", 1)[0].split(None, 1)[1]] = line
    return out


def test_fresh_home_names_what_is_missing(tmp_path: Path):
    env = home_env(tmp_path / "home")
    proc = cli(env, "doctor", "--timeout", "0.3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = _lines(proc)
    for name in ("python", "pyzmq", "torch/GPU", "models", "config", "daemon", "endpoint", "autostart"):
        assert name in lines, proc.stdout
    assert lines["python"].startswith(OK)
    assert lines["torch/GPU"].startswith((OK, WARN))  # CPU-only torch here: WARN with the fix
    assert lines["daemon"].startswith(WARN) and "fix: lego-edit serve" in lines["daemon"]
    assert lines["endpoint"].startswith(OK) and "is free" in lines["endpoint"]
    assert "(no file: the defaults are in use" in lines["config"]
    # no plugin anywhere: at least one FAIL, and it says how to install
    fails = [line for line in lines.values() if line.startswith(FAIL)]
    assert fails and all("-> fix: " in line for line in fails)
    assert any("lego-edit install" in line for line in fails)
    assert all("-> fix: " in line for line in lines.values() if line.startswith(WARN))


def test_after_install_the_plugins_are_ok(tmp_path: Path, source: Path):
    env = home_env(tmp_path / "home")
    assert cli(env, "install", "--krita", "--gimp", "--source", str(source)).returncode == 0
    proc = cli(env, "doctor", "--skip-gpu", "--timeout", "0.3")
    lines = _lines(proc)
    assert proc.returncode == 0, proc.stdout
    version = package_version()
    assert lines["Krita plugin"].startswith(OK) and version in lines["Krita plugin"]
    assert lines["Krita plugin enabled"].startswith(OK)
    assert lines["Krita Python imports zmq"].startswith(OK)
    assert lines["GIMP 3 plug-in"].startswith(OK) and version in lines["GIMP 3 plug-in"]
    assert lines["GIMP 3 Python imports zmq"].startswith(OK)
    assert "plugins" not in lines


def test_stale_disabled_and_broken_plugins_fail_with_the_fix(tmp_path: Path, source: Path):
    home = tmp_path / "home"
    env = home_env(home, LEGO_EDIT_GIMP_PYTHON=str(python_without_zmq(tmp_path)))
    assert cli(env, "install", "--krita", "--gimp", "--no-pyzmq", "--source", str(source)).returncode == 0
    (home / GIMP / "lego-edit/lego_edit_client/VERSION").write_text("0.0.1\n")
    rc = home / ".config/kritarc"
    rc.write_text(rc.read_text().replace("enable_lego_edit=true", "enable_lego_edit=false"))
    proc = cli(env, "doctor", "--skip-gpu", "--timeout", "0.3")
    assert proc.returncode == 1
    lines = _lines(proc)
    assert lines["GIMP 3 plug-in"].startswith(FAIL) and "version 0.0.1" in lines["GIMP 3 plug-in"]
    assert "fix: lego-edit install --gimp" in lines["GIMP 3 plug-in"]
    assert lines["Krita plugin enabled"].startswith(FAIL) and "lego-edit install --krita" in lines["Krita plugin enabled"]
    assert lines["GIMP 3 Python imports zmq"].startswith(FAIL)
    assert "cannot import zmq" in lines["GIMP 3 Python imports zmq"]
    assert "fix: lego-edit install --gimp" in lines["GIMP 3 Python imports zmq"]


def test_a_running_daemon_is_reached(tmp_path: Path):
    env = home_env(tmp_path / "home")
    endpoint = env["LEGO_EDIT_ENDPOINT"]
    daemon = subprocess.Popen([sys.executable, "-m", "lego_edit.daemon", "serve", "--endpoint", endpoint], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert daemon.poll() is None, daemon.stderr.read()
            lines = _lines(cli(env, "doctor", "--skip-gpu", "--timeout", "1"))
            if lines["daemon"].startswith(OK) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert lines["daemon"].startswith(OK) and f"answers at {endpoint}" in lines["daemon"], lines["daemon"]
        assert package_version() in lines["daemon"]
        assert lines["endpoint"].startswith(OK) and "held by the running daemon" in lines["endpoint"]
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def test_an_endpoint_held_by_another_program_fails(tmp_path: Path):
    env = home_env(tmp_path / "home")
    port = int(env["LEGO_EDIT_ENDPOINT"].rsplit(":", 1)[1])
    with socket.socket() as squatter:  # listens, never speaks ZMTP
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        proc = cli(env, "doctor", "--skip-gpu", "--timeout", "0.3")
    lines = _lines(proc)
    assert proc.returncode == 1
    assert lines["daemon"].startswith(WARN)
    assert lines["endpoint"].startswith(FAIL) and "[daemon] endpoint" in lines["endpoint"]


def test_a_broken_config_fails(tmp_path: Path):
    home = tmp_path / "home"
    env = home_env(home)
    (home / ".config/lego-edit").mkdir(parents=True)
    (home / ".config/lego-edit/config.toml").write_text("[daemon]\nworkers = 'many'\n")
    lines = _lines(cli(env, "doctor", "--skip-gpu", "--timeout", "0.3"))
    assert lines["config"].startswith(FAIL) and "workers" in lines["config"]


def test_check_lines_and_exit_status():
    seen = []
    status = run_checks([lambda: Check("a", OK, "fine"), lambda: [Check("b", WARN, "meh", "do x")],
                         lambda: 1 / 0], seen.append)
    assert status == 1
    assert seen[0] == "OK    a: fine"
    assert seen[1] == "WARN  b: meh  -> fix: do x"
    assert seen[2].startswith("FAIL") and "ZeroDivisionError" in seen[2]
    assert run_checks([lambda: Check("a", WARN, "meh", "x")], seen.append) == 0


def test_an_uninstalled_host_that_is_present_fails(tmp_path: Path):
    env = Env("Linux", {"HOME": str(tmp_path), "LEGO_EDIT_GIMP_PYTHON": sys.executable})
    target = native_target("gimp", env)
    checks, installed = check_target(target, env, "1.0", present="GIMP 3 at /usr/bin/gimp-3.0")
    assert not installed and checks[0].status == FAIL and checks[0].fix == "lego-edit install --gimp"
    checks, installed = check_target(target, env, "1.0", present=None)
    assert not installed and checks[0].status == WARN and "install GIMP 3" in checks[0].fix


def test_doctor_names_the_engine_auto_would_use(tmp_path: Path):
    pytest.importorskip("huggingface_hub")
    env = home_env(tmp_path / "home")
    proc = cli(env, "doctor", "--skip-gpu", "--timeout", "0.3")
    lines = _lines(proc)
    engine = lines["engine"]
    assert "engine (auto):" in engine and "card:" in engine
    assert "with every engine downloaded, auto would take" in engine  # nothing is downloaded in a fresh home
    assert engine.startswith(WARN) and "fix: lego-edit models pull flux2-klein-4b" in engine
