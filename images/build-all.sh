#!/usr/bin/env bash
# Build every image the tests and the demo need. Each recipe skips its build
# when the image's recipe hash is unchanged, so a second run takes seconds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

"$here/vm/build.sh" bookworm
"$here/vm/build.sh" trixie
for recipe in "$here"/*/build.sh; do
  case "$recipe" in "$here/vm/build.sh") continue ;; esac
  "$recipe"
done
