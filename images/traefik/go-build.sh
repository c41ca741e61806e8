#!/usr/bin/env bash
# Build the Traefik binary (and the image's small entrypoint) from Traefik's
# Go module, with whatever `go` (1.21 or newer) is first on PATH. Run by
# build.sh, either on the host or inside a builder container.
#
# Usage: go-build.sh VERSION OUTDIR
#
# `go install github.com/traefik/traefik/v3/cmd/traefik@VERSION` refuses a
# module whose go.mod has replace directives, so this builds through a
# throwaway wrapper module that requires Traefik at VERSION and repeats its
# replace and exclude lines (taken from Traefik's go.mod in the module cache).
# GOMODCACHE and GOCACHE should point at a persistent place: a second build
# only relinks. GOTOOLCHAIN defaults to auto, so an older go fetches the
# toolchain that Traefik's go.mod asks for (module golang.org/toolchain,
# through the module proxy).
set -euo pipefail

readonly module=github.com/traefik/traefik/v3
version=${1:?usage: $0 VERSION OUTDIR}
out=${2:?usage: $0 VERSION OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)

export GOTOOLCHAIN=${GOTOOLCHAIN:-auto} GOFLAGS=${GOFLAGS:--modcacherw} CGO_ENABLED=0

work=$(mktemp -d "${TMPDIR:-/tmp}/traefik-wrapper.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# Fetch the module (into GOMODCACHE) and find its go.mod and release time.
info=$(go mod download -json "$module@$version")
json_field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p"; }
gomod=$(json_field GoMod)
[ -r "$gomod" ] || { echo "go-build.sh: cannot read the go.mod of $module@$version" >&2; exit 1; }
release_time=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$(json_field Info)")

# Replace and exclude directives, one per line, single-line or block form.
directives=$(awk '
  /^(replace|exclude)[[:space:]]*\($/ { verb = $1; next }
  verb != "" && /^\)/                 { verb = ""; next }
  verb != ""                          { sub(/^[[:space:]]+/, ""); sub(/[[:space:]]*\/\/.*/, "");
                                        if ($0 != "") print verb " " $0; next }
  /^(replace|exclude)[[:space:]]/     { sub(/[[:space:]]*\/\/.*/, ""); print }
' "$gomod")
# A replacement by a directory of Traefik's repository (a nested module) is
# not in the module zip and the proxy does not serve it: nothing can build it.
if local_replace=$(printf '%s\n' "$directives" | grep -E '^replace .*=>[[:space:]]*\.{0,2}/'); then
  echo "go-build.sh: $module@$version replaces a module by a directory of its own repository," >&2
  echo "  which the Go module proxy does not serve: $local_replace" >&2
  echo "  Pin a release without such a replace (see images/traefik/README.md)." >&2
  exit 3
fi
go_line=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")

cat >go.mod <<GOMOD
module localbuild/traefik-image

go $go_line

require $module $version

$directives
GOMOD
# Traefik's own go.sum (in its verified module zip) vouches for every module
# of its build: the checksum database then needs no look-up, and a few of
# those modules are unknown to the database as served through the proxy.
cp "$(json_field Dir)/go.sum" go.sum
chmod u+w go.sum
cp -r "$here/entrypoint" .

mkdir -p "$out"
pkg=$module/pkg/version
go build -mod=mod -trimpath -o "$out/traefik" -ldflags "-s -w \
  -X $pkg.Version=$version -X $pkg.BuildDate=$release_time" "$module/cmd/traefik"
go build -mod=mod -trimpath -o "$out/entrypoint" -ldflags "-s -w" ./entrypoint
echo "go-build.sh: built traefik $version with $(go env GOVERSION)"
