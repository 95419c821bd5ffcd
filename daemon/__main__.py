"""`python -m daemon ...` is `lego-edit ...` (the tray starts the daemon this way)."""

import sys

from lego_edit.daemon.cli import main

sys.exit(main())
