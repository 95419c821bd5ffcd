"""The Krita plugin's files, checked without Krita: pixel conversions, imports, the .desktop entry.

(The plugin in a real Krita is tests/test_krita.py, marker `krita`.)
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "krita"
PACKAGE = PLUGIN / "lego_edit"


@pytest.fixture(scope="module")
def px():
    spec = importlib.util.spec_from_file_location("lego_edit_pixels_under_test", PACKAGE / "pixels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rgba():
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)


def test_rgba_u8_is_passed_through(px, rgba):
    bgra = rgba[..., [2, 1, 0, 3]].tobytes()
    assert px.to_bgra8(bgra, "RGBA", "U8", 37 * 53) == bgra
    assert px.from_bgra8(bgra, "RGBA", "U8", 37 * 53) == bgra


def test_rgba_u16_keeps_the_high_byte_and_writes_back_v_times_257(px, rgba):
    bgra = np.ascontiguousarray(rgba[..., [2, 1, 0, 3]])
    u16 = bgra.astype("<u2") * 256 + 77  # the low byte differs from the high byte
    assert px.to_bgra8(u16.tobytes(), "RGBA", "U16", 37 * 53) == bgra.tobytes()
    back = np.frombuffer(px.from_bgra8(bgra.tobytes(), "RGBA", "U16", 37 * 53), "<u2").reshape(bgra.shape)
    assert (back == bgra.astype("<u2") * 257).all()


@pytest.mark.parametrize("depth", ["U8", "U16"])
def test_graya_becomes_gray_bgra_and_back(px, rgba, depth):
    gray, alpha = rgba[..., 0], rgba[..., 3]
    dtype, scale = (np.uint8, 1) if depth == "U8" else ("<u2", 257)
    krita = np.dstack([gray, alpha]).astype(dtype) * scale
    bgra = np.frombuffer(px.to_bgra8(krita.tobytes(), "GRAYA", depth, 37 * 53), np.uint8).reshape(37, 53, 4)
    assert (bgra[..., 0] == gray).all() and (bgra[..., 1] == gray).all() and (bgra[..., 2] == gray).all()
    assert (bgra[..., 3] == alpha).all()
    back = px.from_bgra8(bgra.tobytes(), "GRAYA", depth, 37 * 53)
    assert back == krita.tobytes()


def test_wire_formats(px, rgba):
    n = 37 * 53
    assert px.wire_to_bgra8(rgba.tobytes(), "RGBA8", n) == rgba[..., [2, 1, 0, 3]].tobytes()
    mask = rgba[..., 0]
    out = np.frombuffer(px.wire_to_bgra8(mask.tobytes(), "GRAY8", n), np.uint8).reshape(37, 53, 4)
    assert (out[..., :3] == mask[..., None]).all() and (out[..., 3] == 255).all()
    with pytest.raises(ValueError):
        px.wire_to_bgra8(b"\0" * 10, "BGRA8", n)
    with pytest.raises(ValueError):
        px.wire_to_bgra8(b"", "PNG", n)


@pytest.mark.parametrize("model,depth", [("RGBA", "F32"), ("RGBA", "F16"), ("CMYKA", "U8"), ("LABA", "U16")])
def test_other_colour_spaces_are_explained(px, model, depth):
    with pytest.raises(px.UnsupportedColorSpace) as info:
        px.to_bgra8(b"", model, depth, 1, "layer 'Paint'")
    text = str(info.value)
    assert f"{model}/{depth}" in text and "Convert Image Color Space" in text and "layer 'Paint'" in text


@pytest.mark.parametrize("width,height,bpp", [(4500, 4500, 4), (3840, 2160, 8), (37, 53, 4), (1, 1, 4)])
def test_strips_cover_the_canvas_in_short_bands(px, width, height, bpp):
    """Large layers are read and written a strip at a time: together the strips are the canvas, once each,
    and each is at most half a megabyte (a 4500-pixel-wide tile row would be over one)."""
    bands = px.strips(width, height, bpp)
    assert bands[0][0] == 0 and sum(rows for _, rows in bands) == height
    assert all(y == previous_y + previous_rows for (previous_y, previous_rows), (y, _) in zip(bands[:-1], bands[1:], strict=True))
    assert all(rows % px.BAND == 0 for _, rows in bands[:-1]), "whole quarters of a tile row"
    assert all(width * rows * bpp <= max(px.STRIP_BYTES, width * px.BAND * bpp) for _, rows in bands)
    if (width, bpp) == (4500, 4):
        assert all(rows == px.BAND for _, rows in bands[:-1]) and len(bands) == -(-height // px.BAND)


class _Node:
    """A paint layer's pixelData / setPixelData, as Krita's Node has them (8-bit RGBA)."""

    def __init__(self, width, height):
        self.width, self.buf = width, bytearray(4 * width * height)

    def colorModel(self):  # noqa: N802 (Krita's name)
        return "RGBA"

    def colorDepth(self):  # noqa: N802 (Krita's name)
        return "U8"

    def setPixelData(self, data, x, y, w, h):  # noqa: N802 (Krita's name)
        assert x == 0 and w == self.width and len(data) == 4 * w * h
        self.buf[4 * w * y:4 * w * (y + h)] = data


@pytest.mark.parametrize("fmt", ["BGRA8", "RGBA8", "GRAY8"])
def test_writing_strip_by_strip_gives_the_whole_layer(px, rgba, fmt):
    height, width = rgba.shape[:2]
    wire = rgba[..., 0].tobytes() if fmt == "GRAY8" else rgba.tobytes()
    node = _Node(width, height)
    for y, rows in px.strips(width, height, 4, budget=4 * width * 3):  # tiny strips: many of them
        px.write_strip(node, memoryview(wire), fmt, width, y, rows)
    assert bytes(node.buf) == px.wire_to_bgra8(wire, fmt, width * height)


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], 0
        elif isinstance(node, ast.ImportFrom):
            yield (node.module or "").split(".")[0], node.level


def test_the_plugin_imports_only_the_client_the_host_and_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"krita", "PyQt5", "PyQt6"}
    files = sorted(PACKAGE.rglob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "api.py", "docker.py", "pixels.py", "qt_compat.py"}
    for path in files:
        for module, level in _imports(path):
            if level:  # relative: the plugin's own modules and the vendored lego_edit_client
                continue
            assert module in allowed, f"{path.name} imports {module}: the plugin runs on Krita's own Python"


def test_desktop_entry():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PLUGIN / "lego_edit.desktop")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Service" and section["ServiceTypes"] == "Krita/PythonPlugin"
    assert section["X-KDE-Library"] == "lego_edit" and section["X-Python-2-Compatible"] == "false"
    assert section["Name"] == "Lego Edit" and section["Comment"]


# -- the endpoint and CURVE keys, through the shared client settings (no Krita needed) -----------------

@pytest.fixture
def installed_api(tmp_path, monkeypatch):
    """lego_edit.api as `lego-edit install --krita` lays it out (the client copied in as lego_edit_client)."""
    from lego_edit.installer.core import default_source, planned_files
    from lego_edit.installer.paths import Target

    root = tmp_path / "krita"
    for rel, spec in planned_files(Target("krita", "native", root), default_source(), "0").items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(spec.data)
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("LEGO_EDIT_ENDPOINT", raising=False)
    monkeypatch.syspath_prepend(str(root / "pykrita"))

    def ours(name):
        return name == "lego_edit" or name.startswith("lego_edit.")

    for name in [m for m in sys.modules if ours(m)]:
        monkeypatch.delitem(sys.modules, name)
    api = importlib.import_module("lego_edit.api")
    assert api._CLIENT_IMPORT_ERROR is None
    yield api, home / ".config" / "lego-edit"
    for client in api._clients.values():
        client.close()
    for name in [m for m in sys.modules if ours(m)]:
        del sys.modules[name]


def test_api_resolves_the_endpoint_like_the_gimp_plugin(installed_api, monkeypatch):
    api, folder = installed_api
    assert api.resolve_endpoint("") == api.configured_endpoint() == "tcp://127.0.0.1:5588"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text('[daemon]\nendpoint = "tcp://0.0.0.0:6001"\n')
    assert api.configured_endpoint() == "tcp://127.0.0.1:6001"
    monkeypatch.setenv("LEGO_EDIT_ENDPOINT", "tcp://127.0.0.1:6002")
    assert api.resolve_endpoint(" ") == "tcp://127.0.0.1:6002"
    assert api.resolve_endpoint("tcp://127.0.0.1:6003") == "tcp://127.0.0.1:6003"  # the docker field / argument


def test_api_picks_up_curve_keys_from_the_config(installed_api):
    from lego_edit.daemon import keys

    api, folder = installed_api
    assert api.make_client("tcp://127.0.0.1:5588", keepalive=False).curve is None  # loopback, curve = "auto"
    server, local, _ = keys.ensure_keys(folder / "keys")  # what `lego-edit keys` makes
    folder.joinpath("config.toml").write_text('[daemon]\ncurve = "always"\n')
    client = api.make_client(keepalive=False)
    assert client.endpoint == "tcp://127.0.0.1:5588"
    assert (client.curve.server_public, client.curve.public, client.curve.secret) == (server.public, local.public,
                                                                                      local.secret)
    assert api.make_client("tcp://gpu-box:5588", keepalive=False).curve == client.curve  # off loopback: CURVE
    (folder / "keys" / "server.key").write_text("broken")
    with pytest.raises(api.LegoEditError, match="server.key") as caught:
        api.make_client(keepalive=False)
    assert caught.value.code == "bad_keys"


def test_api_reaches_a_daemon_that_requires_curve(installed_api):
    """A real daemon with daemon.curve = "always": the API connects with the configured keys; a plain client cannot."""
    from lego_edit.daemon import keys
    from lego_edit.plugins.client import Client, LegoError
    from tests.daemon_util import config, running_server

    api, folder = installed_api
    cfg = config(folder, daemon={"curve": "always"})
    keys.ensure_keys(cfg.keys_dir)
    with running_server(cfg) as server:
        assert server.curve
        folder.joinpath("config.toml").write_text(f'[daemon]\ncurve = "always"\nendpoint = "{server.endpoint}"\n')
        client = api.client_for()  # no endpoint given: config.toml's, with its keys
        assert client.endpoint == server.endpoint and client.curve is not None
        api.wait_connected(client, 5.0)
        assert client.status()["curve"] is True
        with Client(server.endpoint, keepalive=False) as plain, pytest.raises(LegoError):
            plain.hello(timeout=0.5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the death signal is Linux's prctl, through setpriv")
def test_a_daemon_started_to_end_with_its_host_ends_when_the_host_is_killed(tmp_path):
    """The docker starts `lego-edit serve` with `ends_with_host`: even a host killed outright (no quit hook
    runs) takes its daemon with it, while a daemon started without it is left running."""
    import os
    import signal
    import stat
    import subprocess
    import time

    from lego_edit.plugins.client import daemon_launch

    if not daemon_launch.death_signal_prefix():
        pytest.skip("no setpriv (util-linux) on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "lego-edit"  # a stand-in daemon: writes its pid, then waits to be signalled
    script.write_text(f"#!{sys.executable}\nimport os, sys, time, signal\n"
                      "signal.signal(signal.SIGTERM, lambda *_: (open(sys.argv[-1] + '.term', 'w').close(), "
                      "os._exit(0)))\n"
                      "open(sys.argv[-1], 'w').write(str(os.getpid()))\ntime.sleep(60)\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    host = ("import sys\nfrom lego_edit.plugins.client import daemon_launch\n"
            "for name, ends in (('with', True), ('without', False)):\n"
            "    launch = daemon_launch.start_daemon(sys.argv[1] + '/' + name, sys.argv[1] + '/log', "
            "executable=sys.argv[2], ends_with_host=ends)\n"
            "    print(name, launch.ends_with_host, launch.command[0], flush=True)\n"
            "import time; time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", host, str(tmp_path), str(script)], stdout=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline().split() for _ in range(2)]
    assert lines == [["with", "True", str(script)], ["without", "False", str(script)]], lines
    deadline = time.monotonic() + 10
    while not ((tmp_path / "with").exists() and (tmp_path / "without").exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = {name: int((tmp_path / name).read_text()) for name in ("with", "without")}
    try:
        proc.send_signal(signal.SIGKILL)  # the host dies without running anything
        proc.wait(5)
        while not (tmp_path / "with.term").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "with.term").exists(), "the daemon started to end with its host got SIGTERM"
        time.sleep(0.3)
        assert not (tmp_path / "without.term").exists()
        os.kill(pids["without"], 0)  # still running: only the host's own daemon goes
    finally:
        for pid in pids.values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
