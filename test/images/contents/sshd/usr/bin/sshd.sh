#!/bin/sh
# Stand-in for linuxkit/sshd: report the keys and resolver it was given.
. /usr/share/linuxkit-test/lib.sh
lkt "sshd $(lkt_facts)"
lkt_describe /root/.ssh/authorized_keys
lkt "sshd resolv.conf=$(grep -m1 '^nameserver' /etc/resolv.conf 2>/dev/null | tr ' ' '=' || true)"
lkt_idle
