"""plugins/client/settings.py: the daemon's config.toml, endpoint and CURVE keys as both plugins find them.

The one copy of this logic: the GIMP plug-in, the Krita plugin and daemon/keys.py all use it.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

from lego_edit.daemon import keys
from lego_edit.plugins.client import CurveKeys, settings

SETTINGS = Path(settings.__file__)


def test_settings_runs_on_the_hosts_pythons():
    """Standard library and relative imports only, and nothing newer than Python 3.10's syntax."""
    tree = ast.parse(SETTINGS.read_text(encoding="utf-8"), feature_version=(3, 10))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names, name


def test_the_installer_ships_it_to_both_plugins():
    from lego_edit.installer.core import client_files, default_source, planned_files
    from lego_edit.installer.paths import CLIENT_PACKAGE, Target

    source = default_source()
    assert {p.name for p in (source / "client").glob("*.py")} <= set(client_files(source, "0"))
    for host in ("krita", "gimp"):
        files = planned_files(Target(host, "native", Path("/nowhere")), source, "0")
        assert any(rel.endswith(f"{CLIENT_PACKAGE}/settings.py") for rel in files), host


def test_config_path_per_platform():
    env = {"HOME": "/home/u"}
    assert settings.config_path(env, "linux") == "/home/u/.config/lego-edit/config.toml"
    assert settings.config_path({**env, "XDG_CONFIG_HOME": "/x"}, "linux") == "/x/lego-edit/config.toml"
    assert settings.config_path({**env, "XDG_CONFIG_HOME": "rel"}, "linux") == "/home/u/.config/lego-edit/config.toml"
    assert settings.config_path(env, "darwin") == "/home/u/Library/Application Support/lego-edit/config.toml"
    assert settings.config_path({**env, "XDG_CONFIG_HOME": "/x"}, "darwin") == "/x/lego-edit/config.toml"
    assert settings.config_path({"LOCALAPPDATA": "C:/L"}, "win32") == os.path.join("C:/L", "lego-edit", "config.toml")
    assert settings.keys_dir(env, "linux") == "/home/u/.config/lego-edit/keys"


@pytest.mark.parametrize("xdg", [None, "relative/config", "/abs/config"])
def test_paths_agree_with_the_daemon(xdg, tmp_path, monkeypatch):
    """daemon/config.py finds config.toml and the keys through platformdirs; this module without it."""
    from lego_edit.daemon.config import Config, default_config_path

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("LEGO_EDIT_CONFIG", raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg if not xdg.startswith("/") else str(tmp_path / xdg[1:]))
    assert settings.config_path() == str(default_config_path())
    assert settings.keys_dir() == str(Config().keys_dir)


def test_lego_edit_config_names_the_file_for_the_plugins_and_the_daemon(tmp_path, monkeypatch):
    """$LEGO_EDIT_CONFIG: the config.toml both sides read, the keys beside it."""
    from lego_edit.daemon.config import config_file, load

    chosen = tmp_path / "here" / "lego.toml"
    chosen.parent.mkdir()
    chosen.write_text('[daemon]\nendpoint = "tcp://0.0.0.0:6100"\n')
    env = {"HOME": "/home/u", "LEGO_EDIT_CONFIG": str(chosen)}
    assert settings.config_path(env, "linux") == str(chosen)
    assert settings.keys_dir(env, "linux") == str(tmp_path / "here" / "keys")
    assert settings.configured_endpoint(env, "linux") == "tcp://127.0.0.1:6100"
    monkeypatch.setenv("LEGO_EDIT_CONFIG", str(chosen))
    assert config_file() == (chosen, True) and config_file(tmp_path / "x.toml") == (tmp_path / "x.toml", True)
    cfg = load()
    assert cfg.path == chosen and cfg.daemon.endpoint == "tcp://0.0.0.0:6100"
    assert str(cfg.keys_dir) == settings.keys_dir()


def test_the_daemons_tools_resolve_endpoints_as_the_plugins_do(tmp_path, monkeypatch):
    """lego-edit status/stop/tray/doctor use the plugins' resolver: a bind address given or configured is made connectable."""
    from lego_edit.daemon.config import Config, DaemonSection, client_endpoint

    monkeypatch.delenv("LEGO_EDIT_ENDPOINT", raising=False)
    cfg = Config(daemon=DaemonSection(endpoint="tcp://0.0.0.0:6200"))
    assert client_endpoint(cfg) == "tcp://127.0.0.1:6200"
    assert client_endpoint(cfg, "tcp://*:6201") == "tcp://127.0.0.1:6201"
    assert client_endpoint(cfg, "tcp://[::]:6202") == "tcp://[::1]:6202"
    assert client_endpoint(None) == "tcp://127.0.0.1:5588"
    monkeypatch.setenv("LEGO_EDIT_ENDPOINT", "tcp://0.0.0.0:6203")
    assert client_endpoint(cfg) == "tcp://127.0.0.1:6203"
    assert settings.resolve_endpoint("tcp://0.0.0.0:6204", {}, "linux") == "tcp://127.0.0.1:6204"


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "lego-edit" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_read_config(tmp_path, monkeypatch):
    env = {"HOME": str(tmp_path)}
    assert settings.read_config(env, "linux") == {}
    config = write_config(tmp_path, '[daemon]\ncurve = "always"\n')
    assert settings.read_config(env, "linux") == {"daemon": {"curve": "always"}}
    monkeypatch.setitem(sys.modules, "tomllib", None)  # Python 3.10: no tomllib, so no config, no failure
    assert settings.read_config(env, "linux") == {}
    monkeypatch.undo()
    config.write_text("this is [not toml")
    assert settings.read_config(env, "linux") == {}
    config.write_bytes(b"\xff\xfe")
    assert settings.read_config(env, "linux") == {}


