#!/usr/bin/env bash
# What the Redfish tests need: libvirt (libvirtd + virtlogd, started here when
# not running: these machines have no systemd), a libvirt storage pool named
# `default` (where sushy-tools stores inserted virtual media), and sushy-tools
# (the Redfish emulator OpenStack tests Ironic with) with libvirt-python in a
# venv in the user cache (~/.cache/pulumi-linuxkit, shared by checkouts). Idempotent. Prints the venv's bin folder last.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

SUSHY_VERSION=2.2.0
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/sushy-tools-$SUSHY_VERSION-venv"
POOL_DIR=/var/lib/libvirt/images/linuxkit-redfish-pool

if ! pgrep -x virtlogd >/dev/null; then
  log "starting virtlogd"
  virtlogd -d
fi
if ! pgrep -x libvirtd >/dev/null; then
  log "starting libvirtd"
  libvirtd -d
fi
for _ in $(seq 1 30); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.5; done
virsh -c qemu:///system version >/dev/null 2>&1 || { echo "libvirtd did not answer on qemu:///system" >&2; exit 1; }

if ! virsh -c qemu:///system pool-info default >/dev/null 2>&1; then
  log "defining the libvirt storage pool 'default' in $POOL_DIR"
  mkdir -p "$POOL_DIR"
  virsh -c qemu:///system pool-define-as default dir --target "$POOL_DIR" >/dev/null
fi
pool_info="$(virsh -c qemu:///system pool-info default)"
if ! grep -q 'State:.*running' <<<"$pool_info"; then
  virsh -c qemu:///system pool-start default >/dev/null
fi
virsh -c qemu:///system pool-autostart default >/dev/null 2>&1 || true

if [ ! -x "$VENV/bin/sushy-emulator" ] || ! "$VENV/bin/python" -c 'import libvirt' 2>/dev/null; then
  log "installing sushy-tools $SUSHY_VERSION and libvirt-python into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "sushy-tools==$SUSHY_VERSION" libvirt-python >&2
fi
echo "$VENV/bin"
