#!/usr/bin/env bash
# Installs what the `krita` tests need: Krita itself (kritarunner), pyzmq for Krita's Python,
# and an X server for the GUI smoke test. Idempotent: returns at once when all is present.
set -euo pipefail

need=()
command -v kritarunner >/dev/null 2>&1 || need+=(krita)
# Krita's Python plugins need the system PyQt5 (only "Recommended" by the krita package).
/usr/bin/python3 -c 'import PyQt5.QtWidgets' >/dev/null 2>&1 || need+=(python3-pyqt5 python3-sip)
/usr/bin/python3 -c 'import zmq' >/dev/null 2>&1 || need+=(python3-zmq)
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb)
command -v xauth >/dev/null 2>&1 || need+=(xauth)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "setup-krita: need root to install ${need[*]}; the krita tests will be skipped" >&2
    exit 0
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup-krita: installing ${need[*]}" >&2
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
