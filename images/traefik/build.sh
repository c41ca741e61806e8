#!/usr/bin/env bash
# Build the local Traefik image, localhost/traefik:<version>, from Traefik's
# Go module (fetched through the Go module proxy; nothing is pulled from a
# container registry). See README.md beside this script.
#
# Usage: images/traefik/build.sh
# Environment:
#   ODOO_HOSTING_GO_CACHE  persistent Go module and build caches
#                          (default /var/cache/odoo-hosting/go)
#   TRAEFIK_BUILDER        host | container (default: host when a go 1.21+
#                          is on PATH or in /usr/local/go, else container)
# The image is rebuilt only when its recipe changes (the pinned version, the
# files beside this script, the CA bundle): the recipe hash is kept in the
# label org.sysgenpro.recipe-hash and compared before anything is built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=images/lib.sh
. "$here/../lib.sh"

# v3.7.x cannot be built from the module proxy (README.md, "Version pin").
readonly traefik_version=v3.6.25
readonly image="localhost/traefik:${traefik_version#v}"
readonly ca_bundle=/etc/ssl/certs/ca-certificates.crt
readonly go_cache=${ODOO_HOSTING_GO_CACHE:-/var/cache/odoo-hosting/go}
readonly builder_base=localhost/odoo-hosting-vm:debian12

[ -r "$ca_bundle" ] || { echo "build.sh: $ca_bundle is missing: install ca-certificates first" >&2; exit 1; }

exec 9>/var/lock/odoo-hosting-traefik-image.lock
flock 9

hash=$(
  {
    printf '%s\n' "$traefik_version"
    cat "$here/../lib.sh" "$here/build.sh" "$here/go-build.sh" "$here/Dockerfile" \
        "$here/entrypoint/main.go" "$ca_bundle"
  } | recipe_hash
)
image_up_to_date "$image" "$hash" && exit 0

# A go that can switch toolchains (1.21+) on this machine, if any.
host_go() {
  local go
  for go in "$(command -v go || true)" /usr/local/go/bin/go; do
    [ -x "$go" ] || continue
    case "$("$go" env GOVERSION 2>/dev/null)" in
      go1.2[1-9]* | go1.[3-9][0-9]* | go[2-9]*) echo "$go"; return 0 ;;
    esac
  done
  return 1
}

context=$(mktemp -d /var/tmp/traefik-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
bin="$context/rootfs/usr/local/bin"
mkdir -p "$bin" "$context/rootfs/etc/ssl/certs" "$context/rootfs/tmp" "$go_cache/mod" "$go_cache/build"
chmod 1777 "$context/rootfs/tmp"

builder=${TRAEFIK_BUILDER:-}
if [ -z "$builder" ]; then
  if host_go >/dev/null; then builder=host; else builder=container; fi
fi
echo "build.sh: building traefik $traefik_version on the $builder (caches in $go_cache)"
case "$builder" in
  host)
    go=$(host_go) || { echo "build.sh: no go 1.21+ on this machine; use TRAEFIK_BUILDER=container" >&2; exit 1; }
    PATH="$(dirname "$go"):$PATH" GOMODCACHE="$go_cache/mod" GOCACHE="$go_cache/build" \
      "$here/go-build.sh" "$traefik_version" "$bin"
    ;;
  container)
    # Debian's golang from the release's backports (bookworm's own go is too
    # old to fetch a toolchain), run in our Debian base image.
    docker image inspect "$builder_base" >/dev/null 2>&1 || "$here/../vm/build.sh" bookworm
    proxy_env=()
    for var in GOPROXY GOSUMDB GONOSUMDB GOPRIVATE HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
      [ -n "${!var:-}" ] && proxy_env+=(-e "$var")
    done
    docker run --rm --network bridge "${proxy_env[@]}" \
      -v "$here:/recipe:ro" -v "$go_cache:/var/cache/go" -v "$bin:/out" \
      -e GOMODCACHE=/var/cache/go/mod -e GOCACHE=/var/cache/go/build \
      --entrypoint /bin/bash "$builder_base" -euo pipefail -c '
        export DEBIAN_FRONTEND=noninteractive
        . /etc/os-release
        echo "deb http://deb.debian.org/debian ${VERSION_CODENAME}-backports main" \
          >/etc/apt/sources.list.d/backports.list
        apt-get update -qq
        pkg=$(apt-cache search --names-only "^golang-1\.[0-9]+-go$" | cut -d" " -f1 | sort -V | tail -n1)
        echo "build.sh: installing $pkg in the builder container"
        apt-get install -y -qq -t "${VERSION_CODENAME}-backports" "$pkg" git >/dev/null
        version=${pkg#golang-}
        PATH="/usr/lib/go-${version%-go}/bin:$PATH" /recipe/go-build.sh "$0" /out
      ' "$traefik_version"
    ;;
  *) echo "build.sh: TRAEFIK_BUILDER must be host or container, not '$builder'" >&2; exit 2 ;;
esac

install -m 0644 "$ca_bundle" "$context/rootfs/etc/ssl/certs/ca-certificates.crt"
"$bin/traefik" version >/dev/null
docker build --quiet --tag "$image" \
  --label "$RECIPE_LABEL=$hash" \
  --label "org.opencontainers.image.title=traefik (local build, not the official image)" \
  --label "org.opencontainers.image.version=$traefik_version" \
  --label "org.opencontainers.image.source=$traefik_version of the Go module github.com/traefik/traefik/v3" \
  -f "$here/Dockerfile" "$context" >/dev/null
echo "build.sh: built $image (recipe $hash)"
