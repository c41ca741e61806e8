#!/usr/bin/env bash
# Make promtool available to the unit tests of the alert rules: prints the
# path of a promtool that runs.
#
# Uses one on PATH, else one already in .cache/tools/; otherwise downloads
# Debian's `prometheus` package with `apt-get download` (no root needed, no
# service installed or started) and extracts only /usr/bin/promtool into
# .cache/tools/. Fails with a message that says what to look at when it cannot.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
readonly TOOLS_DIR=${PROMTOOL_DIR:-$top/.cache/tools}

log() { printf 'ensure-promtool: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

runs() { "$1" --version >/dev/null 2>&1; }

if command -v promtool >/dev/null 2>&1 && runs promtool; then
  command -v promtool
  exit 0
fi
if [ -x "$TOOLS_DIR/promtool" ] && runs "$TOOLS_DIR/promtool"; then
  echo "$TOOLS_DIR/promtool"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "no promtool on PATH or in $TOOLS_DIR, and no apt-get to fetch Debian's prometheus package"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "downloading Debian's prometheus package for its promtool (into $work)"
# apt-get download writes into the current directory; as a user other than
# root it warns that the sandbox user cannot reach it, and still downloads.
if ! (cd "$work" && apt-get download -qq prometheus) >"$work/apt.log" 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    log "apt-get download failed; updating the package lists once and trying again"
    # The same lock as the other stages' apt runs (sanity.sh, images/vm):
    # stages run side by side, and apt's own lock fails at once instead of waiting.
    flock /run/lock/odoo-hosting-tests-apt.lock apt-get update -qq >>"$work/apt.log" 2>&1 || true
    (cd "$work" && apt-get download -qq prometheus) >>"$work/apt.log" 2>&1 ||
      { cat "$work/apt.log" >&2; die "apt-get download prometheus failed"; }
  else
    cat "$work/apt.log" >&2
    die "apt-get download prometheus failed (as root, 'apt-get update' first may help)"
  fi
fi
deb=$(find "$work" -maxdepth 1 -name 'prometheus_*.deb' -print -quit)
[ -n "$deb" ] || die "apt-get download left no prometheus_*.deb in $work"
dpkg-deb -x "$deb" "$work/root"
[ -x "$work/root/usr/bin/promtool" ] || die "$deb holds no usr/bin/promtool"
mkdir -p "$TOOLS_DIR"
# Into place in one rename, so that a run beside this one never sees half a file.
install -m 0755 "$work/root/usr/bin/promtool" "$TOOLS_DIR/.promtool.$$"
mv -f "$TOOLS_DIR/.promtool.$$" "$TOOLS_DIR/promtool"
runs "$TOOLS_DIR/promtool" || die "$TOOLS_DIR/promtool does not run"
log "$("$TOOLS_DIR/promtool" --version 2>&1 | head -n 1) in $TOOLS_DIR"
echo "$TOOLS_DIR/promtool"
