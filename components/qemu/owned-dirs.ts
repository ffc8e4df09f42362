/**
 * Removing the folders this project made for VMs and fleets, without ever
 * trusting a path from state to be one: state may come from a shared
 * backend, and a tampered `vmDir` or `fleetDir` must not turn a destroy
 * into `rm -rf` of any folder. Nothing here deletes recursively: only the
 * files a VM or fleet folder holds are removed by name, then the empty
 * folder. A folder holding anything else is left, and said so.
 */
import { lstat, readdir, rm, rmdir } from "node:fs/promises";
import path from "node:path";

/** What a VM's folder holds (see vm-process). */
export const VM_FILES = [
  "console.log",
  "qmp.sock",
  "qemu.pid",
  "qemu.args.json",
  "qemu.machine.cfg",
  "starter.json",
  "starter.json.tmp",
] as const;

/** A VM folder inside a fleet's folder: `m-<instance id>`. */
const FLEET_VM_DIR = /^m-[0-9a-f]{12}$/;
/** The fleet journal and what its writes leave (see fleet-journal), and its starter (orphan-vms). */
const FLEET_FILES = /^(fleet\.json(\.\d+\.tmp|\.torn-[0-9TZ-]+)?|starter\.json(\.tmp)?)$/;

async function isRealDir(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  return info !== undefined && info.isDirectory() && !info.isSymbolicLink();
}

/** Removes `dir` if empty; otherwise says what is left. */
async function removeIfEmpty(dir: string, log: (line: string) => void): Promise<void> {
  try {
    await rmdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      const left = await readdir(dir).catch(() => [] as string[]);
      log(
        `left ${dir} in place: it holds files this project did not make (${left.slice(0, 5).join(", ")})`,
      );
      return;
    }
    throw e;
  }
}

/** Removes a VM's folder: its known files, then the folder if that emptied it. */
export async function removeVmDir(
  dir: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  if (!(await isRealDir(dir))) return;
  for (const name of VM_FILES) await rm(path.join(dir, name), { force: true });
  await removeIfEmpty(dir, log);
}

/** Removes a fleet's folder: its journal and its machines' folders, then the folder if empty. */
export async function removeFleetDir(
  dir: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  if (!(await isRealDir(dir))) return;
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    if (FLEET_VM_DIR.test(name)) await removeVmDir(p, log);
    else if (FLEET_FILES.test(name)) await rm(p, { force: true });
  }
  await removeIfEmpty(dir, log);
}
