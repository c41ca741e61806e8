#!/usr/bin/env bash
# Prepare (once) and enter the development environment of this checkout:
#   - a Python venv in .venv with requirements-dev.txt, rebuilt when that file changes;
#   - the checkout linked as .ansible/collections/ansible_collections/sysgenpro/odoo_hosting,
#     so that sysgenpro.odoo_hosting.* resolves to the working tree.
# Source it (`. scripts/dev-env.sh`) to get the venv on PATH, or run it to only prepare.
_odoo_hosting_dev_env() {
  local top stamp want
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  stamp="$top/.venv/.requirements.sha256"
  want=$(sha256sum "$top/requirements-dev.txt" | cut -d' ' -f1)
  if [ ! -x "$top/.venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "dev-env: creating the venv from requirements-dev.txt" >&2
    rm -rf "$top/.venv"
    python3 -m venv "$top/.venv" || return 1
    "$top/.venv/bin/pip" install -q --upgrade pip || return 1
    "$top/.venv/bin/pip" install -q -r "$top/requirements-dev.txt" || return 1
    echo "$want" >"$stamp"
  fi
  mkdir -p "$top/.ansible/collections/ansible_collections/sysgenpro"
  ln -sfn "$top" "$top/.ansible/collections/ansible_collections/sysgenpro/odoo_hosting"
  export PATH="$top/.venv/bin:$PATH"
  export ANSIBLE_CONFIG="$top/ansible.cfg"
  export ANSIBLE_COLLECTIONS_PATH="$top/.ansible/collections"
  export ODOO_HOSTING_ROOT="$top"
  # The scenarios live in molecule/ at the top, as the collection's layout
  # says; Molecule 26 finds them there but warns that collections should use
  # extensions/molecule. Naming the glob says it is meant.
  export MOLECULE_GLOB="molecule/*/molecule.yml"
}
# Sourced, `return` leaves; executed, `exit` does.
# shellcheck disable=SC2317
_odoo_hosting_dev_env || { echo "dev-env: could not prepare the environment" >&2; return 1 2>/dev/null || exit 1; }
unset -f _odoo_hosting_dev_env
