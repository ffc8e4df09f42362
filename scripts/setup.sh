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
  qemu-system-arm      # boots arm64 images (qemu-system-aarch64 -machine virt)
  qemu-efi-aarch64     # AAVMF: UEFI firmware for arm64 ISOs and disks
  binutils             # readelf: libraries of the arm64 test-image binaries (no ldd across architectures)
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
  docker-registry apache2-utils openssl      # registry tests (registry + htpasswd -B; token-auth certificate)
  fdisk gdisk                                # tests cross-check partition tables
  libvirt-daemon-system libvirt-clients      # Redfish tests: sushy-tools' libvirt driver runs the machines
  libvirt-dev pkg-config gcc python3-dev python3-venv  # Redfish tests: libvirt-python is built in a venv
  faketime                                   # tests run tools under another wall clock (libfaketime)
  ca-certificates curl git
  python3 python3-venv                       # Python programs using the provider plugin (tests, bench)
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

log "building the local test images, amd64 and arm64 (cached)"
# arm64: Debian's arm64 packages unpacked into ~/.cache/pulumi-linuxkit/debian-arm64
# (scripts/fetch-debian-arm64.sh; also the GRUB arm64 modules the arm64 EFI formats use)
bash scripts/build-test-images.sh

# The root program's state folder (Pulumi.yaml's local file backend).
mkdir -p .linuxkit/state

log "preparing the Redfish emulator (libvirtd, virtlogd, storage pool, sushy-tools venv)"
bash scripts/setup-redfish-emulator.sh >/dev/null

log "installing the Pulumi CLI"
PULUMI_BIN="$(bash scripts/install-pulumi.sh | tail -n 1)"
echo "$PULUMI_BIN" > .pulumi-bin-path

# YAML and Python programs use the linuxkit provider plugin through these
# language hosts: the official CLI ships them; the project's own CLI gets
# them built from Go modules (cached beside the CLI's build).
if [ -x "$PULUMI_BIN/pulumi-language-yaml" ] && [ -x "$PULUMI_BIN/pulumi-language-python" ]; then :
elif [ "$PULUMI_BIN" -ef .tools/pulumi/bin ]; then
  log "installing the Pulumi YAML and Python language hosts"
  bash scripts/install-language-hosts.sh "$PULUMI_BIN"
else
  log "warning: $PULUMI_BIN has no YAML/Python language host: YAML and Python programs need the official Pulumi CLI"
fi
log "installing Pulumi's Python SDK (venv)"
bash scripts/install-python-sdk.sh >/dev/null
log "ready (Pulumi CLI in $PULUMI_BIN)"
