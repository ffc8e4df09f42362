/**
 * Closed sets of values LinuxKit (or runc, which runs what it builds)
 * accepts, for value checks in rules.ts.
 */

/**
 * Linux capabilities LinuxKit knows (the `capability` package's list,
 * through CAP_CHECKPOINT_RESTORE), in kernel number order: `all` expands to
 * this order. `all` and `none`, alone, also work.
 */
export const CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

/** Resource limits an `rlimits` entry may name (the `RLIMIT_` prefix is optional there). */
export const RLIMITS: readonly string[] = [
  "RLIMIT_CPU",
  "RLIMIT_FSIZE",
  "RLIMIT_DATA",
  "RLIMIT_STACK",
  "RLIMIT_CORE",
  "RLIMIT_RSS",
  "RLIMIT_NPROC",
  "RLIMIT_NOFILE",
  "RLIMIT_MEMLOCK",
  "RLIMIT_AS",
  "RLIMIT_LOCKS",
  "RLIMIT_SIGPENDING",
  "RLIMIT_MSGQUEUE",
  "RLIMIT_NICE",
  "RLIMIT_RTPRIO",
  "RLIMIT_RTTIME",
];

/** `rootfsPropagation` values runc accepts. */
export const ROOTFS_PROPAGATIONS: readonly string[] = [
  "private",
  "rprivate",
  "slave",
  "rslave",
  "shared",
  "rshared",
  "unbindable",
  "runbindable",
];

/** Mount types LinuxKit infers from the source when `type` is left out. */
export const INFERRED_MOUNT_TYPES: readonly string[] = [
  "mqueue",
  "devpts",
  "proc",
  "sysfs",
  "cgroup",
];

/** Default destinations by mount type, used when `destination` is left out. */
export const DEFAULT_MOUNTPOINTS: Readonly<Record<string, string>> = {
  proc: "/proc",
  devpts: "/dev/pts",
  sysfs: "/sys",
  cgroup: "/sys/fs/cgroup",
  mqueue: "/dev/mqueue",
};

/** Device types in `devices[].type`: char, block, unbuffered char, fifo; `a` (all) with `path: all`. */
export const DEVICE_TYPES: readonly string[] = ["c", "b", "u", "p"];

/** `volumes[].format` values (empty means `filesystem`). */
export const VOLUME_FORMATS: readonly string[] = ["filesystem", "oci"];

/** `files[].metadata` values. */
export const METADATA_FORMATS: readonly string[] = ["yaml", "json"];

/** Volume names, as LinuxKit checks them (we additionally refuse the empty name). */
export const VOLUME_NAME_RE = /^[a-z0-9_-]*$/;

/**
 * Container names. LinuxKit does not check them, but they become bundle
 * directories and runc/containerd ids, so `/`, spaces and `..` cannot work.
 */
export const CONTAINER_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

/**
 * Output format names (`outputs[].format`, `--format`): the implemented
 * formats. components/formats/table.ts holds their writers; a unit test
 * keeps the two lists equal.
 */
export const OUTPUT_FORMATS: readonly string[] = [
  "aws",
  "docker",
  "dynamic-vhd",
  "gcp",
  "iso-bios",
  "iso-efi",
  "iso-efi-initrd",
  "kernel+initrd",
  "kernel+iso",
  "kernel+squashfs",
  "qcow2-bios",
  "qcow2-efi",
  "raw-bios",
  "raw-efi",
  "tar",
  "tar-kernel-initrd",
  "vhd",
  "vmdk",
];

/** LinuxKit's other output formats (moby/build/output.go), not implemented yet. */
export const PLANNED_OUTPUT_FORMATS: readonly string[] = ["kernel+erofs", "rpi3"];
