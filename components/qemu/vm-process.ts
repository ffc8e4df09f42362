import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { DEFAULT_ARCH, type Arch } from "../arch";
import { LinuxKitError } from "../errors/errors";
import { removeVmDir } from "./owned-dirs";
import type { QemuAccel } from "./accel";
import {
  isSameProcess,
  processesWithMarker,
  processCmdline,
  processStartTime,
  type ProcessIdentity,
} from "./process-identity";
import { buildQemuArgs, kernelMachineConfig, type BootMedia, type PortForward } from "./qemu-args";

/** The 0600 file in a VM's folder that gives qemu its kernel, initrd and command line. */
export const MACHINE_CONFIG_FILE = "qemu.machine.cfg";
import { qmpCommands } from "./qmp-client";
import { QEMU_MACHINES } from "./qemu-machines";

export interface LaunchRequest {
  /** Folder for this VM's pidfile, QMP socket and console log. */
  vmDir: string;
  /** A unique string put in qemu's `-name`, so the process can be recognised later. */
  marker: string;
  media: BootMedia;
  accel: QemuAccel;
  memoryMiB: number;
  cpus: number;
  forwards: PortForward[];
  ovmfCode?: string;
  /** The guest's architecture (qemu-machines.ts). Default amd64. */
  arch?: Arch;
  /** How long qemu may take to daemonize, in ms. Default 60000. */
  startTimeoutMs?: number;
}

export interface RunningVm extends ProcessIdentity {
  consoleLog: string;
  qmpSocket: string;
  pidFile: string;
}

/** The files of a VM in its folder. */
export function vmFiles(vmDir: string): { consoleLog: string; qmpSocket: string; pidFile: string } {
  return {
    consoleLog: path.join(vmDir, "console.log"),
    qmpSocket: path.join(vmDir, "qmp.sock"),
    pidFile: path.join(vmDir, "qemu.pid"),
  };
}

/**
 * Starts qemu detached (`-daemonize`), so the VM outlives the process that
 * started it. Resolves once qemu has daemonized and written its pidfile.
 */
export async function launchVm(req: LaunchRequest): Promise<RunningVm> {
  await mkdir(req.vmDir, { recursive: true, mode: 0o700 });
  const files = vmFiles(req.vmDir);
  // The command line may hold secrets: qemu reads it from a 0600 file, not from its arguments.
  const machineConfig = kernelMachineConfig(req.media);
  const machineConfigFile = path.join(req.vmDir, MACHINE_CONFIG_FILE);
  if (machineConfig !== undefined) {
    await writeFile(machineConfigFile, machineConfig, { mode: 0o600 });
  }
  const args = buildQemuArgs({
    machineConfigFile,
    name: req.marker,
    media: req.media,
    accel: req.accel,
    memoryMiB: req.memoryMiB,
    cpus: req.cpus,
    console: { kind: "file", path: files.consoleLog },
    qmpSocket: files.qmpSocket,
    pidFile: files.pidFile,
    daemonize: true,
    forwards: req.forwards,
    ovmfCode: req.ovmfCode,
    arch: req.arch,
  });
  await writeFile(path.join(req.vmDir, "qemu.args.json"), `${JSON.stringify(args, null, 2)}\n`);
  try {
    await startDaemon(args, req.arch ?? DEFAULT_ARCH, req.startTimeoutMs ?? 60_000);
  } catch (e) {
    // A qemu that timed out may have daemonized anyway: stopped before its folder goes.
    await killVmProcesses(req.marker);
    await removeVmDir(req.vmDir);
    throw e;
  }
  const pid = Number((await readFile(files.pidFile, "utf8")).trim());
  const startTime = processStartTime(pid);
  if (!Number.isInteger(pid) || startTime === undefined) {
    throw new LinuxKitError("QEMU", `qemu daemonized but process ${pid} is not running`, {
      hint: `see ${files.consoleLog}`,
    });
  }
  return { pid, startTime, ...files };
}

