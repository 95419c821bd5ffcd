"""The `lego-edit` parser and entry point: every failure a user can meet ends as one line on stderr
(and, for a command given --json, as {"error": {"code", "message"}} on stdout)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from lego_edit.daemon.cli.errors import CliError, missing_package


def build_parser() -> argparse.ArgumentParser:
    # light: their heavy imports sit in the commands
    from lego_edit.daemon.cli import batch, edit, evaluate, install, models, serve, train

    parser = argparse.ArgumentParser(prog="lego-edit", description="Instruction-based image editing with bricks.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING or ERROR")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (edit, batch, evaluate, serve, models, install, train):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except CliError as exc:
        if args.debug:
            raise
        return _fail(args, getattr(exc, "code", None) or "error", str(exc))
    except KeyboardInterrupt:
        return _fail(args, "interrupted", "interrupted", status=130, prefix="lego-edit: ")
    except ImportError as exc:  # an optional package (torch, huggingface_hub...) this command needs
        if args.debug:
            raise
        return _fail(args, "missing_package", str(missing_package(exc)))
    except Exception as exc:  # anything unexpected: one line, the traceback only with --debug
        if args.debug:
            raise
        return _fail(args, "internal", f"{type(exc).__name__}: {exc} (run with --debug for details)")


def _fail(args: argparse.Namespace, code: str, message: str, *, status: int = 1,
          prefix: str = "lego-edit: error: ") -> int:
    """One line on stderr; with --json also {"error": {"code", "message"}} on stdout."""
    if getattr(args, "json", False):
        print(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False), flush=True)
    print(f"{prefix}{message}", file=sys.stderr)
    return status
