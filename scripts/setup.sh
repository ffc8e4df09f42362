#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine needs to build and boot LinuxKit
# images with pulumi-linuxkit: Debian packages, a running Docker engine,
# npm packages, the compiled project, the local test images and the Pulumi
# CLI. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

APT_PACKAGES=(
  docker.io            # the Docker engine images come from
  qemu-system-x86      # boots what we build
  qemu-utils           # qemu-img
  busybox-static       # test images
  runc                 # test images (the guest runs containers with it)
  jq                   # test images (the guest init reads runtime.json)
  cpio                 # tests compare our cpio with GNU cpio
  linux-image-cloud-amd64  # the kernel inside the test kernel image
  openssh-server openssh-client  # the sshd test image (real sshd, ssh-keygen); ssh logins in e2e tests
  kmod                 # modules.dep for the test kernel image
  xorriso isolinux syslinux syslinux-common  # ISO and BIOS disk formats
  grub-efi-amd64-bin grub-common             # EFI formats (BOOTX64.EFI)
  mtools dosfstools                          # FAT boot partitions without mounts
  squashfs-tools                             # kernel+squashfs
  ovmf                                       # booting EFI formats under qemu
  ipxe-qemu                                  # qemu's iPXE ROMs: network boot (Metal e2e)
  docker-registry apache2-utils              # registry pull tests (registry + htpasswd -B)
  fdisk gdisk                                # tests cross-check partition tables
  faketime                                   # tests run tools under another wall clock (libfaketime)
  ca-certificates curl git
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting the Docker engine"
  if command -v systemctl >/dev/null 2>&1 && systemctl start docker 2>/dev/null; then :; else
    (nohup dockerd >/var/log/dockerd.log 2>&1 &)
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "the Docker engine did not start: see /var/log/dockerd.log" >&2; exit 1; }
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-fund --no-audit --loglevel=error
fi

log "compiling"
npm run --silent build

log "building the local test images (cached)"
bash scripts/build-test-images.sh

# The root program's state folder (Pulumi.yaml's local file backend).
mkdir -p .linuxkit/state

log "installing the Pulumi CLI"
PULUMI_BIN="$(bash scripts/install-pulumi.sh | tail -n 1)"
echo "$PULUMI_BIN" > .pulumi-bin-path
log "ready (Pulumi CLI in $PULUMI_BIN)"
