#!/bin/sh
# Stand-in for linuxkit/sshd: report the keys and resolver it was given,
# then run Debian's OpenSSH server in the foreground (key logins as root).
. /usr/share/linuxkit-test/lib.sh
lkt "sshd $(lkt_facts)"
lkt_describe /root/.ssh/authorized_keys
lkt "sshd resolv.conf=$(grep -m1 '^nameserver' /etc/resolv.conf 2>/dev/null | tr ' ' '=' || true)"
mkdir -p /run/sshd && chmod 0755 /run/sshd
[ -f /etc/ssh/ssh_host_ed25519_key ] ||
	ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key ||
	lkt_error "sshd: ssh-keygen failed"
if /usr/sbin/sshd -t; then
	lkt "sshd openssh listening port=22"
	exec /usr/sbin/sshd -D -e
fi
lkt_error "sshd: sshd -t rejected the configuration"
lkt_idle
