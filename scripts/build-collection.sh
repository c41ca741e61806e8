#!/usr/bin/env bash
# Build the collection tarball: scripts/build-collection.sh [OUTPUT_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/.cache/dist}
mkdir -p "$out"
cd "$top"
ansible-galaxy collection build --force --output-path "$out"
