#!/usr/bin/env bash
# Build the local SeaweedFS image, localhost/seaweedfs:<release>, from
# SeaweedFS's Go module (fetched through the Go module proxy; nothing is
# pulled from a container registry). Only the tests use it: it is the real
# S3-compatible server that pgBackRest's second repository is drilled
# against. See README.md beside this script.
#
# Usage: images/seaweedfs/build.sh
# Environment:
#   ODOO_HOSTING_GO_CACHE  persistent Go module and build caches
#                          (default /var/cache/odoo-hosting/go)
# The image is rebuilt only when its recipe changes (the pinned version, the
# files beside this script): the recipe hash is kept in the label
# org.sysgenpro.recipe-hash and compared before anything is built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=images/lib.sh
. "$here/../lib.sh"

# SeaweedFS 4.53 (the commit the module proxy serves as this pseudo-version).
readonly seaweedfs_version=v0.0.0-20261109003541-7506e5f91cd6
readonly seaweedfs_release=4.53
readonly image="localhost/seaweedfs:$seaweedfs_release"
readonly go_cache=${ODOO_HOSTING_GO_CACHE:-/var/cache/odoo-hosting/go}

exec 9>/var/lock/odoo-hosting-seaweedfs-image.lock
flock 9

hash=$(
  {
    printf '%s\n' "$seaweedfs_version" "$seaweedfs_release"
    cat "$here/../lib.sh" "$here/build.sh" "$here/go-build.sh" "$here/Dockerfile"
  } | recipe_hash
)
image_up_to_date "$image" "$hash" && exit 0

go=
for candidate in "$(command -v go || true)" /usr/local/go/bin/go; do
  [ -x "$candidate" ] || continue
  case "$("$candidate" env GOVERSION 2>/dev/null)" in
    go1.2[1-9]* | go1.[3-9][0-9]* | go[2-9]*) go=$candidate; break ;;
  esac
done
[ -n "$go" ] || { echo "build.sh: SeaweedFS needs a go 1.21 or newer on PATH or in /usr/local/go" >&2; exit 1; }

context=$(mktemp -d /var/tmp/seaweedfs-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/usr/local/bin" "$context/rootfs/tmp" "$context/rootfs/data" "$go_cache/mod" "$go_cache/build"
chmod 1777 "$context/rootfs/tmp"

echo "build.sh: building SeaweedFS $seaweedfs_release ($seaweedfs_version; caches in $go_cache, about 8 minutes cold)"
PATH="$(dirname "$go"):$PATH" GOMODCACHE="$go_cache/mod" GOCACHE="$go_cache/build" \
  "$here/go-build.sh" "$seaweedfs_version" "$context/rootfs/usr/local/bin"
"$context/rootfs/usr/local/bin/weed" version | grep -q " $seaweedfs_release " ||
  { echo "build.sh: the built weed is not release $seaweedfs_release" >&2; exit 1; }

docker build --quiet --tag "$image" \
  --label "$RECIPE_LABEL=$hash" \
  --label "org.opencontainers.image.title=seaweedfs (local build for the tests)" \
  --label "org.opencontainers.image.version=$seaweedfs_release" \
  --label "org.opencontainers.image.source=$seaweedfs_version of the Go module github.com/seaweedfs/seaweedfs" \
  -f "$here/Dockerfile" "$context" >/dev/null
echo "build.sh: built $image (recipe $hash)"
