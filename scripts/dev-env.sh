#!/usr/bin/env bash
# Prepare (once) and enter the development environment of this checkout:
#   - a Python venv with requirements-dev.txt, built once per version of that file in
#     ~/.cache/odoo-hosting (ODOO_HOSTING_CACHE) and linked as .venv;
#   - the checkout linked as .ansible/collections/ansible_collections/sysgenpro/odoo_hosting,
#     so that sysgenpro.odoo_hosting.* resolves to the working tree.
# Source it (`. scripts/dev-env.sh`) to get the venv on PATH, or run it to only prepare.
_odoo_hosting_dev_env() {
  local top cache want venv
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  want=$(sha256sum "$top/requirements-dev.txt" | cut -d' ' -f1)
  # The venv is built once per requirements-dev.txt and shared by every
  # checkout on the machine (a fresh clone in CI reuses it, as it reuses the
  # images); .venv links to it. A venv cannot be moved once made, so it is
  # built where it stays, under a lock, and the stamp written last marks it
  # complete.
  cache=${ODOO_HOSTING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/odoo-hosting}
  export ODOO_HOSTING_CACHE=$cache
  venv="$cache/venv-${want:0:16}"
  mkdir -p "$cache" || return 1
  (
    flock 9
    if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
      echo "dev-env: creating the venv from requirements-dev.txt in $venv" >&2
      rm -rf "$venv"
      python3 -m venv "$venv" &&
        "$venv/bin/pip" install -q --upgrade pip &&
        "$venv/bin/pip" install -q -r "$top/requirements-dev.txt" &&
        echo "$want" >"$venv/.requirements.sha256"
    fi
  ) 9>"$venv.lock" || return 1
  if [ "$(readlink "$top/.venv")" != "$venv" ]; then
    rm -rf "$top/.venv"
    ln -s "$venv" "$top/.venv"
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
