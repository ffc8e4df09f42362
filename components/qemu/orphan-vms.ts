/**
 * Finding the qemu machines no record holds: a provider killed (SIGKILL,
 * a crash, the host's OOM killer) between starting qemu and the moment its
 * result was recorded leaves a detached qemu running, holding its host
 * ports, that no state names. Two records exist:
 *
 * - a starter file (`starter.json`) in a folder the provider is filling:
 *   the process that works on it, written before anything starts and
 *   removed once the result is recorded (in Pulumi's state). A folder whose
 *   starter is a process that no longer runs was abandoned;
 * - a fleet's journal: a machine folder inside a fleet's folder that the
 *   journal does not name, found before a rollout starts (one rollout per
 *   fleet at a time), was started by a run that died before journaling it.
 */
import { open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";

import { processStartTime, type ProcessIdentity } from "./process-identity";
import { removeVmDir } from "./owned-dirs";
import { stopVm, vmFiles } from "./vm-process";

/** The starter file's name (in a VM's or a fleet's folder). */
export const STARTER_FILE = "starter.json";

/** Marks `dir` as being filled by this process (durably: it must outlive a SIGKILL). */
export async function writeStarter(dir: string): Promise<void> {
  const me: ProcessIdentity = { pid: process.pid, startTime: processStartTime(process.pid) ?? -1 };
  const file = path.join(dir, STARTER_FILE);
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(me)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** The result is recorded: `dir` is no longer anyone's work in progress. */
export async function clearStarter(dir: string): Promise<void> {
  await rm(path.join(dir, STARTER_FILE), { force: true });
}

/** True when `dir` has a starter file whose process is gone (or is another process now). */
export async function abandoned(dir: string): Promise<boolean> {
  let who: ProcessIdentity;
  try {
    who = JSON.parse(await readFile(path.join(dir, STARTER_FILE), "utf8")) as ProcessIdentity;
  } catch {
    return false;
  }
  return processStartTime(who.pid) !== who.startTime;
}

/** The qemu of the VM folder `dir` named `<prefix>-<instance id>`, stopped; then the folder removed. */
async function stopVmDir(dir: string, instanceId: string, graceSeconds: number): Promise<void> {
  const files = vmFiles(dir);
  const pid = Number((await readFile(files.pidFile, "utf8").catch(() => "")).trim());
  const startTime = Number.isInteger(pid) && pid > 0 ? processStartTime(pid) : undefined;
  if (startTime !== undefined) {
    await stopVm(
      { pid, startTime },
      `pulumi-linuxkit-${instanceId}`,
      files.qmpSocket,
      graceSeconds,
    );
  }
  await removeVmDir(dir);
}

/** `<prefix>-<12 hex>` folders of `parent`, with their instance ids. */
async function vmDirsOf(
  parent: string,
  prefix: string,
): Promise<{ dir: string; instanceId: string }[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-([0-9a-f]{12})$`);
  return names.flatMap((n) => {
    const m = re.exec(n);
    return m ? [{ dir: path.join(parent, n), instanceId: m[1]! }] : [];
  });
}

/**
 * Stops the VMs named `<prefix>-*` in `parent` whose create was abandoned
 * (their starter died before the VM was recorded) and removes their
 * folders. Returns the folders removed.
 */
export async function stopAbandonedVms(
  parent: string,
  prefix: string,
  graceSeconds: number,
): Promise<string[]> {
  const removed: string[] = [];
  for (const { dir, instanceId } of await vmDirsOf(parent, prefix)) {
    if (!(await abandoned(dir))) continue;
    await stopVmDir(dir, instanceId, graceSeconds);
    removed.push(dir);
  }
  return removed;
}

/**
 * Stops the machines of a fleet folder (`m-<instance id>`) that its state
 * does not name, and removes their folders. Call it only before a rollout
 * of that fleet starts: during one, a machine just started is not yet
 * journaled. Returns the folders removed.
 */
export async function stopUnrecordedVms(
  fleetDir: string,
  recorded: Set<string>,
  graceSeconds: number,
): Promise<string[]> {
  const removed: string[] = [];
  for (const { dir, instanceId } of await vmDirsOf(fleetDir, "m")) {
    if (recorded.has(instanceId)) continue;
    await stopVmDir(dir, instanceId, graceSeconds);
    removed.push(dir);
  }
  return removed;
}
