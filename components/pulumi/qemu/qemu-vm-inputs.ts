/** The QemuVm resource's inputs: their shape, defaults, what a change does, and check. */
import { existsSync } from "node:fs";
import path from "node:path";

import type { QemuAccelChoice } from "../../qemu/accel";
import { findOvmf } from "../../qemu/boot-media";
import type { DetachedVm } from "../../qemu/detached-vm";
import type { BootMedia, PortForward } from "../../qemu/qemu-args";
import { readinessProblems, type Readiness } from "../../qemu/readiness";
import { LinuxKitError } from "../../errors/errors";
import { containsUnknown } from "../dynamic/unknowns";

/** Default folder for VM state, relative to the program folder. */
export const DEFAULT_STATE_DIR = ".linuxkit/vms";

/**
 * Readiness settings create would fail on: those the qemu runtime refuses
 * (a console pattern that is not a regular expression, a bad timeout), and
 * a guest TCP port no forward reaches.
 */
function readinessFailures(
  inputs: QemuVmInputs,
  known: (v: unknown) => boolean,
): { property: string; reason: string }[] {
  const r = inputs.readiness;
  if (!known(r)) return [];
  const reasons = readinessProblems(r, "readiness");
  if (r.tcpPort !== undefined && known(inputs.forwards)) {
    if (!inputs.forwards.some((f) => f.guestPort === r.tcpPort)) {
      const have = inputs.forwards.map((f) => f.guestPort).join(", ") || "none";
      reasons.push(
        `readiness.tcpPort ${r.tcpPort} is not forwarded from the host (forwarded guest ports: ${have}): add { hostPort: <free port>, guestPort: ${r.tcpPort} } to forwards`,
      );
    }
  }
  return reasons.map((reason) => ({ property: "readiness", reason }));
}

/** The QemuVm resource's inputs after defaults. */
export interface QemuVmInputs {
  name: string;
  /** Folder holding one subfolder per VM instance. */
  stateDir: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  iso?: string;
  disk?: string;
  diskFormat?: "raw" | "qcow2" | "vmdk" | "vpc";
  uefi?: boolean;
  memoryMiB: number;
  cpus: number;
  accel: QemuAccelChoice;
  forwards: PortForward[];
  readiness: Readiness;
  /** Seconds the guest gets to power down on delete before qemu is stopped. */
  shutdownTimeoutSeconds: number;
  /** Content hash of the image booted; a change replaces the VM. */
  imageHash?: string;
}

export interface QemuVmOutputs extends QemuVmInputs, DetachedVm {
  /** `running`, or `failed` when the VM started but never became ready. */
  status: "running" | "failed";
}

/**
 * How each input behaves when it changes: `replace` restarts the VM with
 * it, `update` only affects later operations (waiting, stopping). The
 * `satisfies` clause makes the compiler insist on an entry for every
 * input, so a new input cannot be forgotten by diff.
 */
export const QEMU_VM_INPUTS = {
  name: "replace",
  stateDir: "replace",
  kernel: "replace",
  initrd: "replace",
  cmdline: "replace",
  iso: "replace",
  disk: "replace",
  diskFormat: "replace",
  uefi: "replace",
  memoryMiB: "replace",
  cpus: "replace",
  accel: "replace",
  forwards: "replace",
  readiness: "update",
  shutdownTimeoutSeconds: "update",
  imageHash: "replace",
} as const satisfies Record<keyof QemuVmInputs, "replace" | "update">;

/** Most virtual CPUs qemu's default x86 machine takes. */
export const MAX_CPUS = 255;

/** A path as the provider uses it: relative ones are relative to the program folder. */
export function local(p: string): string {
  return path.resolve(process.cwd(), p);
}

export function bootMediaOf(i: QemuVmInputs): BootMedia {
  if (i.kernel !== undefined && i.initrd !== undefined) {
    return { kind: "kernel+initrd", kernel: i.kernel, initrd: i.initrd, cmdline: i.cmdline ?? "" };
  }
  if (i.iso !== undefined) return { kind: "iso", path: i.iso, uefi: i.uefi };
  if (i.disk !== undefined)
    return { kind: "disk", path: i.disk, format: i.diskFormat ?? "raw", uefi: i.uefi };
  throw new LinuxKitError("USAGE", "QemuVm needs kernel+initrd, iso or disk", {
    hint: "pass an Image's kernel and initrd outputs, or an iso/disk artifact path",
  });
}

