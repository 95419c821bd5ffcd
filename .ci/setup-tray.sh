#!/usr/bin/env bash
# Packages for the tray tests (tests/test_tray_desktop.py): Xvfb, a real XEmbed system tray (trayer),
# xdotool to click it, and GTK 3's introspection data, which `lego-edit tray` loads through the
# system's PyGObject (python3-gi) so that even a pip-installed tray has a menu.
# Idempotent; without root it prints why and exits 0 (the tests then skip).
set -euo pipefail

PACKAGES=(xvfb trayer xdotool python3-gi gir1.2-gtk-3.0)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-tray: ${PACKAGES[*]} installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-tray: not root, cannot install ${missing[*]}; the tray desktop tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-tray: installed ${missing[*]}"
