#!/bin/sh
# Prints what the e2e tests assert: this container's facts, then one line
# per path argument (see lkt_describe in lib.sh), then "check done".
. /usr/share/linuxkit-test/lib.sh
lkt "check $(lkt_facts)"
lkt "check vm.swappiness=$(cat /proc/sys/vm/swappiness) env=${LINUXKIT_TEST_ENV:-unset}"
for p in "$@"; do
	lkt_describe "$p"
done
lkt "check done"
