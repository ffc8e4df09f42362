#!/bin/sh
# Stand-in for linuxkit/sysctl: apply /etc/sysctl.d/*.conf, report.
. /usr/share/linuxkit-test/lib.sh
rc=0
for f in /etc/sysctl.d/*.conf; do
	sysctl -p "$f" >/dev/null || {
		lkt_error "sysctl -p $f failed"
		rc=1
	}
done
lkt "sysctl vm.swappiness=$(cat /proc/sys/vm/swappiness)" \
	"vm.max_map_count=$(cat /proc/sys/vm/max_map_count) $(lkt_facts)"
exit $rc
