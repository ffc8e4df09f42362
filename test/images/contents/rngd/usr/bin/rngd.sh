#!/bin/sh
# Stand-in for linuxkit/rngd: report, then idle like a daemon.
. /usr/share/linuxkit-test/lib.sh
lkt "rngd $(lkt_facts)"
lkt_idle
