#!/bin/sh
# Downloads Debian's arm64 packages that the arm64 test images and the arm64
# EFI formats are made from, and unpacks them (dpkg-deb -x, no emulation, no
# maintainer scripts) into one folder. Runs on any architecture: apt works
# from a private state folder with APT::Architecture=arm64, so the machine's
# own dpkg architectures and apt lists are not touched and no root is needed.
# Cached: a folder whose package list is unchanged is reused without network.
#
#   scripts/fetch-debian-arm64.sh [--force]     prints the folder as its last line
#
# Environment: PULUMI_LINUXKIT_ARM64_ROOT (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/debian-arm64/root).
set -eu

# linux-image-cloud-arm64 is a metapackage: the real kernel package is its dependency.
packages="linux-image-cloud-arm64 busybox-static runc libc6 libseccomp2 jq libjq1 libonig5 grub-efi-arm64-bin"

root="${PULUMI_LINUXKIT_ARM64_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxkit/debian-arm64/root}"
stamp="$root/.pulumi-linuxkit-packages"
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$packages" ]; then
	echo "$root"
	exit 0
fi

base="$(dirname "$root")"
mkdir -p "$base"
work="$(mktemp -d "$base/fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
: >"$work/status"
set -- -o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" \
	-o "Dir::State::Status=$work/status" -o Debug::NoLocking=1 -o APT::Sandbox::User=root
echo "fetch-debian-arm64: reading the arm64 package lists" >&2
apt-get "$@" -q update >&2

# resolve the metapackage to the versioned kernel package
kernel_pkg="$(apt-cache "$@" depends linux-image-cloud-arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-arm64\)$/\1/p' | head -n 1)"
[ -n "$kernel_pkg" ] || {
	echo "fetch-debian-arm64: linux-image-cloud-arm64 names no kernel package" >&2
	exit 1
}
wanted="$kernel_pkg $(echo "$packages" | sed 's/linux-image-cloud-arm64//')"
echo "fetch-debian-arm64: downloading$(printf ' %s' $wanted)" >&2
# shellcheck disable=SC2086
(cd "$work/debs" && apt-get "$@" -q download $wanted >&2)
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$work/root"
	dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$work/versions"
done
# the kernel package leaves modules.dep and the other indexes to its maintainer script:
# depmod reads foreign ELF modules fine (it only parses them)
for dir in "$work"/root/lib/modules/*/; do
	depmod -b "$work/root" "$(basename "$dir")"
done
{
	echo "$packages"
	sort "$work/versions"
} >"$work/root/.pulumi-linuxkit-packages"

rm -rf "$root.old"
[ ! -e "$root" ] || mv "$root" "$root.old"
mv "$work/root" "$root"
rm -rf "$root.old"
echo "$root"
