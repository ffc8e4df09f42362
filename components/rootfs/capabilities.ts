/**
 * Linux capabilities as LinuxKit names them, and the `all`/`none` keywords.
 */

/**
 * Every Linux capability, in kernel number order (CAP_CHOWN = 0 ...
 * CAP_CHECKPOINT_RESTORE = 40). `capabilities: [all]` expands to this list
 * in this order, as LinuxKit's does.
 */
export const ALL_CAPABILITIES: readonly string[] = [
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

const KNOWN = new Set(ALL_CAPABILITIES);

/** True for an exact capability name such as `CAP_NET_ADMIN`. */
export function isCapability(name: string): boolean {
  return KNOWN.has(name);
}

/**
 * Expands a list that is exactly one keyword: `all` (any case) becomes every
 * capability, `none` the empty list. Any other list is returned as is; a
 * keyword among other names is left for validation to reject, as in LinuxKit.
 */
export function expandCapabilityKeyword(list: readonly string[]): string[] {
  if (list.length === 1) {
    const only = (list[0] ?? "").toLowerCase();
    if (only === "all") return [...ALL_CAPABILITIES];
    if (only === "none") return [];
  }
  return [...list];
}

/**
 * The canonical name a user probably meant (`net_admin` or `NET_ADMIN` →
 * `CAP_NET_ADMIN`), or undefined when nothing close is known.
 */
export function suggestCapability(name: string): string | undefined {
  const upper = name.toUpperCase();
  const candidate = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  return KNOWN.has(candidate) ? candidate : undefined;
}
