"""The daemon's address as a person types it ("localhost:5588") and as ZeroMQ wants it ("tcp://localhost:5588").

A settings field shows `address_of(endpoint)` and reads back `endpoint_from_address(text)`, which
says in one sentence what is wrong with a bad entry instead of letting ZeroMQ answer "Invalid
argument". Standard library only.
"""

from __future__ import annotations

import re

_SCHEMES = ("tcp", "ipc", "inproc")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\*)$")


class AddressError(ValueError):
    """A daemon address that cannot be used; the message is the sentence to show."""


def endpoint_from_address(text: str | None) -> str:
    """"host:port" (or a full ZeroMQ endpoint) -> "tcp://host:port"; "" stays "" (the default daemon)."""
    text = (text or "").strip()
    if not text:
        return ""
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme not in _SCHEMES:
            raise AddressError(f"\u201c{text}\u201d: the daemon's address starts with tcp://, ipc:// or inproc://, "
                               "or is host:port, e.g. 127.0.0.1:5588.")
        if scheme != "tcp":
            if not rest:
                raise AddressError(f"\u201c{text}\u201d names no socket.")
            return text
        text = rest
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise AddressError(f"\u201c{text}\u201d: write the daemon's address as host:port, e.g. 127.0.0.1:5588.")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise AddressError(f"\u201c{text}\u201d: the port must be a number from 1 to 65535.")
    if not _HOST.match(host):
        raise AddressError(f"\u201c{text}\u201d: \u201c{host}\u201d is not a host name or IP address.")
    return f"tcp://{host}:{int(port)}"


def address_of(endpoint: str | None) -> str:
    """"tcp://127.0.0.1:5588" -> "127.0.0.1:5588"; other endpoints as they are."""
    endpoint = endpoint or ""
    return endpoint[len("tcp://"):] if endpoint.startswith("tcp://") else endpoint
