"""The `lego-edit` command line (`lego-edit = lego_edit.daemon.cli:main`).

Only argument parsing and output live here; the service the daemon runs is lego_edit.daemon.service.
Importing the package costs only argparse: each command imports what it needs when it runs, so
`lego-edit serve` starts without torch and `lego-edit --help` is instant.
"""

from lego_edit.daemon.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
