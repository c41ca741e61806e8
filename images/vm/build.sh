#!/usr/bin/env bash
# Build the "VM" image for one Debian release: a debootstrap root filesystem,
# imported with `docker import`, that boots systemd and carries python3, sudo
# and this machine's CA bundle (without it HTTPS, e.g. pip, fails inside).
#
# Usage: images/vm/build.sh bookworm|trixie
# The image is rebuilt only when its recipe changes: the recipe hash (this
# script, the files beside it, the suite and the CA bundle) is kept in the
# label org.sysgenpro.recipe-hash and compared before anything is built.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=images/lib.sh
. "$here/../lib.sh"
suite=${1:?usage: $0 bookworm|trixie}
case "$suite" in
  bookworm) tag=debian12 ;;
  trixie) tag=debian13 ;;
  *) echo "build.sh: unknown suite '$suite' (bookworm or trixie)" >&2; exit 2 ;;
esac
readonly image="localhost/odoo-hosting-vm:${tag}"
readonly mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly ca_bundle=/etc/ssl/certs/ca-certificates.crt
readonly packages=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,iputils-ping,procps,gnupg

# One build of an image at a time; a second caller waits, then finds it up to date.
exec 9>"/var/lock/odoo-hosting-vm-${tag}.lock"
flock 9

[ -r "$ca_bundle" ] || { echo "build.sh: $ca_bundle is missing: install ca-certificates first" >&2; exit 1; }

recipe_hash=$(
  {
    printf '%s\n' "$suite" "$mirror" "$packages"
    cat "$here/../lib.sh" "$here/build.sh" "$here/Dockerfile" "$ca_bundle"
    (cd "$here/files" && find . -type f | LC_ALL=C sort | xargs cat)
  } | recipe_hash
)
image_up_to_date "$image" "$recipe_hash" && exit 0

# build-all.sh builds both releases side by side: on a new machine both want
# debootstrap at once, so they queue on the tests' apt lock (dpkg's own lock
# fails the second at once).
command -v debootstrap >/dev/null || {
  DEBIAN_FRONTEND=noninteractive flock /run/lock/odoo-hosting-tests-apt.lock \
    apt-get install -y -qq debootstrap >/dev/null
}

rootfs=$(mktemp -d /var/tmp/odoo-hosting-vm.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "build.sh: debootstrap $suite into $rootfs"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2; echo "build.sh: debootstrap of $suite failed" >&2; exit 1
}
rm -f "$rootfs.log"

# Apt sources: the release, its updates and security, over plain HTTP.
security_mirror=${mirror%/debian}/debian-security
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
SOURCES

# This machine's CA bundle, added as a local CA so that update-ca-certificates keeps it.
install -D -m 0644 "$ca_bundle" "$rootfs/usr/local/share/ca-certificates/build-host-bundle.crt"
chroot "$rootfs" update-ca-certificates >/dev/null 2>&1

cp -a "$here"/files/. "$rootfs/"
# Units that have nothing to do in a container.
for unit in getty@tty1.service console-getty.service systemd-remount-fs.service \
            sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
            systemd-firstboot.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
# No package lists ship; date the empty lists directory to 1970 so that
# `apt: update_cache: true, cache_valid_time: N` fetches them on first use.
touch -d @0 "$rootfs/var/lib/apt/lists"

echo "build.sh: importing $image"
# docker import cannot set STOPSIGNAL, so the root filesystem is imported
# first and the image metadata is added by a two-line build on top of it.
readonly rootfs_image="localhost/odoo-hosting-vm-rootfs:${tag}"
tar -C "$rootfs" -c . | docker import - "$rootfs_image" >/dev/null
DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" \
  --build-arg "ROOTFS=$rootfs_image" \
  --label "$RECIPE_LABEL=$recipe_hash" \
  --label "org.opencontainers.image.title=odoo-hosting-vm-$tag" \
  - <"$here/Dockerfile" >/dev/null
docker image rm "$rootfs_image" >/dev/null
echo "build.sh: built $image (recipe $recipe_hash)"
