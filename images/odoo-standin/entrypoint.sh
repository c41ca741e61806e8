#!/bin/bash
# Entrypoint of the Odoo stand-in, following the official image's conventions:
# the database settings come from odoo.conf ($ODOO_RC) when set there, else
# from HOST, PORT, USER, PASSWORD (or PASSWORD_FILE), with the official
# defaults (db, 5432, odoo, odoo); `odoo ...` or options first wait for
# PostgreSQL (30 s) and then run the server; any other command runs as is.
set -euo pipefail

if [ -n "${PASSWORD_FILE:-}" ]; then
  PASSWORD=$(<"$PASSWORD_FILE")
fi
: "${HOST:=${DB_PORT_5432_TCP_ADDR:-db}}"
: "${PORT:=${DB_PORT_5432_TCP_PORT:-5432}}"
: "${USER:=${DB_ENV_POSTGRES_USER:-${POSTGRES_USER:-odoo}}}"
: "${PASSWORD:=${DB_ENV_POSTGRES_PASSWORD:-${POSTGRES_PASSWORD:-odoo}}}"

# The value in the configuration file wins over the environment.
from_rc() {
  sed -n -E "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$/\1/p" \
    "${ODOO_RC:-/etc/odoo/odoo.conf}" 2>/dev/null | tail -n 1
}
db_args=()
for pair in db_host:HOST db_port:PORT db_user:USER db_password:PASSWORD; do
  option=${pair%%:*} var=${pair##*:}
  value=$(from_rc "$option")
  db_args+=("--$option" "${value:-${!var}}")
done

case "${1:-odoo}" in
  -- | odoo)
    [ $# -gt 0 ] && shift
    python3 -m odoo_standin.wait_for_db "${db_args[@]}" --timeout=30
    exec odoo "$@" "${db_args[@]}"
    ;;
  -*)
    python3 -m odoo_standin.wait_for_db "${db_args[@]}" --timeout=30
    exec odoo "$@" "${db_args[@]}"
    ;;
  *)
    exec "$@"
    ;;
esac
