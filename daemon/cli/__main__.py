"""`python -m lego_edit.daemon.cli ...` is `lego-edit ...`."""

import sys

from lego_edit.daemon.cli import main

sys.exit(main())
