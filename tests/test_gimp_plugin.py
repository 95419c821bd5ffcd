"""The GIMP plug-in's GIMP-free parts, on the test Python (no GIMP needed; see test_gimp.py for real GIMP 3).

The plug-in file keeps everything that needs no `gi` above `_main()`, so it can be imported here.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "gimp" / "lego-edit" / "lego-edit.py"
ALLOWED_IMPORTS = {"__future__", "os", "sys", "traceback", "tomllib", "ipaddress", "gi", "gi.repository",
                   "lego_edit_client"}


@pytest.fixture(scope="module")
def plugin():
    saved = list(sys.path)
    spec = importlib.util.spec_from_file_location("lego_edit_gimp_plugin", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path[:] = saved
    return module


def test_entry_file_is_an_executable_script():
    text = PLUGIN.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env python3\n")
    assert PLUGIN.stat().st_mode & stat.S_IXUSR
    assert 'if __name__ == "__main__":\n    _main()' in text


def test_imports_only_stdlib_gi_and_the_client():
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module)
    assert found <= ALLOWED_IMPORTS, found - ALLOWED_IMPORTS


def test_registration_constants(plugin):
    assert plugin.PROC_NAME == "plug-in-lego-edit"
    assert plugin.MENU_PATH == "<Image>/Filters/AI"
    assert plugin.MENU_LABEL.replace("_", "") == "Lego Edit\u2026"
    text = PLUGIN.read_text(encoding="utf-8")
    for argument in ('"instruction"', '"endpoint"', '"use-selection"', '"show-masks"'):
        assert argument in text


def test_config_path_per_platform(plugin):
    env = {"HOME": "/home/u"}
    assert plugin.config_path(env, "linux") == "/home/u/.config/lego-edit/config.toml"
    assert plugin.config_path({**env, "XDG_CONFIG_HOME": "/x"}, "linux") == "/x/lego-edit/config.toml"
    assert plugin.config_path({**env, "XDG_CONFIG_HOME": "rel"}, "linux") == "/home/u/.config/lego-edit/config.toml"
    assert plugin.config_path(env, "darwin") == "/home/u/Library/Application Support/lego-edit/config.toml"
    assert plugin.config_path({"LOCALAPPDATA": "C:/L"}, "win32") == os.path.join("C:/L", "lego-edit", "config.toml")


def test_endpoint_precedence(plugin, tmp_path):
    env = {"HOME": str(tmp_path)}
    assert plugin.resolve_endpoint("", env, "linux") == "tcp://127.0.0.1:5588"
    config = tmp_path / ".config" / "lego-edit" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[daemon]\nendpoint = "tcp://0.0.0.0:6000"\n')
    assert plugin.resolve_endpoint("  ", env, "linux") == "tcp://127.0.0.1:6000"  # a bind address, made reachable
    assert plugin.resolve_endpoint("", {**env, "LEGO_EDIT_ENDPOINT": "tcp://10.0.0.2:7"}, "linux") == "tcp://10.0.0.2:7"
    assert plugin.resolve_endpoint(" tcp://h:1 ", {**env, "LEGO_EDIT_ENDPOINT": "x"}, "linux") == "tcp://h:1"
    config.write_text("this is [not toml")
    assert plugin.resolve_endpoint("", env, "linux") == "tcp://127.0.0.1:5588"


def test_connectable_and_is_local(plugin):
    assert plugin.connectable("tcp://*:5588") == "tcp://127.0.0.1:5588"
    assert plugin.connectable("tcp://[::]:5588") == "tcp://[::1]:5588"
    assert plugin.connectable("tcp://192.168.1.4:5588") == "tcp://192.168.1.4:5588"
    assert plugin.is_local("tcp://127.0.0.1:5588") and plugin.is_local("tcp://[::1]:1")
    assert plugin.is_local("tcp://localhost:1") and plugin.is_local("ipc:///tmp/x")
    assert not plugin.is_local("tcp://192.168.1.4:5588") and not plugin.is_local("tcp://gpu-box:5588")


def test_curve_files(plugin, tmp_path):
    env = {"HOME": str(tmp_path)}
    keys = tmp_path / ".config" / "lego-edit" / "keys"
    keys.mkdir(parents=True)
    assert plugin.curve_files("tcp://gpu-box:5588", env, "linux", {}) is None  # no keys yet
    (keys / "server.key").write_text("x")
    (keys / "local-client.key_secret").write_text("x")
    assert plugin.curve_files("tcp://127.0.0.1:5588", env, "linux", {}) is None  # loopback: no CURVE
    expected = (str(keys / "server.key"), str(keys / "local-client.key_secret"))
    assert plugin.curve_files("tcp://gpu-box:5588", env, "linux", {}) == expected
    assert plugin.curve_files("tcp://127.0.0.1:5588", env, "linux", {"daemon": {"curve": "always"}}) == expected


def test_group_name(plugin):
    assert plugin.group_name("  remove the\n red ball ") == "Lego Edit: remove the red ball"
    long = plugin.group_name("x" * 200)
    assert len(long) == len("Lego Edit: ") + 80 and long.endswith("\u2026")


def test_intersect_and_crop(plugin):
    assert plugin.intersect(-100, 0, 1024, 1024, 800, 700) == (0, 0, 800, 700)
    assert plugin.intersect(300, 20, 100, 50, 1024, 1024) == (300, 20, 100, 50)
    assert plugin.intersect(900, 0, 200, 10, 1000, 10) == (900, 0, 100, 10)
    assert plugin.intersect(2000, 0, 10, 10, 1000, 1000) is None
    data = bytes(range(4 * 3))  # a 4 x 3 image, 1 byte a pixel
    assert plugin.crop(data, 4, 1, 1, 1, 2, 2) == bytes([5, 6, 9, 10])
    assert plugin.crop(data, 4, 1, 0, 1, 4, 2) == data[4:]
    rgba = bytes(range(2 * 2 * 4))
    assert plugin.crop(memoryview(rgba), 2, 4, 1, 0, 1, 2) == rgba[4:8] + rgba[12:16]
    assert plugin.is_blank(bytes(10)) and not plugin.is_blank(b"\0\0\1")


def event(kind, **header):
    return SimpleNamespace(type=kind, header=header)


def test_progress(plugin):
    progress = plugin.Progress()
    assert progress.update(event("accepted", position=0))[0] == 0.0
    assert "2 ahead" in progress.update(event("accepted", position=2))[1]
    assert progress.update(event("plan", steps=4))[0] == 0.0
    fraction, text = progress.update(event("progress", step=1, steps=4, brick="RES", fraction=1.0, message=""))
    assert fraction == 0.25 and text == "Lego Edit: step 1/4 RES"
    fraction, text = progress.update(event("progress", step=2, steps=4, brick="FASTINPAINT", fraction=0.5,
                                           message="inpainting"))
    assert fraction == pytest.approx(0.375) and text.endswith("FASTINPAINT \u2014 inpainting")
    assert progress.update(event("layer")) == (None, None)


def error(code, message, step=None, brick=None):
    return SimpleNamespace(code=code, message=message, step=step, brick=brick)


def test_error_messages(plugin):
    ep = "tcp://127.0.0.1:5588"
    text = plugin.error_message(error("timeout", "no answer to 'x-1' within 3.0 s"), ep, "remove it", False)
    assert ep in text and "lego-edit serve" in text and "x-1" not in text
    text = plugin.error_message(error("disconnected", "the daemon restarted"), ep, "remove it", True)
    assert "lost the daemon" in text and "restarted" in text
    text = plugin.error_message(error("brick_failed", "boom", 2, "FASTINPAINT"), ep, "remove it", True)
    assert text == "Lego Edit could not do \u201cremove it\u201d (step 2 FASTINPAINT): boom"
    text = plugin.error_message(error("brick_unavailable", "run `lego-edit models pull x`", brick="FLUX-FILL"), ep,
                                "add a hat", True)
    assert "(FLUX-FILL)" in text and "models pull" in text
    assert "busy" in plugin.error_message(error("busy", "4 jobs queued"), ep, "x", True)


def test_missing_client_or_pyzmq_is_a_readable_error(plugin, tmp_path, monkeypatch):
    fake = tmp_path / "lego_edit_client"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'zmq'\", name='zmq')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lego_edit_client", raising=False)
    with pytest.raises(plugin.PluginError, match="pyzmq is missing from GIMP's Python.*lego-edit install --gimp"):
        plugin.import_client()
    monkeypatch.setitem(sys.modules, "lego_edit_client", None)
    with pytest.raises(plugin.PluginError, match="the Lego Edit client is missing"):
        plugin.import_client()
