import { LinuxKitError } from "../errors/errors";

/**
 * How fast a fleet moves to a new image. Every fleet in this package speaks
 * the same words, whatever runs the machines:
 *
 * - `size`: how many slots the fleet keeps. Slot `i` is a stable place (its
 *   ports on qemu, its device on Metal); machines come and go under it.
 * - `maxSurge`: how many machines may run *beyond* `size` during a rollout.
 *   A surge machine boots the new image beside the slot's old machine; the
 *   old machine goes only once the new one is healthy. Default 1.
 * - `maxUnavailable`: how many slots may be *without* a healthy machine
 *   during a rollout. Such a slot's old machine is stopped (or rebooted)
 *   first and replaced in place. Default 0.
 * - A *wave* is up to `maxSurge + maxUnavailable` machines started together;
 *   every one must pass its health check before the next wave starts. A
 *   failed health check stops the rollout; the state says which slot runs
 *   which image, and the next run resumes (or, with the old image, rolls
 *   back) from there.
 *
 * Both at 0 is rejected: nothing could ever be replaced.
 *
 * Targets map the words onto what they have:
 * - QemuFleet: surge machines take ports `hostPortBase + size + j` and take
 *   over the slot's ports once the old machine has stopped.
 * - MetalFleet: devices are re-imaged in place (new iPXE script + reboot),
 *   so `maxSurge` is always 0 and `maxUnavailable` defaults to 1.
 * - GcpFleet: a regional managed instance group's `updatePolicy` does the
 *   waves itself: `maxSurgeFixed = maxSurge`, `maxUnavailableFixed =
 *   maxUnavailable`, `minimalAction: REPLACE`, `type: PROACTIVE`; health is
 *   the group's `autoHealingPolicies` health check. GCP wants each fixed
 *   value to be 0 or at least the number of zones, so GcpFleet's default
 *   surge is one machine per zone (components/pulumi/gcp/gcp-rollout.ts).
 */
export interface RolloutPolicy {
  /** Machines allowed beyond `size` during a rollout. */
  maxSurge: number;
  /** Slots allowed without a healthy machine during a rollout. */
  maxUnavailable: number;
}

/** Problems with a policy (empty when it is usable). */
export function policyProblems(p: Partial<RolloutPolicy>, size?: number): string[] {
  const problems: string[] = [];
  for (const key of ["maxSurge", "maxUnavailable"] as const) {
    const v = p[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
      problems.push(`${key} must be a whole number of at least 0, not ${String(v)}`);
    }
  }
  if (p.maxSurge === 0 && p.maxUnavailable === 0) {
    problems.push(
      "maxSurge and maxUnavailable are both 0: no machine could ever be replaced; allow a surge machine (maxSurge: 1) or one slot down (maxUnavailable: 1)",
    );
  }
  if (size !== undefined && (!Number.isInteger(size) || size < 0)) {
    problems.push(`size must be a whole number of at least 0, not ${String(size)}`);
  }
  return problems;
}

/** The policy with defaults (surge 1, unavailable 0); throws a USAGE error when unusable. */
export function rolloutPolicy(
  given: Partial<RolloutPolicy>,
  defaults: RolloutPolicy = { maxSurge: 1, maxUnavailable: 0 },
): RolloutPolicy {
  const p = {
    maxSurge: given.maxSurge ?? defaults.maxSurge,
    maxUnavailable: given.maxUnavailable ?? defaults.maxUnavailable,
  };
  const problems = policyProblems(p);
  if (problems.length > 0) {
    throw new LinuxKitError("USAGE", problems.join("; "), {
      field: "maxSurge",
      hint: "e.g. { maxSurge: 1, maxUnavailable: 0 } (the default) or { maxSurge: 0, maxUnavailable: 1 } (in place)",
    });
  }
  return p;
}
