#!/bin/sh
# Stand-in for linuxkit/docker-ce: report what a Docker daemon would use.
. /usr/share/linuxkit-test/lib.sh
lkt "docker $(lkt_facts)"
modules=no
[ -d "/lib/modules/$(uname -r)" ] && modules=yes
cgroup_rw=no
if mkdir /sys/fs/cgroup/.linuxkit-test-probe 2>/dev/null; then
	rmdir /sys/fs/cgroup/.linuxkit-test-probe
	cgroup_rw=yes
fi
marker=no
[ -f /var/lib/docker/.linuxkit-test-mount ] && marker=yes
lkt "docker cgroup=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo none) cgroup-rw=$cgroup_rw" \
	"var-lib-docker=$(stat -f -c %T /var/lib/docker 2>/dev/null || echo none)" \
	"mount-marker=$marker modules=$modules"
if [ -f /etc/docker/daemon.json ]; then
	lkt "docker daemon.json=$(cat /etc/docker/daemon.json)"
fi
lkt_idle
