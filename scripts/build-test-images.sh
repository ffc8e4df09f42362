#!/bin/sh
# Builds the linuxkit-test/* images (test/images/README.md) into the local
# Docker engine: installs the Debian packages they are made from if absent,
# compiles the builder if its sources changed, runs it. Cached: an image
# whose content hash is unchanged is not rebuilt (a warm run takes ~1 s).
#
#   scripts/build-test-images.sh [--force] [--list] [--arch amd64|arm64|all] [NAME...]
#
# arm64 images (tag :test-arm64) are made from Debian's arm64 packages,
# which scripts/fetch-debian-arm64.sh downloads and unpacks (cached).
set -eu
cd "$(dirname "$0")/.."

# Debian packages the images are made from
packages="busybox-static jq runc ca-certificates linux-image-cloud-amd64 openssh-server openssh-client"
missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing Debian packages:$missing"
	[ "$(id -u)" = 0 ] || {
		echo "build-test-images: need root to apt-get install$missing" >&2
		exit 1
	}
	apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi

docker info >/dev/null 2>&1 || {
	echo "build-test-images: no Docker engine answers (start one: dockerd >/var/log/dockerd.log 2>&1 &)" >&2
	exit 1
}

# the arm64 packages, unless only amd64 is asked for
case " $* " in
*" --arch amd64 "* | *" --arch=amd64 "*) ;;
*) sh scripts/fetch-debian-arm64.sh >/dev/null ;;
esac

# compile the builder only (test/images/tsconfig.json) when a source is newer
out=dist/test/images/build.js
if [ ! -f "$out" ] ||
	[ -n "$(find test/images test/helpers \( -name '*.ts' -o -name tsconfig.json \) -newer "$out" | head -n 1)" ]; then
	npx --no-install tsc -p test/images/tsconfig.json
	touch "$out"
fi
exec node "$out" "$@"
