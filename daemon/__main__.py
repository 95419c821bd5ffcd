"""`python -m lego_edit.daemon ...` is `lego-edit ...` (the tray and autostart start the daemon this way)."""

import sys

from lego_edit.daemon.cli import main

sys.exit(main())
