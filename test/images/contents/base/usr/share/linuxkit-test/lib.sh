# Shell helpers shared by the linuxkit-test/* service images. Source it:
#   . /usr/share/linuxkit-test/lib.sh
# Every line meant for the test harness starts with "LINUXKIT-TEST: ".

lkt() { echo "LINUXKIT-TEST: $*"; }
lkt_error() { echo "LINUXKIT-TEST: ERROR $*"; }

# Effective capabilities as the 16 hex digits of /proc/self/status.
lkt_capeff() { sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status; }

# "yes" if / cannot be written.
lkt_readonly() {
	if touch /.linuxkit-test-probe 2>/dev/null; then
		rm -f /.linuxkit-test-probe
		echo no
	else
		echo yes
	fi
}

# "host" if this process is in the initial namespace of that kind. The
# initial pid/ipc/uts namespaces have fixed inode numbers in Linux
# (PROC_PID_INIT_INO and friends, include/linux/proc_ns.h).
lkt_ns() {
	case "$1:$(readlink "/proc/self/ns/$1")" in
	"pid:pid:[4026531836]" | "ipc:ipc:[4026531839]" | "uts:uts:[4026531838]") echo host ;;
	*) echo new ;;
	esac
}

# Network interfaces visible here, comma separated ("eth0,lo" with net: host
# on a VM with a NIC; "lo" in a new network namespace).
lkt_netifs() { ls /sys/class/net 2>/dev/null | sort | tr '\n' ',' | sed 's/,$//'; }

# Standard facts about this container, one "key=value" word each, in a fixed
# order so patterns can match them.
lkt_facts() {
	echo "uid=$(id -u) capeff=$(lkt_capeff) readonly=$(lkt_readonly)" \
		"pidns=$(lkt_ns pid) ipcns=$(lkt_ns ipc) utsns=$(lkt_ns uts)" \
		"netifs=$(lkt_netifs) oom=$(cat /proc/self/oom_score_adj) cwd=$(pwd)"
}

# Octal permission bits with at least 4 digits (0644, 0755, 1777).
lkt_mode() {
	m=$(stat -c %a "$1")
	while [ ${#m} -lt 4 ]; do m="0$m"; done
	echo "$m"
}

# One line describing a path (not following a final symlink); a leading
# /host is dropped from the reported path, so a file the YAML put at
# /etc/x and bound at /host/etc/x reports as /etc/x.
lkt_describe() {
	p=$1
	shown=${p#/host}
	[ -n "$shown" ] || shown=/
	if [ -L "$p" ]; then
		lkt "symlink $shown target=$(readlink "$p")"
	elif [ -d "$p" ]; then
		lkt "dir $shown mode=$(lkt_mode "$p") uid=$(stat -c %u "$p") gid=$(stat -c %g "$p")"
	elif [ -f "$p" ]; then
		lkt "file $shown mode=$(lkt_mode "$p") uid=$(stat -c %u "$p") gid=$(stat -c %g "$p")" \
			"size=$(stat -c %s "$p") sha256=$(sha256sum "$p" | cut -d' ' -f1)"
	else
		lkt "missing $shown"
	fi
}

# Sleep forever (a service's last step), waking up rarely.
lkt_idle() {
	while :; do sleep 3600; done
}
