"""Where the daemon is and how to reach it, read the way the daemon itself reads it.

One copy for both host plugins and the daemon's own tools (daemon/keys.py takes `is_local` from
here). Standard library only, Python 3.10-3.13, no platformdirs:

- `config_path()`: the daemon's config.toml: $LEGO_EDIT_CONFIG, else where daemon/config.py finds
  it through platformdirs (`user_config_dir("lego-edit", appauthor=False)`);
- `read_config()`: that file as a dict ({} when it is missing, unreadable, or the Python has no
  tomllib, i.e. 3.10);
- `resolve_endpoint(argument)`: the argument, else `configured_endpoint()`: $LEGO_EDIT_ENDPOINT,
  else config.toml's `[daemon] endpoint`, else tcp://127.0.0.1:5588; whichever it is, made
  connectable (a bind address tcp://0.0.0.0:P -> tcp://127.0.0.1:P). The daemon's own tools
  (status, stop, tray, doctor) resolve their endpoint here too, so the two never disagree;
- `curve_keys(endpoint)`: the `CurveKeys` to connect with when the daemon requires CURVE, from the
  key pairs in <config dir>/keys/ that `lego-edit keys` writes (daemon/keys.py), else None.

Every function takes `environ` and `platform` (default os.environ and sys.platform) and `config`
(default: read it), so a caller can read config.toml once and tests need no real home folder.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
import sys
from collections.abc import Mapping
from typing import Any

from .lego_client import DEFAULT_ENDPOINT, ENDPOINT_ENV, CurveKeys

CONFIG_APP = "lego-edit"  # the daemon's platformdirs app name
CONFIG_ENV = "LEGO_EDIT_CONFIG"  # a config.toml to use instead of the one in the config folder
SERVER_KEY = "server.key"  # the daemon's public certificate
CLIENT_SECRET = "local-client.key_secret"  # this machine's client pair (on the daemon's allow-list)

Environ = Mapping[str, str]


def _home(environ: Environ, platform: str) -> str:
    if platform.startswith("win"):
        home = environ.get("USERPROFILE") or environ.get("HOME")
        if home:
            return home
    else:
        home = environ.get("HOME", "")
        if posixpath.isabs(home):  # as platformdirs: a relative HOME counts as unset
            return home
        try:
            import pwd

            return pwd.getpwuid(os.getuid()).pw_dir
        except (ImportError, KeyError):
            pass
    return os.path.expanduser("~")


def config_dir(environ: Environ | None = None, platform: str | None = None) -> str:
    """The daemon's config folder: platformdirs' user_config_dir("lego-edit", appauthor=False).

    Linux and other Unixes: $XDG_CONFIG_HOME (when absolute), else ~/.config; macOS: $XDG_CONFIG_HOME
    (when absolute, as platformdirs reads it there too), else ~/Library/Application Support;
    Windows: %LOCALAPPDATA%.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith("win"):
        base = environ.get("LOCALAPPDATA") or os.path.join(_home(environ, platform), "AppData", "Local")
        return os.path.join(base, CONFIG_APP)
    base = environ.get("XDG_CONFIG_HOME", "")
    if not posixpath.isabs(base):
        home = _home(environ, platform)
        base = posixpath.join(home, "Library", "Application Support") if platform == "darwin" \
            else posixpath.join(home, ".config")
    return posixpath.join(base, CONFIG_APP)


def config_path(environ: Environ | None = None, platform: str | None = None) -> str:
    """Where the daemon keeps config.toml: $LEGO_EDIT_CONFIG when set, else in its config folder."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(CONFIG_ENV, "").strip()
    if chosen:
        return os.path.expanduser(chosen)
    return os.path.join(config_dir(environ, platform), "config.toml")


def keys_dir(environ: Environ | None = None, platform: str | None = None) -> str:
    """The daemon's CURVE key folder, beside config.toml."""
    return os.path.join(os.path.dirname(config_path(environ, platform)), "keys")


