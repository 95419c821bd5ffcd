"""The Lego Edit client both host plugins ship: lego_client.py (pure Python + pyzmq) talks to the daemon,
settings.py finds it (its config.toml, the endpoint, the CURVE keys) and session.py turns one edit's
events into what a host shows (status, progress, error sentences, plan summary, layer names)."""

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
from .session import (
    GROUP_PREFIX,
    HOST_ERROR,
    EditSession,
    Failure,
    LayerName,
    Phase,
    PlanStep,
    PlanSummary,
    error_sentence,
    group_name,
    layer_name,
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
    "GROUP_PREFIX", "HOST_ERROR", "EditSession", "Failure", "LayerName", "Phase", "PlanStep", "PlanSummary", "error_sentence",
    "group_name", "layer_name",
]
