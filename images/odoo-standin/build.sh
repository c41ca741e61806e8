#!/usr/bin/env bash
# Build the Odoo stand-in image, localhost/odoo-standin:<series>, on our Debian
# base image (images/vm, built first when missing). See CONTRACT.md.
#
# Usage: images/odoo-standin/build.sh
# The image is rebuilt only when its recipe changes (the files beside this
# script, or the base image's own recipe): the recipe hash is kept in the
# label org.sysgenpro.recipe-hash and compared before anything is built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=images/lib.sh
. "$here/../lib.sh"

series=$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' "$here/odoo_standin/__init__.py")
readonly image="localhost/odoo-standin:${series:?cannot read VERSION from odoo_standin/__init__.py}"
readonly base=localhost/odoo-hosting-vm:debian12

exec 9>/var/lock/odoo-hosting-odoo-standin-image.lock
flock 9

"$here/../vm/build.sh" bookworm
base_hash=$(docker image inspect --format "{{ index .Config.Labels \"$RECIPE_LABEL\" }}" "$base")

hash=$(
  {
    printf '%s\n' "$base" "$base_hash"
    cat "$here/../lib.sh"
    (cd "$here" && find build.sh Dockerfile entrypoint.sh odoo.conf bin odoo_standin addons \
       -type f ! -name '*.pyc' | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done)
  } | recipe_hash
)
image_up_to_date "$image" "$hash" && exit 0

context=$(mktemp -d /var/tmp/odoo-standin-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
cp -r "$here/Dockerfile" "$here/entrypoint.sh" "$here/odoo.conf" "$here/bin" "$here/addons" "$context/"
mkdir "$context/odoo_standin"
cp "$here"/odoo_standin/*.py "$context/odoo_standin/"

echo "build.sh: building $image on $base"
docker build --quiet --tag "$image" --build-arg "BASE=$base" \
  --label "$RECIPE_LABEL=$hash" \
  --label "org.opencontainers.image.title=odoo-standin (test stand-in, not Odoo)" \
  --label "org.opencontainers.image.version=$series" \
  "$context" >/dev/null
echo "build.sh: built $image (recipe $hash)"
