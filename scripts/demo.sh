#!/usr/bin/env bash
# The demo tenant on this Debian machine, as root:
#   scripts/demo.sh up     Docker Engine, the venv and the images when missing,
#                          four VM containers (3 DB hosts, 1 app host), then
#                          playbooks/site.yml against them; prints the URL and login
#   scripts/demo.sh down   removes the containers, their volumes, network and secrets
# Secrets are random, made on first use, kept in .cache/demo/secrets (0700).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export ODOO_HOSTING_DEMO_SECRETS="$top/.cache/demo/secrets"

usage() { echo "usage: scripts/demo.sh up|down" >&2; exit 2; }
[ $# -eq 1 ] || usage

scripts/ensure-docker.sh
# shellcheck source=scripts/dev-env.sh
source scripts/dev-env.sh

case "$1" in
  up)
    # Not images/seaweedfs: only the tenant scenario's second backup repository uses it.
    images/build-all.sh traefik odoo-standin
    mkdir -p "$ODOO_HOSTING_DEMO_SECRETS"
    chmod 0700 "$top/.cache/demo" "$ODOO_HOSTING_DEMO_SECRETS"
    ansible-playbook -i demo/inventory demo/up.yml
    ;;
  down)
    ansible-playbook -i demo/inventory demo/down.yml
    ;;
  *) usage ;;
esac
