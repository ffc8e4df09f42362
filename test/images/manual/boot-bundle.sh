#!/bin/sh
# Hand-builds a LinuxKit-shaped initrd from the linuxkit-test/* images and
# boots it under qemu (TCG), without the real pipeline. A developer tool to
# prove the images and the init, not a test:
#
#   scripts/build-test-images.sh && test/images/manual/boot-bundle.sh [WORKDIR]
#
# Env: SCENARIO=basic|nginx|sshd (nginx and sshd: the e2e fixtures
#      translated by hand; check the console with test/images/expect.ts),
#      APPEND (extra kernel args, e.g. linuxkit.test.switchroot=1),
#      FILTER=0 (keep Docker's export artefacts such as the empty
#      dev/console file, to check the init copes),
#      TIMEOUT (seconds, default 180), NET=1 (user networking + virtio-net,
#      hostfwd tcp::$HTTP_PORT-:80 with HTTP_PORT default 18080).
# Layout mirrors LinuxKit's (see LINUXKIT-FACTS.md): read-only containers
# have the image in rootfs/, read-write ones in lower/ with a runtime.json
# mounting tmpfs + overlay; one read-only container uses a lower/ bind.
set -eu
work=${1:-/tmp/linuxkit-test-manual}
timeout=${TIMEOUT:-180}
rm -rf "$work"
mkdir -p "$work/root"
root=$work/root

# export IMAGE DEST: flatten an image's filesystem into DEST, dropping what
# LinuxKit drops (dev/console would hide the console device).
export_image() {
	cid=$(docker create "$1" /x)
	mkdir -p "$2"
	if [ "${FILTER:-1}" = 1 ]; then
		docker export "$cid" | tar -C "$2" -xf - \
			--exclude=.dockerenv --exclude=Dockerfile --exclude=dev/console \
			--exclude=dev/pts --exclude=dev/shm --exclude=etc/hostname
	else
		docker export "$cid" | tar -C "$2" -xf -
	fi
	docker rm "$cid" >/dev/null
}

export_image linuxkit-test/kernel:test "$work/kernel-image"
cp "$work/kernel-image/kernel" "$work/kernel"
tar -C "$root" -xf "$work/kernel-image/kernel.tar"
for i in init runc ca-certificates; do export_image "linuxkit-test/$i:test" "$root"; done
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
: >"$root/etc/resolv.conf"

# jq helpers for bundle edits (a rough ConfigToOCI by hand)
JQ_DEFS='
	def bind(s; d; o): .mounts += [{destination: d, type: "bind", source: s, options: (o + (if (o | index("rbind")) then [] else ["rbind"] end))}];
	def bind(s; d): bind(s; d; ["rw", "rbind", "rshared"]);
	def caps(c): .process.capabilities = {bounding: c, effective: c, permitted: c, inheritable: c};
	def host(ns): .linux.namespaces |= map(select(.type != ns));
	def env(e): .process.env += e;'

# bundle KIND/NAME IMAGE MODE(ro|ro-bind|rw) ARGS_JSON [JQ_EDIT]
bundle() {
	dir=$root/containers/$1
	mkdir -p "$dir"
	case $3 in
	ro) export_image "$2" "$dir/rootfs" ;;
	*) export_image "$2" "$dir/lower" && mkdir -p "$dir/rootfs" ;;
	esac
	(cd "$dir" && runc spec && mv config.json spec.json)
	readonly=false
	[ "$3" = rw ] || readonly=true
	jq --argjson args "$4" --argjson ro "$readonly" "$JQ_DEFS"'
		.process.terminal = false
		| .process.args = $args
		| caps([])
		| .root = {path: "rootfs", readonly: $ro}
		| .hostname = null
		| host("network") | host("uts") | host("ipc")
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(select(.destination != "/dev/shm" and .destination != "/dev/mqueue"))
		| '"${5:-.}"'
		| .mounts |= sort_by(.destination)' \
		"$dir/spec.json" >"$dir/config.json"
	rm "$dir/spec.json"
	d=/containers/$1
	case $3 in
	ro) echo '{}' ;;
	ro-bind) printf '{"mounts":[{"source":"%s/lower","destination":"%s/rootfs","options":["bind"]}]}\n' "$d" "$d" ;;
	rw)
		mkdir -p "$dir/tmp"
		printf '{"mounts":[{"source":"tmpfs","type":"tmpfs","destination":"%s/tmp"},' "$d"
		printf '{"destination":"%s/tmp","options":["remount","private"]},' "$d"
		printf '{"source":"overlay","type":"overlay","destination":"%s/rootfs","options":["lowerdir=%s/lower","upperdir=%s/tmp/upper","workdir=%s/tmp/work"]}],' "$d" "$d" "$d" "$d"
		printf '"mkdir":["/var/lib/linuxkit-test-mkdir"]}\n'
		;;
	esac >"$dir/runtime.json"
}

