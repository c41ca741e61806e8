#!/usr/bin/env bash
# Build the images the tests and the demo need: every recipe (images/*/build.sh),
# or only the named ones (`images/build-all.sh traefik odoo-standin`); the
# Debian base images are always built. Each recipe skips its build when the
# image's recipe hash is unchanged, so a second run takes seconds.
#
# From nothing the builds take minutes, and they wait on different things:
# debootstrap mostly on the mirror and the disk, the Go recipes (those with a
# go-build.sh) first on the module proxy (Traefik's modules took 13 minutes to
# download here, with empty caches) and then on the CPU. The chains run side
# by side, so that one recipe's downloads overlap another's compile; each line
# of output is prefixed with its chain's name:
#   debian12  the bookworm base, then the recipes built on it
#   debian13  the trixie base
#   <name>    each Go recipe (they share the Go caches, which Go locks)
# A recipe that needs a base image builds it itself (images/vm/build.sh holds
# a lock per image, so a second caller waits for the first and finds it built).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  for recipe in "$here"/*/build.sh; do
    name=$(basename "$(dirname "$recipe")")
    # vm: the base images, always built below; ee: needs the venv's
    # ansible-builder (scripts/test.sh's ee stage builds it).
    case "$name" in vm | ee) ;; *) names+=("$name") ;; esac
  done
fi
on_base=() go_recipes=()
for name in "${names[@]}"; do
  [ -x "$here/$name/build.sh" ] || { echo "build-all.sh: no recipe images/$name/build.sh" >&2; exit 2; }
  if [ -e "$here/$name/go-build.sh" ]; then go_recipes+=("$name"); else on_base+=("$name"); fi
done

chain() { # name recipe... : runs the recipes in order, output prefixed
  local label=$1 recipe
  shift
  (
    for recipe in "$@"; do
      # shellcheck disable=SC2086 # "vm/build.sh bookworm" carries its argument
      "$here"/$recipe || exit
    done
  ) 2>&1 | sed -u "s/^/$label: /"
}

pids=() labels=()
start() { chain "$@" & pids+=($!); labels+=("$1"); }
base_chain=("vm/build.sh bookworm")
for name in "${on_base[@]}"; do base_chain+=("$name/build.sh"); done
start debian12 "${base_chain[@]}"
start debian13 "vm/build.sh trixie"
for name in "${go_recipes[@]}"; do start "$name" "$name/build.sh"; done

failed=()
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${labels[$i]}")
done
[ "${#failed[@]}" -eq 0 ] || { echo "build-all.sh: failed: ${failed[*]}" >&2; exit 1; }
