/**
 * The RedfishMachine resource's inputs after defaults, their checks, and
 * the diff rules: what is another machine (replace), what re-images the
 * same machine in place, and what is only stored. Pure: no BMC calls, no
 * Pulumi imports.
 */
import {
  machineReadinessProblems,
  BOOT_METHODS,
  type BootImage,
  type BootMethod,
  type MachineReadiness,
} from "../../redfish";
import { containsUnknown } from "../dynamic/unknowns";

export type RestartType = "ForceRestart" | "GracefulRestart";

export interface RedfishMachineInputs {
  endpoint: string;
  username: string;
  /** Secret: stored encrypted in state (refresh and destroy need it), never in plain text. */
  password: string;
  systemId?: string;
  bootMethod: BootMethod;
  isoUrl?: string;
  bootUrl?: string;
  bootMode?: "UEFI" | "Legacy";
  imageHash?: string;
  restartType: RestartType;
  readiness: MachineReadiness;
  insecureTls: boolean;
  caCertificate?: string;
  leaveRunningOnDelete: boolean;
  powerTimeoutSeconds: number;
}

export interface RedfishMachineOutputs extends RedfishMachineInputs {
  /** `/redfish/v1/Systems/<id>` at the endpoint. */
  systemPath: string;
  /** PowerState when last seen. */
  powerState: string;
  /** Whether the machine passed its readiness check after its last boot. */
  ready: boolean;
}

/** Another machine: replace. */
export const REPLACING: (keyof RedfishMachineInputs)[] = ["endpoint", "systemId"];
/** What the machine boots: a change re-images it in place. */
export const REIMAGING: (keyof RedfishMachineInputs)[] = [
  "bootMethod",
  "isoUrl",
  "bootUrl",
  "bootMode",
  "imageHash",
];
/** Stored only (how to reach and judge the machine). */
const STORED: (keyof RedfishMachineInputs)[] = [
  "username",
  "password",
  "restartType",
  "readiness",
  "insecureTls",
  "caCertificate",
  "leaveRunningOnDelete",
  "powerTimeoutSeconds",
];

export function normaliseInputs(news: Partial<RedfishMachineInputs>): RedfishMachineInputs {
  return {
    ...news,
    endpoint: news.endpoint ?? "",
    username: news.username ?? "",
    password: news.password ?? "",
    bootMethod: news.bootMethod ?? "virtualMedia",
    restartType: news.restartType ?? "ForceRestart",
    readiness: news.readiness ?? {},
    insecureTls: news.insecureTls ?? false,
    leaveRunningOnDelete: news.leaveRunningOnDelete ?? false,
    powerTimeoutSeconds: news.powerTimeoutSeconds ?? 120,
  };
}

/** What the machine boots. */
export function bootImageOf(i: RedfishMachineInputs): BootImage {
  const url =
    i.bootMethod === "virtualMedia" ? i.isoUrl : i.bootMethod === "http" ? i.bootUrl : undefined;
  return {
    method: i.bootMethod,
    ...(url === undefined ? {} : { url }),
    ...(i.bootMode === undefined ? {} : { mode: i.bootMode }),
  };
}

type Failure = { property: string; reason: string };

/** Problems with the inputs, as Pulumi check failures (never quoting the password). */
export function inputFailures(i: RedfishMachineInputs): Failure[] {
  const f: Failure[] = [];
  const known = (v: unknown): boolean => !containsUnknown(v);
  if (known(i.endpoint) && !/^https?:\/\/[^/@]+/.test(i.endpoint)) {
    f.push({
      property: "endpoint",
      reason: `endpoint must be the BMC's https://<host>[:port], got ${JSON.stringify(i.endpoint)}`,
    });
  }
  if (known(i.username) && i.username === "")
    f.push({ property: "username", reason: "username is required" });
  if (known(i.password) && i.password === "") {
    f.push({
      property: "password",
      reason: "password is required (a secret: pulumi.secret(...) or `pulumi config set --secret`)",
    });
  }
  if (known(i.bootMethod) && !BOOT_METHODS.includes(i.bootMethod)) {
    f.push({
      property: "bootMethod",
      reason: `bootMethod must be one of ${BOOT_METHODS.join(", ")}, got ${JSON.stringify(i.bootMethod)}`,
    });
  }
  if (i.bootMethod === "virtualMedia" && known(i.isoUrl) && !/^https?:\/\//.test(i.isoUrl ?? "")) {
    f.push({
      property: "isoUrl",
      reason: "bootMethod virtualMedia needs isoUrl, an http(s) URL of the ISO the BMC can fetch",
    });
  }
  if (i.bootMethod === "http" && known(i.bootUrl) && !/^https?:\/\//.test(i.bootUrl ?? "")) {
    f.push({
      property: "bootUrl",
      reason:
        "bootMethod http needs bootUrl, the http(s) URL the firmware boots (an EFI ISO or binary)",
    });
  }
  if (known(i.restartType) && !["ForceRestart", "GracefulRestart"].includes(i.restartType)) {
    f.push({
      property: "restartType",
      reason: "restartType must be ForceRestart or GracefulRestart",
    });
  }
  if (i.bootMode !== undefined && known(i.bootMode) && !["UEFI", "Legacy"].includes(i.bootMode)) {
    f.push({ property: "bootMode", reason: "bootMode must be UEFI or Legacy" });
  }
  if (known(i.powerTimeoutSeconds) && !(i.powerTimeoutSeconds > 0)) {
    f.push({ property: "powerTimeoutSeconds", reason: "powerTimeoutSeconds must be positive" });
  }
  if (known(i.readiness)) {
    for (const reason of machineReadinessProblems(i.readiness, "readiness"))
      f.push({ property: "readiness", reason });
  }
  return f;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function changedKeys(
  olds: Partial<RedfishMachineInputs>,
  news: RedfishMachineInputs,
): (keyof RedfishMachineInputs)[] {
  return [...REPLACING, ...REIMAGING, ...STORED].filter((k) => !same(olds[k], news[k]));
}

/** A machine that is off, or did not pass its check, boots its image again on the next up. */
export function needsBoot(olds: Partial<RedfishMachineOutputs>): boolean {
  return olds.powerState !== "On" || olds.ready !== true;
}

export function machineDiff(
  olds: Partial<RedfishMachineOutputs>,
  news: RedfishMachineInputs,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const changed = changedKeys(olds, news);
  const replaces = changed.filter((k) => REPLACING.includes(k));
  return {
    changes: changed.length > 0 || needsBoot(olds) || containsUnknown(news),
    replaces,
    // The same BMC may be named differently (address, name): release before taking it again.
    deleteBeforeReplace: true,
  };
}
