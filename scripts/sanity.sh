#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the checkout laid out as
# ansible_collections/sysgenpro/odoo_hosting (ansible-test insists on that path).
# Extra arguments go to ansible-test, e.g. scripts/sanity.sh --test validate-modules
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/odoo-hosting-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/sysgenpro/odoo_hosting"
mkdir -p "$tree"

# The files git would ship: tracked ones and untracked ones it does not ignore.
(cd "$top" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$top" && xargs -0 -r cp --parents -t "$tree" 2>/dev/null || true)
(cd "$tree" && git init -q && git add -A)

cd "$tree"
# Python 3.11 is the only interpreter here; the sanity tests' own requirements
# come from PyPI into ansible-test's cached venvs.
ansible-test sanity --color no --python 3.11 --venv --requirements "$@"
