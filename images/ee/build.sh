#!/usr/bin/env bash
# Build the execution environment AWX runs this collection in,
# localhost/odoo-hosting-ee:<galaxy.yml's version>, from
# execution-environment.yml with ansible-builder (docs/awx.md), on the
# project's Debian 12 image (images/vm, built first when missing).
#
# Usage: images/ee/build.sh      (ansible-builder on PATH: the dev venv)
# images/build-all.sh leaves it out: it runs before the venv exists, and
# scripts/test.sh's ee stage runs this once the venv is there.
#
# The image holds this checkout's collection, so its recipe is the EE
# definition as ansible-builder renders it (Containerfile and build files),
# the collection's file list with each file's checksum (its FILES.json: the
# tarball itself carries build times), and the base image's recipe. A second
# run without a change skips the build.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=images/lib.sh
. "$here/../lib.sh"

version=$(sed -n 's/^version: *//p' "$top/galaxy.yml")
readonly image="localhost/odoo-hosting-ee:${version:?cannot read the version from galaxy.yml}"
readonly base=localhost/odoo-hosting-vm:debian12
# execution-environment.yml takes the collection's tarball from here.
readonly work="$top/.cache/ee"

command -v ansible-builder >/dev/null ||
  { echo "build.sh: ansible-builder is not on PATH (. scripts/dev-env.sh)" >&2; exit 2; }

exec 9>/var/lock/odoo-hosting-ee-image.lock
flock 9

"$here/../vm/build.sh" bookworm
base_hash=$(docker image inspect --format "{{ index .Config.Labels \"$RECIPE_LABEL\" }}" "$base")

rm -rf "$work"
"$top/scripts/build-collection.sh" "$work" >/dev/null
tarball=$(ls "$work"/sysgenpro-odoo_hosting-*.tar.gz)
(cd "$top" && ansible-builder create --file execution-environment.yml \
  --context "$work/context" --output-filename Dockerfile >/dev/null)

hash=$(
  {
    printf '%s\n' "$base" "$base_hash"
    cat "$here/../lib.sh" "$here/build.sh"
    (cd "$work/context" && find . -type f ! -name '*.tar.gz' | LC_ALL=C sort |
       while read -r f; do echo "$f"; cat "$f"; done)
    tar -xOzf "$tarball" MANIFEST.json FILES.json
  } | recipe_hash
)
image_up_to_date "$image" "$hash" && exit 0

echo "build.sh: building $image on $base"
docker build --quiet --tag "$image" --label "$RECIPE_LABEL=$hash" \
  --label "org.opencontainers.image.title=odoo-hosting-ee (sysgenpro.odoo_hosting $version)" \
  --label "org.opencontainers.image.version=$version" \
  "$work/context" >/dev/null
echo "build.sh: built $image (recipe $hash)"
