"""The `lego-edit` parser and entry point: every failure a user can meet ends as one line on stderr."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from lego_edit.daemon.cli.errors import CliError, missing_package


def build_parser() -> argparse.ArgumentParser:
    from lego_edit.daemon.cli import edit, install, models, serve  # light: their heavy imports sit in the commands

    parser = argparse.ArgumentParser(prog="lego-edit", description="Instruction-based image editing with bricks.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING or ERROR")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (edit, serve, models, install):
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
        print(f"lego-edit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lego-edit: interrupted", file=sys.stderr)
        return 130
    except ImportError as exc:  # an optional package (torch, huggingface_hub...) this command needs
        if args.debug:
            raise
        print(f"lego-edit: error: {missing_package(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # anything unexpected: one line, the traceback only with --debug
        if args.debug:
            raise
        print(f"lego-edit: error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1
