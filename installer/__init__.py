"""Deploys the Krita and GIMP 3 plugins, vendors pyzmq where a host lacks it, sets up autostart, and
diagnoses an installation (`lego-edit install | uninstall | doctor`, registered by daemon/cli/install.py).

The plugins are read as data from the `plugins` folder shipped beside this package; nothing here
imports them, nor the daemon.
"""

from __future__ import annotations


def package_version() -> str:
    """The installed lego-edit distribution's version (stamped into each plugin's VERSION file)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lego-edit")
    except PackageNotFoundError:
        return "0+unknown"
