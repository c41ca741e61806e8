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

# The files git would ship (tracked ones and untracked ones it does not
# ignore), less the test-image and benchmark trees, which the collection does
# not ship (galaxy.yml build_ignore) and which are not Ansible content.
# (A tracked file deleted in the working tree is left out too.)
cd "$top"
git ls-files -z --cached --others --exclude-standard --deduplicate -- . ':!images' ':!benchmarks' \
  | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
  | xargs -0 -r cp --parents -t "$tree"
(cd "$tree" && git init -q && git add -A)

# ansible-test installs each sanity test's own pinned requirements; keep them
# out of the development venv, in a venv of their own, created once and shared
# by the checkouts on this machine like the dev venv (scripts/dev-env.sh).
venv="${ODOO_HOSTING_CACHE:?run it as scripts/test.sh sanity, or source scripts/dev-env.sh first}/sanity-venv"
core=$(grep -E '^ansible-core==' "$top/requirements-dev.txt")
if [ "$("$venv/bin/pip" freeze 2>/dev/null | grep -E '^ansible-core==')" != "$core" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "$core"
fi

# ansible-test bootstraps pip in its venvs with a script from a host that is
# not reachable here; give it the offline stand-in under the cached name.
pip_version=$(grep -oE "pip='[0-9.]+'" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py \
  | head -n 1 | tr -dc '0-9.')
[ -n "$pip_version" ] || { echo "sanity.sh: cannot tell which pip ansible-test bootstraps" >&2; exit 1; }
mkdir -p "$HOME/.ansible/test/cache"
cp "$top/scripts/lib/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

# The shellcheck sanity test is skipped, with only a warning, without it.
if ! command -v shellcheck >/dev/null && [ "$(id -u)" -eq 0 ]; then
  # Test stages may run side by side (scripts/test.sh): queue on the tests' apt lock.
  DEBIAN_FRONTEND=noninteractive flock /run/lock/odoo-hosting-tests-apt.lock \
    apt-get install -y -qq shellcheck >/dev/null
fi

cd "$tree"
"$venv/bin/ansible-test" sanity --color no --python 3.11 --requirements "$@"