/** `news` with every default filled in. */
export function qemuVmDefaults(news: Partial<QemuVmInputs>): QemuVmInputs {
  return {
    ...news,
    name: news.name ?? "vm",
    stateDir: news.stateDir ?? DEFAULT_STATE_DIR,
    memoryMiB: news.memoryMiB ?? 1024,
    cpus: news.cpus ?? 1,
    accel: news.accel ?? "auto",
    forwards: news.forwards ?? [],
    readiness: news.readiness ?? {},
    shutdownTimeoutSeconds: news.shutdownTimeoutSeconds ?? 5,
  };
}

/**
 * The QemuVm resource's check: defaults filled, and every input create
 * would fail on reported with the property to fix. Values not known yet
 * (a preview) are checked on \`up\`, once known.
 */
export function checkQemuVmInputs(news: Partial<QemuVmInputs>): {
  inputs: QemuVmInputs;
  failures: { property: string; reason: string }[];
} {
  const inputs = qemuVmDefaults(news);
  const failures: { property: string; reason: string }[] = [];
  // During a preview, values not known yet are checked on `up`, once known.
  const known = (v: unknown): boolean => !containsUnknown(v);
  if (known(inputs.accel) && !["auto", "kvm", "tcg"].includes(inputs.accel)) {
    failures.push({
      property: "accel",
      reason: `accel "${inputs.accel}" must be auto, kvm or tcg`,
    });
  }
  const media = [
    inputs.kernel !== undefined || inputs.initrd !== undefined,
    inputs.iso !== undefined,
    inputs.disk !== undefined,
  ];
  if (media.filter(Boolean).length !== 1) {
    failures.push({
      property: "kernel",
      reason: "set exactly one of kernel+initrd, iso or disk",
    });
  } else if ((inputs.kernel === undefined) !== (inputs.initrd === undefined)) {
    failures.push({
      property: inputs.kernel === undefined ? "kernel" : "initrd",
      reason: "kernel and initrd go together",
    });
  }
  for (const key of ["kernel", "initrd", "iso", "disk"] as const) {
    const file = inputs[key];
    if (file === undefined || !known(file)) continue;
    if (file === "") {
      failures.push({
        property: key,
        reason: `${key} is empty: if it comes from an Image, build that Image with the ${key === "iso" ? "an ISO" : key === "disk" ? "a disk" : "kernel+initrd"} format`,
      });
    } else if (!existsSync(local(file))) {
      failures.push({ property: key, reason: `${key} ${file} does not exist` });
    }
  }
  if (known(inputs.memoryMiB) && (!Number.isInteger(inputs.memoryMiB) || inputs.memoryMiB < 64)) {
    failures.push({
      property: "memoryMiB",
      reason: "memoryMiB must be an integer of at least 64",
    });
  }
  if (
    known(inputs.cpus) &&
    (!Number.isInteger(inputs.cpus) || inputs.cpus < 1 || inputs.cpus > MAX_CPUS)
  ) {
    failures.push({
      property: "cpus",
      reason: `cpus must be an integer from 1 to ${MAX_CPUS}, got ${JSON.stringify(inputs.cpus)}`,
    });
  }
  if (
    known(inputs.uefi) &&
    inputs.uefi === true &&
    inputs.kernel === undefined &&
    findOvmf() === undefined
  ) {
    failures.push({
      property: "uefi",
      reason:
        "uefi needs OVMF firmware, which is not installed: apt-get install ovmf (or boot with uefi: false)",
    });
  }
  failures.push(...readinessFailures(inputs, known));
  const ports = new Set<number>();
  for (const f of known(inputs.forwards) ? inputs.forwards : []) {
    if (!(f.hostPort > 0 && f.hostPort < 65536) || !(f.guestPort > 0 && f.guestPort < 65536)) {
      failures.push({
        property: "forwards",
        reason: `port forward ${f.hostPort}:${f.guestPort} is out of range 1-65535`,
      });
    }
    if (ports.has(f.hostPort))
      failures.push({
        property: "forwards",
        reason: `host port ${f.hostPort} is forwarded twice`,
      });
    ports.add(f.hostPort);
  }
  return { inputs, failures };
}
