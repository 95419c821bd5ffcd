"""CURVE: required off loopback, working with allowed keys (forced on 127.0.0.1), refusing everyone else."""

from __future__ import annotations

import pytest
import zmq

from lego_edit.daemon import keys
from lego_edit.daemon.service.server import StartError
from lego_edit.plugins.client import Client, CurveKeys, LegoError
from tests.daemon_util import IDENTITY, Raw, config, image_desc, make_server, noise, running_server


@pytest.mark.parametrize("endpoint,local", [
    ("tcp://127.0.0.1:5588", True), ("tcp://localhost:5588", True), ("tcp://[::1]:5588", True),
    ("tcp://127.3.2.1:1", True), ("ipc:///tmp/lego.sock", True), ("inproc://x", True),
    ("tcp://0.0.0.0:5588", False), ("tcp://*:5588", False), ("tcp://192.168.1.5:5588", False),
    ("tcp://eth0:5588", False), ("tcp://[::]:5588", False),
])
def test_which_endpoints_are_local(endpoint, local):
    assert keys.is_local(endpoint) is local


def test_off_loopback_refuses_to_start_without_keys_or_allowed_clients(tmp_path):
    server = make_server(config(tmp_path))
    with pytest.raises(StartError, match="requires CURVE keys.*lego-edit keys"):
        server.bind("tcp://0.0.0.0:0")
    folder = tmp_path / "keys"
    server_pair = keys.new_pair()
    keys._write_cert(folder, "server", server_pair)
    with pytest.raises(StartError, match="no client key is allowed.*--allow"):
        server.bind("tcp://0.0.0.0:0")
    (folder / "server.key_secret").chmod(0o644)
    with pytest.raises(StartError, match="chmod 600"):
        server.bind("tcp://0.0.0.0:0")


@pytest.fixture
def curve_server(tmp_path):
    cfg = config(tmp_path, daemon={"curve": "always"})
    server_pair, local_pair, created = keys.ensure_keys(cfg.keys_dir)
    assert created
    laptop = keys.new_pair()
    keys.allow(cfg.keys_dir, laptop.public, "laptop")
    with running_server(cfg) as server:
        yield server, server_pair, laptop


def test_curve_on_loopback_with_an_allowed_key(curve_server):
    server, server_pair, laptop = curve_server
    assert server.curve
    raw = Raw(server.endpoint, curve_serverkey=server_pair.public.encode(), curve_publickey=laptop.public.encode(),
              curve_secretkey=laptop.secret.encode())
    image = noise(6, 5)
    raw.send({"id": 1, "type": "run", "workflow": IDENTITY, "image": image_desc(5, 6)}, image.tobytes())
    header, blobs = raw.until_terminal(1)[-1]
    assert header["type"] == "result" and blobs[0] == image.tobytes()
    raw.close()
    # The plugins' client, with the same keys.
    with Client(server.endpoint, curve=CurveKeys(server_pair.public, laptop.public, laptop.secret)) as client:
        assert client.hello()["curve"] is True


def test_curve_refuses_unknown_keys_and_plain_clients(curve_server):
    server, server_pair, laptop = curve_server
    stranger = keys.new_pair()
    intruder = Raw(server.endpoint, curve_serverkey=server_pair.public.encode(),
                   curve_publickey=stranger.public.encode(), curve_secretkey=stranger.secret.encode())
    plain = Raw(server.endpoint)
    for raw in (intruder, plain):
        try:
            raw.send({"id": "p", "type": "ping"})
        except zmq.Again:  # the handshake already failed: no peer to queue for
            pass
        with pytest.raises(TimeoutError):
            raw.recv(timeout=0.5)
        raw.close()
    # Allowing the key takes effect without a restart.
    keys.allow(server.config.keys_dir, stranger.public, "now welcome")
    friend = Raw(server.endpoint, curve_serverkey=server_pair.public.encode(),
                 curve_publickey=stranger.public.encode(), curve_secretkey=stranger.secret.encode())
    assert friend.ping_ok()
    friend.close()
    with Client(server.endpoint, timeout_s=0.5) as client, pytest.raises(LegoError) as info:
        client.hello(timeout=0.8)
    assert info.value.code in ("timeout", "disconnected")


def test_key_files_are_readable_by_the_client_module(tmp_path):
    from lego_edit.plugins.client import read_key_file

    server_pair, local_pair, _ = keys.ensure_keys(tmp_path)
    curve = CurveKeys.from_files(str(tmp_path / "server.key"), str(tmp_path / "local-client.key_secret"))
    assert (curve.server_public, curve.public, curve.secret) == (server_pair.public, local_pair.public,
                                                                   local_pair.secret)
    assert "secret-key" not in read_key_file(str(tmp_path / "server.key"))
    assert zmq.has("curve")
