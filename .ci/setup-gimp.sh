#!/usr/bin/env bash
# Build (once) a Debian trixie chroot holding GIMP 3 + python3-gi + python3-zmq, for `pytest -m gimp`
# (plus Xvfb and xdotool, with which the tests drive the plug-in's dialog).
#
# Debian 12 ships only GIMP 2.10; trixie's GIMP 3.0 comes from the same package mirror apt already
# uses. The chroot lives outside the repository and is reused between runs:
#   LEGO_EDIT_GIMP_ROOT     chroot location (default /var/cache/lego-edit/gimp-trixie)
#   LEGO_EDIT_DEBIAN_MIRROR mirror URL (default: the first Debian mirror in the host's apt sources)
# Idempotent: does nothing when ROOT/usr/bin/gimp-console-3.0 (and Xvfb, xdotool) already exist; an
# interrupted build is resumed or redone. Needs root (debootstrap, chroot); without root it prints why
# and exits 0, so the gimp tests skip instead of failing CI.
set -euo pipefail

ROOT="${LEGO_EDIT_GIMP_ROOT:-/var/cache/lego-edit/gimp-trixie}"
SUITE=trixie
MARKER=.lego-edit-gimp-chroot  # written once debootstrap succeeded: only such a folder gets packages

# Never let ROOT be the host itself (or one of its system folders): apt would run on the host.
case "$(realpath -m "$ROOT")" in
  / | /bin | /boot | /dev | /etc | /home | /lib | /lib64 | /opt | /proc | /root | /run | /sbin | /srv | /sys | \
  /tmp | /usr | /usr/* | /var | /var/cache | /var/lib | /var/lib/* | "$(realpath -m "${HOME:-/root}")")
    echo "setup-gimp: refusing to use $ROOT as the chroot; set LEGO_EDIT_GIMP_ROOT to a folder of its own" >&2
    exit 1 ;;
esac
PACKAGES=(gimp python3-gi python3-zmq xvfb xauth xdotool)

if [ -x "$ROOT/usr/bin/gimp-console-3.0" ] && [ -x "$ROOT/usr/bin/Xvfb" ] && [ -x "$ROOT/usr/bin/xdotool" ]; then
  echo "setup-gimp: GIMP 3 chroot ready at $ROOT"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-gimp: not root, cannot build the GIMP 3 chroot at $ROOT; gimp tests will skip" >&2
  exit 0
fi

find_mirror() {
  if [ -n "${LEGO_EDIT_DEBIAN_MIRROR:-}" ]; then echo "$LEGO_EDIT_DEBIAN_MIRROR"; return; fi
  local f uri
  # deb822 sources: the URIs of a stanza whose suites are plain (not -security).
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    uri=$(awk '
      /^[[:space:]]*$/ { if (u != "" && s != "" && s !~ /security/ && u ~ /debian/) { print u; exit } u=""; s=""; next }
      tolower($1) == "uris:" { u = $2 }
      tolower($1) == "suites:" { s = $2 }
      END { if (u != "" && s != "" && s !~ /security/ && u ~ /debian/) print u }' "$f" | head -n1)
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  # one-line sources.
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    uri=$(awk '$1 == "deb" && $0 !~ /security/ && $0 ~ /debian/ {
             for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }' "$f" | head -n1)
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  echo "http://deb.debian.org/debian"
}

MIRROR=$(find_mirror)
echo "setup-gimp: preparing the $SUITE chroot at $ROOT (mirror $MIRROR)"

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1; then
  # Another job may hold the dpkg lock (e.g. the Krita setup): wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debootstrap >/dev/null
fi

mounted=()
cleanup() {
  local m
  for m in "${mounted[@]:-}"; do
    [ -n "$m" ] && umount -l "$m" 2>/dev/null || true
  done
}
trap cleanup EXIT

# A finished debootstrap leaves apt-get and no debootstrap/ work dir; an interrupted one (debootstrap/
# still there) starts over. Anything else already at ROOT is left alone.
if [ ! -x "$ROOT/usr/bin/apt-get" ] || [ -d "$ROOT/debootstrap" ]; then
  if [ -d "$ROOT" ] && [ ! -d "$ROOT/debootstrap" ] && [ -n "$(ls -A "$ROOT")" ]; then
    echo "setup-gimp: $ROOT exists and is not a (partial) chroot; move it away or set LEGO_EDIT_GIMP_ROOT" >&2
    exit 1
  fi
  rm -rf "$ROOT"
  mkdir -p "$(dirname "$ROOT")"
  if ! debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR"; then
    # Signatures are always checked: a host keyring without the suite's key needs a newer
    # debian-archive-keyring, not an unchecked install.
    echo "setup-gimp: debootstrap failed (see above; a 'signature' error means the host's" \
         "debian-archive-keyring lacks the $SUITE key)" >&2
    rm -rf "$ROOT"
    exit 1
  fi
  touch "$ROOT/$MARKER"
fi
if [ ! -e "$ROOT/$MARKER" ]; then
  # A chroot from before the marker existed: accept it only if it really is a separate trixie tree.
  if [ "$(realpath -m "$ROOT")" != / ] && grep -qs '^VERSION_CODENAME=trixie$' "$ROOT/etc/os-release"; then
    touch "$ROOT/$MARKER"
  else
    echo "setup-gimp: $ROOT is not a chroot made by this script; move it away or set LEGO_EDIT_GIMP_ROOT" >&2
    exit 1
  fi
fi

# Package scripts want /proc; mount it only for the install.
if ! mountpoint -q "$ROOT/proc"; then
  mount -t proc proc "$ROOT/proc"
  mounted+=("$ROOT/proc")
fi
cp -f /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"

chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  apt-get update -qq
chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get clean

test -x "$ROOT/usr/bin/gimp-console-3.0"
echo "setup-gimp: GIMP 3 chroot ready at $ROOT ($(chroot "$ROOT" gimp-console-3.0 --version 2>/dev/null || echo '?'))"
