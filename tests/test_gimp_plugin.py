"""The GIMP plug-in's GIMP-free parts, on the test Python (no GIMP needed; see test_gimp.py and
test_gimp_dialog.py for real GIMP 3).

The plug-in's files import `gi` only inside functions (lego-edit.py, gimp_layers.py) or only when the
dialog opens (edit_dialog.py), so the first two can be imported here.
"""

from __future__ import annotations

import ast
import importlib.util
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from lego_edit.plugins.client.session import error_sentence, group_name

FOLDER = Path(__file__).resolve().parents[1] / "plugins" / "gimp" / "lego-edit"
PLUGIN = FOLDER / "lego-edit.py"
ALLOWED_IMPORTS = {"__future__", "json", "os", "sys", "time", "traceback", "gi", "gi.repository", "lego_edit_client",
                   "lego_edit_client.workspace", "gimp_layers", "edit_dialog"}


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


@pytest.fixture(scope="module")
def layers(plugin):
    return sys.modules["gimp_layers"]


def test_imports_only_stdlib_gi_and_the_client():
    for path in FOLDER.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.add(node.module)
        assert found <= ALLOWED_IMPORTS, (path.name, found - ALLOWED_IMPORTS)


def test_registration_constants(plugin):
    assert plugin.PROC_NAME == "plug-in-lego-edit"
    assert plugin.MENU_PATH == "<Image>/Filters/AI"
    assert plugin.MENU_LABEL.replace("_", "") == "Lego Edit\u2026"
    text = PLUGIN.read_text(encoding="utf-8")
    for argument in ('"instruction"', '"endpoint"', '"source"', '"builder"', '"use-selection"', '"show-masks"'):
        assert argument in text


def test_the_daemon_settings_come_from_the_client():
    """No copy of the endpoint, config.toml and CURVE logic here: lego_edit_client.settings has the one."""
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    defined = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert not defined & {"config_path", "read_config", "connectable", "configured_endpoint", "resolve_endpoint",
                          "is_local", "curve_files", "curve_keys"}
    called = {node.func.attr for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "client_module"}
    assert {"read_config", "resolve_endpoint", "curve_keys", "Client"} <= called


def test_the_installed_plugin_finds_the_settings_beside_it(tmp_path, monkeypatch):
    """As `lego-edit install --gimp` lays it out: the plug-in's import_client() gives the shared settings."""
    from lego_edit.installer.core import default_source, planned_files
    from lego_edit.installer.paths import Target

    for rel, spec in planned_files(Target("gimp", "native", tmp_path), default_source(), "0").items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(spec.data)
    for name in [m for m in sys.modules if m == "lego_edit_client" or m.startswith("lego_edit_client.")]:
        monkeypatch.delitem(sys.modules, name)
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("lego_edit_gimp_installed", tmp_path / "lego-edit" / "lego-edit.py")
        installed = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(installed)  # puts its own folder on sys.path, as GIMP runs it
        client = installed.import_client()
        assert Path(client.__file__).parent == tmp_path / "lego-edit" / "lego_edit_client"
        env = {"HOME": str(tmp_path), "LEGO_EDIT_ENDPOINT": "tcp://10.1.2.3:9"}
        assert client.resolve_endpoint("", env, "linux") == "tcp://10.1.2.3:9"
        assert client.curve_keys("tcp://127.0.0.1:5588", env, "linux", {}) is None
    finally:
        sys.path[:] = saved
        for name in [m for m in sys.modules if m == "lego_edit_client" or m.startswith("lego_edit_client.")]:
            del sys.modules[name]


def test_group_name():
    """The group is named by the client's session (shared with Krita), not by the plug-in."""
    assert group_name("  remove the\n red ball ") == "Lego Edit: remove the red ball"
    long = group_name("x" * 200)
    assert len(long) == len("Lego Edit: ") + 80 and long.endswith("\u2026")


def test_intersect_and_crop(layers):
    plugin = layers
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


def test_source_and_builder_are_checked(layers):
    assert layers.normalise_source("") == "visible" and layers.normalise_source(" Layer ") == "layer"
    with pytest.raises(layers.PluginError, match="visible.*layer"):
        layers.normalise_source("canvas")
    assert layers.normalise_builder("") is None and layers.normalise_builder("rules") == "rules"
    with pytest.raises(layers.PluginError, match="auto, rules, local or openai"):
        layers.normalise_builder("gpt")


