#!/usr/bin/env bash
# Build the images the tests and the demo need: every recipe (images/*/build.sh),
# or only the named ones (`images/build-all.sh traefik odoo-standin`); the
# Debian base images are always built. Each recipe skips its build when the
# image's recipe hash is unchanged, so a second run takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

"$here/vm/build.sh" bookworm
"$here/vm/build.sh" trixie
if [ $# -gt 0 ]; then
  for name in "$@"; do
    [ -x "$here/$name/build.sh" ] || { echo "build-all.sh: no recipe images/$name/build.sh" >&2; exit 2; }
    "$here/$name/build.sh"
  done
  exit 0
fi
for recipe in "$here"/*/build.sh; do
  case "$recipe" in "$here/vm/build.sh") continue ;; esac
  "$recipe"
done
