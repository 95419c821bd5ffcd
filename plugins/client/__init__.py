"""The Lego Edit client both host plugins ship: see lego_client.py (pure Python + pyzmq)."""

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

__all__ = [
    "DEFAULT_ENDPOINT", "ENDPOINT_ENV", "PROTOCOL_VERSION", "Client", "CurveKeys", "Event", "ImageData", "Layer",
    "LegoError", "Result", "default_endpoint", "generate_keypair", "read_key_file",
]