facts() { # facts LABEL: args printing the standard facts
	printf '["/bin/sh","-c",". /usr/share/linuxkit-test/lib.sh; lkt \\"%s $(lkt_facts)\\""]' "$1"
}

fixtures=$(cd "$(dirname "$0")/../../fixtures/e2e" && pwd)
files_common() { # the files: entries both fixtures share
	mkdir -p "$root/etc/docker" "$root/root/.ssh" "$root/etc/linuxkit-test"
	printf '{"debug": true}' >"$root/etc/docker/daemon.json"
	chmod 0644 "$root/etc/docker/daemon.json"
	ln -s /etc/docker/daemon.json "$root/etc/linuxkit-test/daemon-link"
}
dhcpcd() { # dhcpcd DIR ARGS EDIT: the dhcpcd entry of both fixtures
	bundle "$1" linuxkit-test/dhcpcd:test rw "$2" \
		'caps(["CAP_NET_ADMIN","CAP_NET_BIND_SERVICE","CAP_NET_RAW"]) | bind("/var"; "/var") | bind("/tmp/etc"; "/etc") | '"$3"
	jq '.mkdir = ["/tmp/etc"]' "$root/containers/$1/runtime.json" >"$work/r.json"
	mv "$work/r.json" "$root/containers/$1/runtime.json"
}
httpd() { # httpd DIR CAPS EDIT: linuxkit-test/httpd with its label's binds and image ENV/WORKDIR
	bundle "$1" linuxkit-test/httpd:test rw '["/usr/bin/httpd.sh"]' \
		"caps($2)"' | env(["HTTPD_PORT=80", "HTTPD_ROOT=/www"]) | .process.cwd = "/www" | bind("/var/log"; "/var/log") | '"$3"
}

case ${SCENARIO:-basic} in
basic)
	bundle onboot/000-hello-ro linuxkit-test/busybox:test ro "$(facts hello-ro)"
	bundle onboot/001-hello-bind linuxkit-test/busybox:test ro-bind "$(facts hello-bind)" 'caps(["CAP_SYS_ADMIN"])'
	bundle onboot/002-hello-rw linuxkit-test/busybox:test rw \
		'["/bin/sh","-c",". /usr/share/linuxkit-test/lib.sh; echo x >/written && lkt \"hello-rw wrote=$(cat /written) $(lkt_facts)\""]'
	bundle services/hello-svc linuxkit-test/rngd:test rw '["/usr/bin/rngd.sh"]' 'caps(["CAP_SYS_ADMIN"])'
	bundle services/web linuxkit-test/httpd:test rw '["/usr/bin/httpd.sh"]' \
		'caps(["CAP_NET_BIND_SERVICE"]) | env(["HTTPD_PORT=80", "HTTPD_ROOT=/www"]) | .process.cwd = "/www" | bind("/var/log"; "/var/log")'
	bundle onshutdown/000-bye linuxkit-test/busybox:test ro '["/bin/echo","LINUXKIT-TEST: bye"]'
	;;
nginx)
	# test/fixtures/e2e/nginx-like.yml, translated by hand
	files_common
	printf 'no mode given: expect 0600\n' >"$root/etc/linuxkit-test/default-mode"
	chmod 0600 "$root/etc/linuxkit-test/default-mode"
	chmod 0755 "$root/etc/linuxkit-test"
	bundle onboot/000-sysctl linuxkit-test/sysctl:test ro '["/usr/bin/sysctl.sh"]' 'caps(["CAP_SYS_ADMIN"]) | host("pid")'
	dhcpcd onboot/001-dhcpcd '["/sbin/udhcpc","-q","-n","-i","eth0","-t","10","-T","1","-s","/usr/share/udhcpc/default.script"]' '.'
	bundle onboot/002-check linuxkit-test/check:test rw \
		'["/usr/bin/check.sh","/host/etc/docker/daemon.json","/host/etc/linuxkit-test","/host/etc/linuxkit-test/default-mode","/host/etc/linuxkit-test/daemon-link"]' \
		'env(["LINUXKIT_TEST_ENV=from-image"]) | bind("/etc/docker"; "/host/etc/docker"; ["ro"]) | bind("/etc/linuxkit-test"; "/host/etc/linuxkit-test"; ["ro"])'
	bundle services/rngd linuxkit-test/rngd:test ro '["/usr/bin/rngd.sh"]' 'caps(["CAP_SYS_ADMIN"]) | .process.oomScoreAdj = -800'
	httpd services/nginx '["CAP_NET_BIND_SERVICE","CAP_CHOWN","CAP_SETUID","CAP_SETGID","CAP_DAC_OVERRIDE"]' '.'
	bundle services/probe linuxkit-test/busybox:test rw "$(yq -c '.services[2].command' "$fixtures/nginx-like.yml" 2>/dev/null ||
		python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))["services"][2]["command"]))' "$fixtures/nginx-like.yml")"
	;;
