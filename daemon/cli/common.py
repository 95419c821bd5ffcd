"""What every command shares: the `--config` option, reading config.toml, finding the daemon.

Every command reads config.toml through `load_config` (lego_edit.daemon.config, the one reader), so
`--config FILE` and $LEGO_EDIT_CONFIG mean the same to all of them.
"""

from __future__ import annotations

import argparse
from typing import Any

from lego_edit.daemon.cli.errors import CliError

CONFIG_HELP = "config.toml (default: $LEGO_EDIT_CONFIG, else the one `lego-edit config` shows)"


def add_config(p: argparse.ArgumentParser, help: str = CONFIG_HELP) -> None:
    p.add_argument("--config", metavar="FILE", help=help)


def add_endpoint(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--endpoint", metavar="E", help=help or "ZeroMQ endpoint (default: $LEGO_EDIT_ENDPOINT, else "
                                                           "daemon.endpoint in the config, tcp://127.0.0.1:5588)")


def load_config(args: argparse.Namespace, *, may_be_missing: bool = False):
    """The settings `serve` uses, read from `--config`, else $LEGO_EDIT_CONFIG, else the default file."""
    from lego_edit.daemon.config import ConfigError, load

    try:
        return load(getattr(args, "config", None), may_be_missing=may_be_missing)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def client_endpoint(args: argparse.Namespace, cfg: Any) -> str:
    """Where this machine's tools reach the daemon (`--endpoint` made connectable, else as configured)."""
    from lego_edit.daemon.config import client_endpoint as resolve

    return resolve(cfg, getattr(args, "endpoint", None))


def bind_endpoint(args: argparse.Namespace, cfg: Any) -> str:
    """Where `serve` binds: `--endpoint`, else daemon.endpoint in the config (a bind address stays one)."""
    return getattr(args, "endpoint", None) or cfg.daemon.endpoint