def read_config(environ: Environ | None = None, platform: str | None = None) -> dict[str, Any]:
    """The daemon's config.toml as a dict ({} when missing, unreadable, or without tomllib)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: no TOML reader in the standard library, so the defaults
        return {}
    try:
        with open(config_path(environ, platform), "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError):  # missing, unreadable, not TOML: the daemon would refuse it anyway
        return {}
    return data if isinstance(data, dict) else {}


def _daemon_section(config: Mapping[str, Any]) -> Mapping[str, Any]:
    section = config.get("daemon")
    return section if isinstance(section, dict) else {}


def _config_endpoint(config: Mapping[str, Any]) -> str | None:
    endpoint = _daemon_section(config).get("endpoint")
    return endpoint.strip() if isinstance(endpoint, str) and endpoint.strip() else None


def connectable(endpoint: str) -> str:
    """A bind address (tcp://*:5588, tcp://0.0.0.0:5588, tcp://[::]:5588) -> the loopback one a client reaches."""
    for wildcard in ("tcp://*:", "tcp://0.0.0.0:"):
        if endpoint.startswith(wildcard):
            return "tcp://127.0.0.1:" + endpoint[len(wildcard):]
    if endpoint.startswith("tcp://[::]:"):
        return "tcp://[::1]:" + endpoint[len("tcp://[::]:"):]
    return endpoint


def configured_endpoint(environ: Environ | None = None, platform: str | None = None,
                        config: Mapping[str, Any] | None = None) -> str:
    """The endpoint when none is given: $LEGO_EDIT_ENDPOINT, else config.toml's, else the default."""
    environ = os.environ if environ is None else environ
    value = environ.get(ENDPOINT_ENV, "").strip()
    if value:
        return connectable(value)
    config = read_config(environ, platform) if config is None else config
    endpoint = _config_endpoint(config)
    return connectable(endpoint) if endpoint else DEFAULT_ENDPOINT


def resolve_endpoint(argument: str | None, environ: Environ | None = None, platform: str | None = None,
                     config: Mapping[str, Any] | None = None) -> str:
    """Where a client connects: `argument` (a host's endpoint field, a --endpoint option) when not
    blank, else `configured_endpoint()`; a bind address is made connectable, since a client that
    copies the daemon's `tcp://0.0.0.0:P` means the daemon on this machine."""
    argument = (argument or "").strip()
    return connectable(argument) if argument else configured_endpoint(environ, platform, config)


def is_local(endpoint: str) -> bool:
    """Whether an endpoint is reachable only from this machine (loopback TCP, ipc, inproc)."""
    scheme, _, rest = endpoint.partition("://")
    if scheme in ("ipc", "inproc"):
        return True
    if scheme != "tcp":
        return False
    host = rest.rsplit(":", 1)[0].strip("[]")
    if ";" in host:  # tcp://source;host:port: what matters is where it binds
        host = host.split(";")[-1]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "*", an interface name or a host name: may be reachable from elsewhere


def _tcp_port(endpoint: str) -> str | None:
    scheme, _, rest = endpoint.partition("://")
    return rest.rsplit(":", 1)[1] if scheme == "tcp" and ":" in rest else None


def curve_required(endpoint: str, config: Mapping[str, Any]) -> bool:
    """Whether the daemon at `endpoint` requires CURVE, as the daemon decides it (daemon/service/server.py).

    Yes when config.toml says `curve = "always"`, when the endpoint is on another machine, and when
    it is a loopback port of a daemon that config.toml binds off loopback (tcp://0.0.0.0:5588).
    """
    section = _daemon_section(config)
    if section.get("curve") == "always" or not is_local(endpoint):
        return True
    bound = _config_endpoint(config)
    if bound is None or is_local(bound):
        return False
    port = _tcp_port(endpoint)
    return port is not None and port == _tcp_port(bound)


def curve_files(endpoint: str, environ: Environ | None = None, platform: str | None = None,
                config: Mapping[str, Any] | None = None) -> tuple[str, str] | None:
    """(server public key file, client secret key file) when the daemon needs CURVE and they exist, else None.

    The key pairs are the ones `lego-edit keys` writes in <config dir>/keys/.
    """
    config = read_config(environ, platform) if config is None else config
    if not curve_required(endpoint, config):
        return None
    folder = keys_dir(environ, platform)
    server, client = os.path.join(folder, SERVER_KEY), os.path.join(folder, CLIENT_SECRET)
    if os.path.isfile(server) and os.path.isfile(client):
        return server, client
    return None


def curve_keys(endpoint: str, environ: Environ | None = None, platform: str | None = None,
               config: Mapping[str, Any] | None = None) -> CurveKeys | None:
    """The `CurveKeys` for `Client(endpoint, curve=...)`: None when no CURVE is needed (or no keys exist).

    Raises ValueError, with a message naming the files, when the key files cannot be read.
    """
    files = curve_files(endpoint, environ, platform, config)
    if files is None:
        return None
    try:
        return CurveKeys.from_files(*files)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the CURVE keys {files[0]} and {files[1]}: {exc}") from None