def test_endpoint_precedence(tmp_path):
    """The argument, then $LEGO_EDIT_ENDPOINT, then config.toml's (made connectable), then the default."""
    env = {"HOME": str(tmp_path)}
    assert settings.resolve_endpoint("", env, "linux") == "tcp://127.0.0.1:5588"
    assert settings.resolve_endpoint(None, env, "linux") == "tcp://127.0.0.1:5588"
    config = write_config(tmp_path, '[daemon]\nendpoint = "tcp://0.0.0.0:6000"\n')
    assert settings.resolve_endpoint("  ", env, "linux") == "tcp://127.0.0.1:6000"  # a bind address, made reachable
    assert settings.configured_endpoint(env, "linux") == "tcp://127.0.0.1:6000"
    assert settings.resolve_endpoint("", {**env, "LEGO_EDIT_ENDPOINT": "tcp://10.0.0.2:7"}, "linux") == "tcp://10.0.0.2:7"
    assert settings.resolve_endpoint(" tcp://h:1 ", {**env, "LEGO_EDIT_ENDPOINT": "x"}, "linux") == "tcp://h:1"
    assert settings.resolve_endpoint("", env, "linux", {"daemon": {"endpoint": "ipc:///run/x"}}) == "ipc:///run/x"
    assert settings.resolve_endpoint("", env, "linux", {"daemon": "not a table"}) == "tcp://127.0.0.1:5588"
    config.write_text("this is [not toml")
    assert settings.resolve_endpoint("", env, "linux") == "tcp://127.0.0.1:5588"


def test_connectable_and_is_local():
    assert settings.connectable("tcp://*:5588") == "tcp://127.0.0.1:5588"
    assert settings.connectable("tcp://0.0.0.0:5588") == "tcp://127.0.0.1:5588"
    assert settings.connectable("tcp://[::]:5588") == "tcp://[::1]:5588"
    assert settings.connectable("tcp://192.168.1.4:5588") == "tcp://192.168.1.4:5588"
    assert settings.is_local("tcp://127.0.0.1:5588") and settings.is_local("tcp://[::1]:1")
    assert settings.is_local("tcp://localhost:1") and settings.is_local("ipc:///tmp/x")
    assert settings.is_local("tcp://eth0;127.0.0.1:1") and not settings.is_local("tcp://127.0.0.1;10.0.0.1:1")
    assert not settings.is_local("tcp://192.168.1.4:5588") and not settings.is_local("tcp://gpu-box:5588")
    assert not settings.is_local("tcp://*:5588") and not settings.is_local("udp://127.0.0.1:1")
    assert keys.is_local is settings.is_local  # the daemon decides with the same function


def test_curve_required():
    assert not settings.curve_required("tcp://127.0.0.1:5588", {})
    assert settings.curve_required("tcp://gpu-box:5588", {})
    assert settings.curve_required("tcp://127.0.0.1:5588", {"daemon": {"curve": "always"}})
    # a daemon that config.toml binds to every interface requires CURVE from its loopback clients too
    bound = {"daemon": {"endpoint": "tcp://0.0.0.0:5588"}}
    assert settings.curve_required("tcp://127.0.0.1:5588", bound)
    assert not settings.curve_required("tcp://127.0.0.1:6000", bound)  # another daemon, started with --endpoint
    assert not settings.curve_required("tcp://127.0.0.1:5588", {"daemon": {"endpoint": "tcp://127.0.0.1:5588"}})


def test_curve_files(tmp_path):
    env = {"HOME": str(tmp_path)}
    folder = tmp_path / ".config" / "lego-edit" / "keys"
    folder.mkdir(parents=True)
    assert settings.curve_files("tcp://gpu-box:5588", env, "linux", {}) is None  # no keys yet
    (folder / "server.key").write_text("x")
    (folder / "local-client.key_secret").write_text("x")
    assert settings.curve_files("tcp://127.0.0.1:5588", env, "linux", {}) is None  # loopback: no CURVE
    expected = (str(folder / "server.key"), str(folder / "local-client.key_secret"))
    assert settings.curve_files("tcp://gpu-box:5588", env, "linux", {}) == expected
    assert settings.curve_files("tcp://127.0.0.1:5588", env, "linux", {"daemon": {"curve": "always"}}) == expected


def test_curve_keys_from_the_pairs_lego_edit_keys_writes(tmp_path):
    env = {"HOME": str(tmp_path)}
    folder = Path(settings.keys_dir(env, "linux"))
    assert settings.curve_keys("tcp://gpu-box:5588", env, "linux", {}) is None
    server, local, _ = keys.ensure_keys(folder)  # what `lego-edit keys` makes
    write_config(tmp_path, '[daemon]\ncurve = "always"\n')
    assert settings.curve_keys("tcp://127.0.0.1:5588", env, "linux") == CurveKeys(server.public, local.public,
                                                                                  local.secret)
    assert settings.curve_keys("tcp://127.0.0.1:5588", env, "linux", {}) is None
    (folder / "server.key").write_text("not a certificate")
    with pytest.raises(ValueError, match=r"cannot read the CURVE keys .*server\.key"):
        settings.curve_keys("tcp://gpu-box:5588", env, "linux")