def test_placement_is_checked_and_matches_the_client(layers):
    from lego_edit.plugins.client.workspace import Placement

    assert layers.PLACEMENTS == tuple(place.value for place in Placement)
    assert layers.normalise_placement("") == "above" and layers.normalise_placement(" Group ") == "group"
    with pytest.raises(layers.PluginError, match="above.*top.*group.*'sideways'"):
        layers.normalise_placement("sideways")


def test_remembered_choices_round_trip_and_never_raise(layers):
    choices = {"placement": "top", "source": "layer", "builder": "rules", "use_selection": False, "show_masks": True}
    assert layers.decode_choices(layers.encode_choices(choices)) == choices
    # unknown keys and values of the wrong type are not kept, written or read
    assert layers.decode_choices(layers.encode_choices({**choices, "extra": 1, "placement": 3})) == \
        {k: v for k, v in choices.items() if k != "placement"}
    assert layers.decode_choices(b'{"source": ["layer"], "builder": "auto"}') == {"builder": "auto"}
    for blob in (None, b"", b"\xff", b"[1]", b"{"):
        assert layers.decode_choices(blob) == {}


def test_result_parts_keep_each_mask_once(layers):
    def layer(ref, kind):
        return SimpleNamespace(ref=ref, kind=kind)

    result = [layer("step2[image]", "image"), layer("step1[mask]", "mask")]
    intermediates = [layer("step1[mask]", "mask"), layer("step3[mask]", "mask"), layer("step2[image]", "image")]
    images, masks = layers.result_parts(result, intermediates, True)
    assert [x.ref for x in images] == ["step2[image]"] and [x.ref for x in masks] == ["step1[mask]", "step3[mask]"]
    assert [x.ref for x in layers.result_parts(result, intermediates, False)[1]] == ["step1[mask]"]


def test_error_messages():
    """The sentences GIMP shows are the session's (error_sentence), shared with Krita."""
    ep = "tcp://127.0.0.1:5588"
    text = error_sentence("timeout", "no answer to 'x-1' within 3.0 s", endpoint=ep, instruction="remove it",
                          connected=False)
    assert ep in text and "lego-edit serve" in text and "x-1" not in text
    text = error_sentence("disconnected", "the daemon restarted", endpoint=ep, instruction="remove it")
    assert "lost the daemon" in text and "restarted" in text
    text = error_sentence("brick_failed", "boom", step=2, brick="FASTINPAINT", endpoint=ep, instruction="remove it")
    assert text == "Lego Edit could not do \u201cremove it\u201d (step 2 FASTINPAINT): boom"
    text = error_sentence("brick_unavailable", "run `lego-edit models pull x`", brick="FLUX-FILL", endpoint=ep,
                          instruction="add a hat")
    assert "(FLUX-FILL)" in text and "models pull" in text
    assert "busy" in error_sentence("busy", "4 jobs queued", endpoint=ep, instruction="x")


def test_the_plugin_keeps_no_copy_of_the_session_logic():
    """Status, progress, error sentences and names come from lego_edit_client's EditSession only."""
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    defined = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert not defined & {"Progress", "error_message", "group_name", "layer_name", "error_sentence"}
    nested = [inner.name for outer in ast.walk(tree) if isinstance(outer, ast.FunctionDef)
              for inner in ast.walk(outer) if isinstance(inner, ast.FunctionDef) and inner is not outer]
    assert set(nested) <= {"on_event", "do_query_procedures", "do_set_i18n", "do_create_procedure"}, nested
    dialog = (FOLDER / "edit_dialog.py").read_text(encoding="utf-8")
    assert "EditSession(" in dialog and "status_line(" in dialog and "def error_sentence" not in dialog
    assert "queue_position" not in PLUGIN.read_text(encoding="utf-8")


def test_missing_client_or_pyzmq_is_a_readable_error(plugin, tmp_path, monkeypatch):
    from gimp_layers import PluginError

    fake = tmp_path / "lego_edit_client"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'zmq'\", name='zmq')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lego_edit_client", raising=False)
    with pytest.raises(PluginError, match="pyzmq is missing from GIMP's Python.*lego-edit install --gimp"):
        plugin.import_client()
    monkeypatch.setitem(sys.modules, "lego_edit_client", None)
    with pytest.raises(PluginError, match="the Lego Edit client is missing"):
        plugin.import_client()
