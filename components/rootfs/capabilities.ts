/**
 * Linux capabilities as LinuxKit names them, and the `all`/`none` keywords.
 */
import { CAPABILITIES } from "../config/vocabulary";

/**
 * Every Linux capability, in kernel number order (CAP_CHOWN = 0 ...
 * CAP_CHECKPOINT_RESTORE = 40). `capabilities: [all]` expands to this list
 * in this order, as LinuxKit's does. The spec stage validates against the
 * same list.
 */
export const ALL_CAPABILITIES: readonly string[] = CAPABILITIES;

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
