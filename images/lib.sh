# shellcheck shell=bash
# Shared by the images/*/build.sh scripts (sourced, not run).
#
# An image is rebuilt only when its recipe changes: each build script hashes
# what goes into the image (its own text, the files beside it, pinned
# versions), stores the hash in the label org.sysgenpro.recipe-hash, and skips
# the build when the image already carries the same hash.

readonly RECIPE_LABEL=org.sysgenpro.recipe-hash

# recipe_hash: 16 hex digits of the SHA-256 of standard input.
recipe_hash() { sha256sum | cut -c1-16; }

# image_up_to_date IMAGE HASH: true (and says so) when IMAGE carries HASH.
image_up_to_date() {
  local current
  current=$(docker image inspect --format "{{ index .Config.Labels \"$RECIPE_LABEL\" }}" "$1" 2>/dev/null || true)
  if [ "$current" = "$2" ]; then
    echo "build.sh: $1 is up to date (recipe $2), skipping"
    return 0
  fi
  return 1
}
