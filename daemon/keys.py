"""CURVE keys: the server key pair (secret mode 0600) and the allow-list of client public keys.

Layout of <config dir>/keys/:
  server.key, server.key_secret      the daemon's pair (ZeroMQ certificate files)
  local-client.key, .key_secret      a pair for this machine's own tools (status, stop, tray)
  authorized_clients                 one Z85 public key a line, then an optional name; '#' comments
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lego_edit.plugins.client.settings import (
    is_local as is_local,  # one copy, shared with the plugins; callers import it here
)

log = logging.getLogger("lego_edit.keys")

ALLOW_LIST = "authorized_clients"
Z85_KEY = re.compile(r"^[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}$")


class KeyFileError(ValueError):
    """A key is malformed or missing; the message says which and how to fix it."""


@dataclass(frozen=True)
class KeyPair:
    public: str
    secret: str


def valid_key(text: str) -> bool:
    return bool(Z85_KEY.match(text))


def _write_cert(folder: Path, name: str, pair: KeyPair) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    public_text = f"# ZeroMQ CURVE public certificate\ncurve\n    public-key = \"{pair.public}\"\n"
    (folder / f"{name}.key").write_text(public_text, encoding="ascii")
    secret_path = folder / f"{name}.key_secret"
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"# ZeroMQ CURVE secret certificate: keep it private\ncurve\n"
                 f"    public-key = \"{pair.public}\"\n    secret-key = \"{pair.secret}\"\n")
    os.chmod(secret_path, 0o600)


def _read_cert(path: Path) -> dict[str, str]:
    found = dict(re.findall(r'(public-key|secret-key)\s*=\s*"([^"]+)"', path.read_text(encoding="ascii")))
    return found


def load_pair(folder: Path, name: str) -> KeyPair | None:
    secret_path = folder / f"{name}.key_secret"
    if not secret_path.exists():
        return None
    mode = secret_path.stat().st_mode & 0o777
    if os.name == "posix" and mode & 0o077:
        raise KeyFileError(f"{secret_path} is readable by others (mode {mode:o}); run: chmod 600 {secret_path}")
    found = _read_cert(secret_path)
    if not valid_key(found.get("public-key", "")) or not valid_key(found.get("secret-key", "")):
        raise KeyFileError(f"{secret_path} holds no valid CURVE key pair; delete it and run `lego-edit keys`")
    return KeyPair(found["public-key"], found["secret-key"])


def new_pair() -> KeyPair:
    import zmq

    public, secret = zmq.curve_keypair()
    return KeyPair(public.decode("ascii"), secret.decode("ascii"))


def ensure_keys(folder: Path) -> tuple[KeyPair, KeyPair, bool]:
    """(server pair, local client pair, created?): makes both if missing; the local client is allowed."""
    created = False
    server = load_pair(folder, "server")
    if server is None:
        server = new_pair()
        _write_cert(folder, "server", server)
        created = True
    local = load_pair(folder, "local-client")
    if local is None:
        local = new_pair()
        _write_cert(folder, "local-client", local)
        created = True
    if local.public not in allowed(folder):
        allow(folder, local.public, "this machine's lego-edit tools")
    return server, local, created


def allowed(folder: Path) -> dict[str, str]:
    """Public key -> name, from the allow-list (empty when there is none)."""
    path = folder / ALLOW_LIST
    keys: dict[str, str] = {}
    if not path.exists():
        return keys
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, name = line.partition(" ")
        if valid_key(key):
            keys[key] = name.strip()
        else:
            log.warning("%s line %d: not a Z85 public key, ignored", path, number)
    return keys


def allow(folder: Path, public_key: str, name: str = "") -> bool:
    """Add a client public key; False if it was already there."""
    public_key = public_key.strip()
    if not valid_key(public_key):
        raise KeyFileError(f"{public_key!r} is not a CURVE public key (40 Z85 characters)")
    if public_key in allowed(folder):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ALLOW_LIST).open("a", encoding="utf-8") as fh:
        fh.write(f"{public_key} {name}".rstrip() + "\n")
    return True


def revoke(folder: Path, public_key: str) -> bool:
    path = folder / ALLOW_LIST
    if not path.exists():
        return False
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if ln.strip().partition(" ")[0] != public_key.strip()]
    path.write_text("".join(f"{ln}\n" for ln in kept), encoding="utf-8")
    return len(kept) != len(lines)


class AllowList:
    """ZAP credentials provider: re-reads the allow-list when it changes, so `keys --allow` needs no restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp: tuple[int, int, int] | None = None
        self._keys: frozenset[str] = frozenset()

    def keys(self) -> frozenset[str]:
        """The allowed keys now (the file is re-read only when its modification time changes)."""
        path = self.folder / ALLOW_LIST
        try:
            st = path.stat()
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._keys, self._stamp = frozenset(allowed(self.folder)), stamp
        return self._keys

    def callback(self, domain: str, key: bytes) -> bool:
        ok = key.decode("ascii", "replace") in self.keys()
        if not ok:
            log.warning("refused a CURVE client with an unknown key %s", key.decode("ascii", "replace"))
        return ok