sshd)
	# test/fixtures/e2e/docker-sshd-like.yml, translated by hand
	files_common
	printf '%s' 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForLinuxKitTestsOnly0000000000000000 linuxkit-test@example' \
		>"$root/root/.ssh/authorized_keys"
	chmod 0600 "$root/root/.ssh/authorized_keys"
	chmod 0750 "$root/etc/linuxkit-test"
	all=$(jq -nc '["CHOWN","DAC_OVERRIDE","DAC_READ_SEARCH","FOWNER","FSETID","KILL","SETGID","SETUID","SETPCAP","LINUX_IMMUTABLE","NET_BIND_SERVICE","NET_BROADCAST","NET_ADMIN","NET_RAW","IPC_LOCK","IPC_OWNER","SYS_MODULE","SYS_RAWIO","SYS_CHROOT","SYS_PTRACE","SYS_PACCT","SYS_ADMIN","SYS_BOOT","SYS_NICE","SYS_RESOURCE","SYS_TIME","SYS_TTY_CONFIG","MKNOD","LEASE","AUDIT_WRITE","AUDIT_CONTROL","SETFCAP","MAC_OVERRIDE","MAC_ADMIN","SYSLOG","WAKE_ALARM","BLOCK_SUSPEND","AUDIT_READ","PERFMON","BPF","CHECKPOINT_RESTORE"] | map("CAP_" + .)')
	bundle onboot/000-sysctl linuxkit-test/sysctl:test ro '["/usr/bin/sysctl.sh"]' 'caps(["CAP_SYS_ADMIN"]) | host("pid")'
	bundle onboot/001-mount linuxkit-test/mount:test rw '["/usr/bin/mount.sh","/var/lib/docker"]' \
		'caps(["CAP_SYS_ADMIN"]) | bind("/dev"; "/dev") | bind("/var"; "/var"; ["rshared", "rbind"]) | .linux.rootfsPropagation = "shared"'
	bundle onboot/002-check linuxkit-test/check:test rw \
		'["/usr/bin/check.sh","/host/etc/docker/daemon.json","/host/root/.ssh/authorized_keys","/host/etc/linuxkit-test","/host/etc/linuxkit-test/daemon-link"]' \
		'env(["LINUXKIT_TEST_ENV=from-image"]) | bind("/etc/docker"; "/host/etc/docker"; ["ro"]) | bind("/root/.ssh"; "/host/root/.ssh"; ["ro"]) | bind("/etc/linuxkit-test"; "/host/etc/linuxkit-test"; ["ro"])'
	dhcpcd services/dhcpcd '["/sbin/udhcpc","-f","-i","eth0","-s","/usr/share/udhcpc/default.script"]' '.process.oomScoreAdj = -800'
	bundle services/docker linuxkit-test/docker:test rw '["/usr/bin/docker.sh"]' \
		"caps($all)"' | .mounts |= map(select(.destination != "/sys/fs/cgroup")) | .mounts += [{destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["rw","nosuid","noexec","nodev","relatime"]}] | bind("/var/lib/docker"; "/var/lib/docker") | bind("/lib/modules"; "/lib/modules") | bind("/etc/docker"; "/etc/docker")'
	bundle services/sshd linuxkit-test/sshd:test rw '["/usr/bin/sshd.sh"]' \
		"caps($all)"' | host("pid") | bind("/root/.ssh"; "/root/.ssh") | bind("/etc/resolv.conf"; "/etc/resolv.conf")'
	httpd services/web '["CAP_NET_BIND_SERVICE","CAP_CHOWN"]' 'bind("/etc/docker"; "/etc/docker"; ["ro"])'
	;;
esac

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/initrd.img"
ls -la "$work/kernel" "$work/initrd.img"

net="-nic none"
if [ "${NET:-0}" = 1 ]; then
	net="-netdev user,id=n0,hostfwd=tcp:127.0.0.1:${HTTP_PORT:-18080}-:80 -device virtio-net-pci,netdev=n0"
fi
start=$(date +%s.%N)
# shellcheck disable=SC2086
timeout "$timeout" qemu-system-x86_64 -accel tcg -m 1024 -nographic -no-reboot $net \
	-kernel "$work/kernel" -initrd "$work/initrd.img" \
	-append "console=tty0 console=ttyS0 panic=-1 linuxkit.test.poweroff=1 ${APPEND:-}" </dev/null | tee "$work/console.log" || true
end=$(date +%s.%N)
echo "qemu ran $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
grep -a 'LINUXKIT-TEST' "$work/console.log" | tr -d '\r'
