#!/bin/sh
# Stand-in for linuxkit/mount: mount a tmpfs on each argument (made if
# missing). With /var bound rshared and rootfsPropagation: shared, the mount
# propagates back to the host, where later containers can bind it.
. /usr/share/linuxkit-test/lib.sh
[ $# -gt 0 ] || lkt_error "mount: no mount point given"
for d in "$@"; do
	mkdir -p "$d" && mount -t tmpfs -o mode=0711,size=64m linuxkit-test "$d" &&
		echo "mounted by linuxkit-test/mount" >"$d/.linuxkit-test-mount" &&
		lkt "mount $d fstype=$(stat -f -c %T "$d")" ||
		lkt_error "mount: cannot mount a tmpfs on $d"
done
