"""The Lego Edit client both host plugins ship: see lego_client.py (pure Python + pyzmq) and settings.py
(where the daemon is: its config.toml, the endpoint, the CURVE keys)."""

from .lego_client import (
    DEFAULT_ENDPOINT,
    ENDPOINT_ENV,
    PROTOCOL_VERSION,
    Client,
    CurveKeys,
    Event,
    ImageData,
    Layer,
    LegoError,
    Result,
    default_endpoint,
    generate_keypair,
    read_key_file,
)
from .settings import (
    config_dir,
    config_path,
    configured_endpoint,
    connectable,
    curve_files,
    curve_keys,
    curve_required,
    is_local,
    keys_dir,
    read_config,
    resolve_endpoint,
)

__all__ = [
    "DEFAULT_ENDPOINT", "ENDPOINT_ENV", "PROTOCOL_VERSION", "Client", "CurveKeys", "Event", "ImageData", "Layer",
    "LegoError", "Result", "default_endpoint", "generate_keypair", "read_key_file",
    "config_dir", "config_path", "configured_endpoint", "connectable", "curve_files", "curve_keys",
    "curve_required", "is_local", "keys_dir", "read_config", "resolve_endpoint",
]
