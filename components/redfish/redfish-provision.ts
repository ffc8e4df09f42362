/**
 * The sequences that put an image on a machine through its BMC, shared by
 * RedfishMachine and RedfishFleet:
 *
 * - boot: power off, insert the ISO (virtual media) or set the boot
 *   override, power on;
 * - reimage: the same in place on a running machine (eject, insert,
 *   override, restart);
 * - release: eject and power off (or leave it running).
 */
import { RedfishError } from "./redfish-error";
import type { BootOverride, RedfishClient } from "./redfish-client";
import type { PowerState, ResetType, VirtualMedia } from "./redfish-types";

export type BootMethod = "virtualMedia" | "http" | "pxe";
export const BOOT_METHODS: BootMethod[] = ["virtualMedia", "http", "pxe"];

/** What a machine boots. */
export interface BootImage {
  method: BootMethod;
  /** virtualMedia: the ISO's URL; http: the UEFI HTTP boot URL; pxe: unused. */
  url?: string;
  /** Boot mode to set with the override. Default: leave the system's (UEFI for http). */
  mode?: "UEFI" | "Legacy";
  /**
   * How the machine booted before, on a re-image: moving away from
   * `virtualMedia` ejects the ISO it left in the CD, so no later boot
   * falls back to the old image.
   */
  previous?: BootMethod;
}

export interface PowerWait {
  /** Longest wait for a power state, in ms. Default 120 000. */
  timeoutMs?: number;
  /** Poll interval, in ms. Default 1000. */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the system shows `want`; an error naming the last state seen otherwise. */
export async function waitPower(
  c: RedfishClient,
  path: string,
  want: PowerState,
  wait: PowerWait = {},
): Promise<void> {
  const deadline = Date.now() + (wait.timeoutMs ?? 120_000);
  let state: PowerState | undefined;
  for (;;) {
    state = await c.powerState(path);
    if (state === want) return;
    if (state === undefined)
      throw new RedfishError(`system ${path} on ${c.endpoint} is gone`, { status: 404 });
    if (Date.now() > deadline) {
      throw new RedfishError(
        `system ${path} on ${c.endpoint} is still ${state}, not ${want}, after ${Math.round((wait.timeoutMs ?? 120_000) / 1000)} s`,
      );
    }
    await sleep(wait.pollMs ?? 1000);
  }
}

/** Forces the system off (if it is not) and waits until it is. */
export async function powerOff(c: RedfishClient, path: string, wait?: PowerWait): Promise<void> {
  if ((await c.powerState(path)) === "Off") return;
  await c.reset(path, "ForceOff");
  await waitPower(c, path, "Off", wait);
}

function overrideFor(image: BootImage): BootOverride {
  switch (image.method) {
    case "virtualMedia":
      return { target: "Cd", ...(image.mode === undefined ? {} : { mode: image.mode }) };
    case "http":
      return {
        target: "UefiHttp",
        mode: image.mode ?? "UEFI",
        ...(image.url === undefined ? {} : { httpBootUri: image.url }),
      };
    case "pxe":
      return { target: "Pxe", ...(image.mode === undefined ? {} : { mode: image.mode }) };
  }
}

/** Ejects whatever the CD holds; the CD device. */
async function ejectCd(c: RedfishClient, path: string): Promise<VirtualMedia> {
  const cd = await c.virtualCd(path);
  if (cd.Inserted === true || (cd.Image ?? "") !== "") await c.ejectMedia(cd);
  return cd;
}

/** Media and override for the next boot. */
async function prepare(c: RedfishClient, path: string, image: BootImage): Promise<void> {
  if (image.method === "virtualMedia") {
    if (image.url === undefined) throw new RedfishError("bootMethod virtualMedia needs isoUrl");
    await c.insertMedia(await ejectCd(c, path), image.url);
  } else if (image.previous === "virtualMedia") {
    await ejectCd(c, path);
  }
  await c.setBootOnce(path, overrideFor(image));
}

/** Create: power off, media or override, power on. */
export async function bootImage(
  c: RedfishClient,
  path: string,
  image: BootImage,
  wait?: PowerWait,
): Promise<void> {
  await powerOff(c, path, wait);
  await prepare(c, path, image);
  await c.reset(path, "On");
  await waitPower(c, path, "On", wait);
}

/**
 * A new image in place: eject, insert (or override), then `restart` a
 * running machine (one powered off is powered on instead).
 */
export async function reimage(
  c: RedfishClient,
  path: string,
  image: BootImage,
  restart: ResetType = "ForceRestart",
  wait?: PowerWait,
): Promise<void> {
  await prepare(c, path, image);
  const state = await c.powerState(path);
  await c.reset(path, state === "Off" ? "On" : restart);
  await waitPower(c, path, "On", wait);
}

/** Delete: eject the media (virtual media) and power off, unless `leaveRunning`. */
export async function release(
  c: RedfishClient,
  path: string,
  method: BootMethod,
  leaveRunning: boolean,
  wait?: PowerWait,
): Promise<void> {
  if ((await c.system(path)) === undefined) return; // gone: nothing to release
  if (!leaveRunning) await powerOff(c, path, wait);
  if (method === "virtualMedia") await ejectCd(c, path);
}
