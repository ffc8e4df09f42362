/**
 * What a regional managed instance group accepts as a rolling update's
 * fixed surge and unavailability: each 0 or at least the number of zones
 * the group spreads over (Compute Engine refuses anything in between), and
 * not both 0 (nothing could ever be replaced). Pure.
 */
import { LinuxKitError } from "../../errors/errors";

/** Zones a regional group uses when `distributionPolicyZones` is not given. */
export const DEFAULT_REGION_ZONES = 3;

export interface RolloutLimits {
  /** Instances created above the target size during an update. */
  maxSurge: number;
  /** Instances allowed to be unavailable during an update. */
  maxUnavailable: number;
  /** Zones the group spreads over. */
  zones: number;
}

/** The surge and unavailability a fleet uses when not given: surge one per zone, nothing down. */
export function defaultRollout(zones: number): { maxSurge: number; maxUnavailable: number } {
  return { maxSurge: zones, maxUnavailable: 0 };
}

/** Throws a `GCP_ARGS` LinuxKitError when a regional group would refuse these limits. */
export function checkRollout(limits: RolloutLimits): void {
  const { zones } = limits;
  if (!Number.isInteger(zones) || zones < 1)
    throw new LinuxKitError("GCP_ARGS", `a regional group needs at least one zone, got ${zones}`, {
      field: "distributionPolicyZones",
    });
  for (const field of ["maxSurge", "maxUnavailable"] as const) {
    const v = limits[field];
    if (!Number.isInteger(v) || v < 0)
      throw new LinuxKitError("GCP_ARGS", `${field} must be a whole number ≥ 0, got ${v}`, {
        field,
      });
    if (v !== 0 && v < zones)
      throw new LinuxKitError(
        "GCP_ARGS",
        `${field} ${v} is refused by a regional instance group spread over ${zones} zones: a fixed value must be 0 or at least the number of zones`,
        {
          field,
          hint: `set ${field} to 0 or to ${zones} or more (or list fewer zones in distributionPolicyZones)`,
        },
      );
  }
  if (limits.maxSurge === 0 && limits.maxUnavailable === 0)
    throw new LinuxKitError(
      "GCP_ARGS",
      "maxSurge and maxUnavailable are both 0: a rolling update could never replace an instance",
      {
        field: "maxSurge",
        hint: `set maxSurge to ${zones} (new instances first) or maxUnavailable to ${zones}`,
      },
    );
}
