#!/usr/bin/env bash
# Build the `weed` binary of SeaweedFS from its Go module, with whatever `go`
# (1.21 or newer) is first on PATH. Run by build.sh.
#
# Usage: go-build.sh VERSION OUTDIR
#
# SeaweedFS publishes no semantic-version tags for its module, so VERSION is
# the pseudo-version the module proxy serves for a release commit. `go
# install ...@VERSION` refuses a module whose go.mod has replace directives
# (SeaweedFS has one), so this builds through a throwaway wrapper module that
# requires SeaweedFS at VERSION and repeats its replace and exclude lines,
# with SeaweedFS's own go.sum vouching for its dependencies. GOMODCACHE and
# GOCACHE should point at a persistent place: a second build only relinks.
set -euo pipefail

readonly module=github.com/seaweedfs/seaweedfs
version=${1:?usage: $0 VERSION OUTDIR}
out=${2:?usage: $0 VERSION OUTDIR}

export GOTOOLCHAIN=${GOTOOLCHAIN:-auto} GOFLAGS=${GOFLAGS:--modcacherw} CGO_ENABLED=0

work=$(mktemp -d "${TMPDIR:-/tmp}/seaweedfs-wrapper.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

info=$(go mod download -json "$module@$version")
json_field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p"; }
gomod=$(json_field GoMod)
[ -r "$gomod" ] || { echo "go-build.sh: cannot read the go.mod of $module@$version" >&2; exit 1; }

# replace and exclude directives, one per line, from the single-line and the
# block forms; a replacement by a directory (a nested module) cannot build.
directives=$(awk '
  /^(replace|exclude)[[:space:]]*\($/ { verb = $1; next }
  verb != "" && /^\)/                 { verb = ""; next }
  verb != ""                          { sub(/^[[:space:]]+/, ""); sub(/[[:space:]]*\/\/.*/, "");
                                        if ($0 != "") print verb " " $0; next }
  /^(replace|exclude)[[:space:]]/     { sub(/[[:space:]]*\/\/.*/, ""); print }
' "$gomod")
if printf '%s\n' "$directives" | grep -qE '^replace .*=>[[:space:]]*\.{0,2}/'; then
  echo "go-build.sh: $module@$version replaces a module by a directory, which the proxy does not serve" >&2
  exit 3
fi

cat >go.mod <<GOMOD
module localbuild/seaweedfs-image

go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")

require $module $version

$directives
GOMOD
cp "$(json_field Dir)/go.sum" go.sum
chmod u+w go.sum

mkdir -p "$out"
go build -mod=mod -trimpath -o "$out/weed" -ldflags "-s -w" "$module/weed"
echo "go-build.sh: built weed $("$out/weed" version | head -n1) with $(go env GOVERSION)"
