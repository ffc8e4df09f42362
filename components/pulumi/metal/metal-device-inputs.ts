/**
 * The MetalDevice resource's inputs after defaults, their checks, and the
 * diff rules: what replaces the machine, what is a PUT, and what needs a
 * reboot. Pure: no API calls, no Pulumi imports.
 */
import { containsUnknown } from "../dynamic/unknowns";

export interface MetalDeviceInputs {
  projectId: string;
  plan: string;
  metro: string;
  ipxeScriptUrl: string;
  hostname: string;
  userData?: string;
  tags?: string[];
  alwaysPxe: boolean;
  billingCycle?: string;
  /** API root; unset means METAL_API_URL or Equinix's, read when the provider runs. */
  apiUrl?: string;
  /** Stored as a secret output (see the provider and the resource). */
  authToken?: string;
  /** Longest wait for `active` after create or reboot, in seconds. */
  timeoutSeconds: number;
  /** Seconds between state polls. */
  pollSeconds: number;
}

export interface MetalDeviceOutputs extends MetalDeviceInputs {
  deviceId: string;
  state: string;
  publicIpv4?: string;
}

/** A change to any of these means a different machine. */
export const REPLACING: (keyof MetalDeviceInputs)[] = ["projectId", "plan", "metro"];
/** Changes sent with `PUT /devices/{id}`. */
export const PUT_FIELDS: (keyof MetalDeviceInputs)[] = [
  "ipxeScriptUrl",
  "userData",
  "hostname",
  "tags",
  "alwaysPxe",
  "billingCycle",
];
/** Changes that only take effect when the machine boots again. */
export const REBOOTING: (keyof MetalDeviceInputs)[] = ["ipxeScriptUrl", "userData"];
/** Changes that only affect how the provider talks to the API (a new token is stored by any update, not compared). */
const LOCAL: (keyof MetalDeviceInputs)[] = ["apiUrl", "timeoutSeconds", "pollSeconds"];

const BILLING_CYCLES = ["hourly", "daily", "monthly", "yearly"];

export function normaliseInputs(news: Partial<MetalDeviceInputs>): MetalDeviceInputs {
  return {
    ...news,
    projectId: news.projectId ?? "",
    plan: news.plan ?? "",
    metro: news.metro ?? "",
    ipxeScriptUrl: news.ipxeScriptUrl ?? "",
    hostname: news.hostname ?? "linuxkit",
    alwaysPxe: news.alwaysPxe ?? true,
    timeoutSeconds: news.timeoutSeconds ?? 1800,
    pollSeconds: news.pollSeconds ?? 10,
  };
}

/** Problems with the inputs, as Pulumi check failures. */
export function inputFailures(i: MetalDeviceInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const known = (v: unknown): boolean => !containsUnknown(v);
  for (const key of ["projectId", "plan", "metro", "ipxeScriptUrl"] as const) {
    if (known(i[key]) && i[key].trim() === "") {
      failures.push({ property: key, reason: `${key} is required` });
    }
  }
  if (known(i.ipxeScriptUrl) && i.ipxeScriptUrl !== "" && !/^https?:\/\//.test(i.ipxeScriptUrl)) {
    failures.push({
      property: "ipxeScriptUrl",
      // The value is not quoted: a URL may carry a credential, and check failures are printed.
      reason: `ipxeScriptUrl must be an http(s) URL the machine can fetch (it starts with ${schemeOf(i.ipxeScriptUrl)})`,
    });
  }
  if (i.billingCycle !== undefined && known(i.billingCycle)) {
    if (!BILLING_CYCLES.includes(i.billingCycle)) {
      failures.push({
        property: "billingCycle",
        reason: `billingCycle must be one of ${BILLING_CYCLES.join(", ")}`,
      });
    }
  }
  if (known(i.timeoutSeconds) && !(i.timeoutSeconds > 0)) {
    failures.push({ property: "timeoutSeconds", reason: "timeoutSeconds must be positive" });
  }
  if (known(i.pollSeconds) && !(i.pollSeconds > 0)) {
    failures.push({ property: "pollSeconds", reason: "pollSeconds must be positive" });
  }
  return failures;
}

/** How a value that should be a URL starts, without the rest of it (which may be secret). */
export function schemeOf(v: string): string {
  const m = /^[a-z][a-z0-9+.-]*:/i.exec(v);
  return m === null ? "no scheme" : JSON.stringify(m[0]);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The inputs that differ between the stored outputs and the new inputs. */
export function changedKeys(
  olds: Partial<MetalDeviceInputs>,
  news: MetalDeviceInputs,
): (keyof MetalDeviceInputs)[] {
  return [...REPLACING, ...PUT_FIELDS, ...LOCAL].filter((k) => !same(olds[k], news[k]));
}

/** The engine's diff: plan/metro/project (or a failed device) replace; the rest update in place. */
export function deviceDiff(
  olds: Partial<MetalDeviceOutputs> & Partial<MetalDeviceInputs>,
  news: MetalDeviceInputs,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const changed = changedKeys(olds, news);
  const replaces: string[] = changed.filter((k) => REPLACING.includes(k));
  if (olds.state === "failed") replaces.push("state");
  // A device recorded before it was active (the API stopped answering): update waits for it.
  const unfinished = olds.state !== undefined && olds.state !== "active";
  return {
    changes: changed.length > 0 || replaces.length > 0 || unfinished,
    replaces,
    deleteBeforeReplace: false,
  };
}
