#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium) for the `browser` tests, which open `lego-edit eval`'s HTML
# report in it through Playwright's Python API (executable_path; Playwright's own browser downloads are never
# used). Idempotent: does nothing when /usr/bin/chromium exists. Needs root for apt; without root it says why
# and exits 0, so the browser tests skip instead of failing CI.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "setup-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) ready"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-chromium: not root, cannot apt-get install chromium; browser tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium; then
  apt-get update
  apt-get install -y --no-install-recommends chromium
fi
echo "setup-chromium: $(/usr/bin/chromium --version) installed"
