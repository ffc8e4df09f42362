import { randomBytes } from "node:crypto";
import { removeVmDir } from "./owned-dirs";
import path from "node:path";

import { DEFAULT_ARCH, type Arch } from "../arch";
import { chooseAccel, type QemuAccelChoice } from "./accel";
import { findOvmf, firmwareMissing } from "./boot-media";
import { QEMU_MACHINES } from "./qemu-machines";
import { isSameProcess } from "./process-identity";
import type { BootMedia, PortForward } from "./qemu-args";
import { tailLines } from "./readiness";
import { killVmProcesses, launchVm, stopVm, vmFiles } from "./vm-process";

/** A qemu started detached (it outlives the process that started it), as kept in state; paths as given. */
export interface DetachedVm {
  /** Random id, also in qemu's `-name`, so the process is recognised later. */
  instanceId: string;
  vmDir: string;
  pid: number;
  /** Start time of the process (clock ticks since boot): a recycled pid has another. */
  startTime: number;
  consoleLog: string;
  qmpSocket: string;
  /** The accelerator actually used. */
  accelUsed: string;
}

export interface DetachedVmRequest {
  /** The VM's folder is `<parentDir>/<prefix>-<instanceId>`. */
  parentDir: string;
  prefix: string;
  media: BootMedia;
  accel: QemuAccelChoice;
  memoryMiB: number;
  cpus: number;
  forwards: PortForward[];
  /** The guest's architecture. Default amd64. */
  arch?: Arch;
  /** The instance id (12 hex digits), when chosen beforehand (a journaled start); default random. */
  instanceId?: string;
}

/** A fresh instance id: 12 hex digits. */
export function newInstanceId(): string {
  return randomBytes(6).toString("hex");
}

/** The string in qemu's `-name` that identifies the VM's process. */
export function vmMarker(instanceId: string): string {
  return `pulumi-linuxkit-${instanceId}`;
}

/** A VM is alive when its recorded process still runs (a recycled pid is not it). */
export function vmAlive(vm: Pick<DetachedVm, "pid" | "startTime" | "instanceId">): boolean {
  return isSameProcess({ pid: vm.pid, startTime: vm.startTime }, vmMarker(vm.instanceId));
}

/** The boot media with every file resolved from the working directory (the program folder). */
export function resolveMedia(media: BootMedia): BootMedia {
  if (media.kind === "kernel+initrd") {
    return { ...media, kernel: path.resolve(media.kernel), initrd: path.resolve(media.initrd) };
  }
  return { ...media, path: path.resolve(media.path) };
}

/**
 * Starts qemu detached in a fresh folder; resolves once it runs (not once
 * the guest is ready). The paths it returns are as `parentDir` was given
 * (relative to the program folder, normally), so state does not depend on
 * where the project is checked out; qemu itself gets absolute ones.
 */
export async function startDetachedVm(req: DetachedVmRequest): Promise<DetachedVm> {
  const instanceId = req.instanceId ?? newInstanceId();
  if (!/^[0-9a-f]{12}$/.test(instanceId)) throw new Error(`bad VM instance id ${instanceId}`);
  const vmDir = path.join(req.parentDir, `${req.prefix}-${instanceId}`);
  const accel = chooseAccel(req.accel);
  const arch = req.arch ?? DEFAULT_ARCH;
  let media = req.media;
  // a machine without BIOS boots every ISO and disk through UEFI
  if (media.kind !== "kernel+initrd" && !QEMU_MACHINES[arch].biosBoot)
    media = { ...media, uefi: true };
  const needsFirmware = media.kind !== "kernel+initrd" && media.uefi === true;
  const ovmf = needsFirmware ? findOvmf(arch) : undefined;
  if (needsFirmware && ovmf === undefined) throw firmwareMissing(arch);
  const vm = await launchVm({
    vmDir: path.resolve(vmDir),
    marker: vmMarker(instanceId),
    arch,
    media: resolveMedia(media),
    accel,
    memoryMiB: req.memoryMiB,
    cpus: req.cpus,
    forwards: req.forwards,
    ovmfCode: ovmf,
  });
  const files = vmFiles(vmDir);
  return {
    instanceId,
    vmDir,
    pid: vm.pid,
    startTime: vm.startTime,
    consoleLog: files.consoleLog,
    qmpSocket: files.qmpSocket,
    accelUsed: accel,
  };
}

/** Powers the VM down (`graceSeconds` for the guest, then quit, then SIGKILL) and removes its folder. */
export async function stopDetachedVm(
  vm: Pick<DetachedVm, "pid" | "startTime" | "instanceId" | "vmDir"> & { qmpSocket?: string },
  graceSeconds: number,
): Promise<void> {
  await stopVm(
    { pid: vm.pid, startTime: vm.startTime },
    vmMarker(vm.instanceId),
    path.resolve(vm.qmpSocket ?? vmFiles(vm.vmDir).qmpSocket),
    graceSeconds,
  );
  // Never recursive: vmDir comes from state, which may have been tampered with.
  await removeVmDir(path.resolve(vm.vmDir));
}

/**
 * Stops whatever runs as VM `instanceId` (found by its marker through
 * /proc, not through a pidfile or state) and removes its folder
 * `<parentDir>/<prefix>-<instanceId>`: for a start that was cut short
 * before the VM was recorded. Nothing there is no error.
 */
export async function recoverDetachedVm(
  parentDir: string,
  prefix: string,
  instanceId: string,
): Promise<void> {
  if (!/^[0-9a-f]{12}$/.test(instanceId)) return;
  await killVmProcesses(vmMarker(instanceId));
  await removeVmDir(path.resolve(parentDir, `${prefix}-${instanceId}`));
}

/** `<what> <problem>.` followed by the last console lines, for errors. */
export async function notReadyMessage(
  what: string,
  problem: string,
  consoleLog: string,
): Promise<string> {
  const tail = await tailLines(path.resolve(consoleLog), 15);
  return `${what} ${problem}.\nLast console lines (${consoleLog}):\n${tail.map((l) => `  | ${l}`).join("\n")}`;
}
