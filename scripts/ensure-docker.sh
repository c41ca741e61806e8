#!/usr/bin/env bash
# Make a Docker Engine available to this machine.
#
# Uses an engine that already answers; otherwise installs Debian's docker.io
# (when dockerd is missing), starts dockerd in the background and waits until
# it answers. Fails with a message that says what to look at when it cannot.
set -euo pipefail

readonly DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd-odoo-hosting.log}
readonly WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}

log() { printf 'ensure-docker: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }

if engine_answers; then
  log "a Docker Engine already answers ($(docker version --format '{{.Server.Version}}'))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "no Docker Engine answers and installing docker.io needs root"
  log "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  log "starting docker.service"
  systemctl start docker.service || log "systemctl could not start docker.service; trying dockerd directly"
fi

if ! engine_answers; then
  log "starting dockerd in the background (log: $DOCKERD_LOG)"
  nohup dockerd >"$DOCKERD_LOG" 2>&1 &
fi

for _ in $(seq "$WAIT_SECONDS"); do
  if engine_answers; then
    log "Docker Engine answers ($(docker version --format '{{.Server.Version}}'))"
    exit 0
  fi
  sleep 1
done
tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
die "no Docker Engine answered within ${WAIT_SECONDS}s; see $DOCKERD_LOG"
