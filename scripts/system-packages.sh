#!/usr/bin/env bash
# Make sure the Debian packages the platform needs are installed.
# Usage: scripts/system-packages.sh [--optional PKG ...] PKG ...
# Installs what is missing when apt-get can run (as root, or through sudo without a password);
# otherwise stops and lists what to install. Packages after --optional only warn if they
# cannot be installed (outside CI: their tests skip and say why).
set -euo pipefail

required=()
optional=()
target=required
for arg in "$@"; do
  if [ "$arg" = "--optional" ]; then target=optional; continue; fi
  if [ "$target" = required ]; then required+=("$arg"); else optional+=("$arg"); fi
done

missing() {
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || echo "$pkg"
  done
}

apt_runner() {
  if ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  if [ "$(id -u)" = 0 ]; then echo ""; return 0; fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then echo "sudo"; return 0; fi
  return 1
}

need_required=$(missing "${required[@]}")
need_optional=$( [ ${#optional[@]} -gt 0 ] && missing "${optional[@]}" || true)
[ -z "$need_required$need_optional" ] && exit 0

if prefix=$(apt_runner); then
  echo "installing Debian packages: $need_required $need_optional"
  $prefix apt-get update -qq
  # shellcheck disable=SC2086
  [ -n "$need_required" ] && DEBIAN_FRONTEND=noninteractive $prefix apt-get install -y -qq --no-install-recommends $need_required
  if [ -n "$need_optional" ]; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $prefix apt-get install -y -qq --no-install-recommends $need_optional \
      || echo "warning: could not install $need_optional; the tests that need them will skip and say why" >&2
  fi
  still=$(missing "${required[@]}")
  if [ -n "$still" ]; then echo "error: still missing: $still" >&2; exit 1; fi
  exit 0
fi

if [ -n "$need_required" ]; then
  echo "error: these Debian packages are needed and apt-get cannot run here (not root, no sudo):" >&2
  echo "  sudo apt-get install $need_required $need_optional" >&2
  exit 1
fi
echo "warning: optional packages missing and apt-get cannot run: $need_optional (their tests will skip)" >&2