/** Runs qemu with `-daemonize`: resolves when the daemon is up, rejects with qemu's own words. */
function startDaemon(args: string[], arch: Arch, timeoutMs: number): Promise<void> {
  const machine = QEMU_MACHINES[arch];
  return new Promise<void>((resolve, reject) => {
    execFile(machine.binary, args, { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") {
        reject(
          new LinuxKitError("TOOL_MISSING", `${machine.binary} not found`, {
            hint: `apt-get install ${machine.debianPackage}`,
          }),
        );
        return;
      }
      const timedOut = (e as { killed?: boolean }).killed === true;
      const msg =
        String(stderr).trim() ||
        (timedOut ? `no answer within ${timeoutMs / 1000} s; stopped` : e.message);
      const portInUse = /hostfwd|Could not set up host forwarding/i.test(msg);
      reject(
        new LinuxKitError("QEMU", `qemu failed to start: ${msg}`, {
          hint: portInUse
            ? "a forwarded host port is already in use: pick another hostPort"
            : `check the boot media paths and that ${machine.debianPackage} is installed`,
        }),
      );
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kills (SIGKILL) every process whose command line holds `marker`, found
 * through /proc rather than a pidfile (a start cut short may not have
 * written it), and waits until they are gone.
 */
export async function killVmProcesses(marker: string): Promise<void> {
  const found = processesWithMarker(marker);
  for (const id of found) {
    try {
      process.kill(id.pid, "SIGKILL");
    } catch {
      /* gone already */
    }
  }
  await Promise.all(found.map((id) => waitGone(id, marker, 5000)));
}

async function waitGone(id: ProcessIdentity, marker: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isSameProcess(id, marker)) return true;
    await sleep(100);
  }
  return !isSameProcess(id, marker);
}

/**
 * Stops a VM: an ACPI power-down over QMP first, giving the guest
 * `graceSeconds` to shut down, then QMP `quit`, then SIGKILL. A process
 * that is already gone (or whose pid now belongs to something else) is
 * left alone.
 */
export async function stopVm(
  id: ProcessIdentity,
  marker: string,
  qmpSocket: string,
  graceSeconds: number,
): Promise<void> {
  if (!isSameProcess(id, marker)) return;
  if (graceSeconds > 0) {
    await qmpCommands(qmpSocket, ["system_powerdown"]).catch(() => undefined);
    if (await waitGone(id, marker, graceSeconds * 1000)) return;
  }
  await qmpCommands(qmpSocket, ["quit"]).catch(() => undefined);
  if (await waitGone(id, marker, 3000)) return;
  try {
    process.kill(id.pid, "SIGKILL");
  } catch {
    return;
  }
  await waitGone(id, marker, 5000);
}

/**
 * Removes the folders of this VM name's earlier instances whose qemu is no
 * longer running (killed or crashed, then dropped from state by refresh).
 * A folder whose qemu still runs is left alone, unless `stopRunning` gives
 * the grace seconds to stop it with (a fleet's delete: nothing may remain).
 */
export async function sweepDeadVmDirs(
  stateDir: string,
  name: string,
  stopRunning?: number,
): Promise<string[]> {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = await readdir(stateDir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const m = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-([0-9a-f]{12})$`).exec(
      entry,
    );
    if (!m) continue;
    const dir = path.join(stateDir, entry);
    const pid = Number((await readFile(vmFiles(dir).pidFile, "utf8").catch(() => "")).trim());
    const running =
      Number.isInteger(pid) &&
      pid > 0 &&
      (processCmdline(pid) ?? []).some((a) => a.includes(`pulumi-linuxkit-${m[1]}`));
    const startTime = processStartTime(pid);
    if (running && startTime !== undefined) {
      if (stopRunning === undefined) continue;
      await stopVm(
        { pid, startTime },
        `pulumi-linuxkit-${m[1]}`,
        vmFiles(dir).qmpSocket,
        stopRunning,
      );
    }
    await removeVmDir(dir);
    removed.push(dir);
  }
  return removed;
}
