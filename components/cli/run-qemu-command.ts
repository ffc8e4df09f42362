import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";

import { parseArch } from "../arch";
import { LinuxKitError } from "../errors/errors";
import { chooseAccel, type QemuAccelChoice } from "../qemu/accel";
import { findBootMedia, findOvmf, firmwareMissing } from "../qemu/boot-media";
import { guestArch } from "../qemu/guest-arch";
import { buildQemuArgs, kernelMachineConfig, type PortForward } from "../qemu/qemu-args";
import { QEMU_MACHINES } from "../qemu/qemu-machines";
import { parseCommandArgs } from "./argv";

export const RUN_QEMU_USAGE = `usage: pulumi-linuxkit run qemu [--accel auto|kvm|tcg] [--mem MB] [--cpus N] [--publish HOST:GUEST]... [--uefi] [--arch amd64|arm64] [--cmdline-append TEXT] PREFIX

Boots what \`build\` wrote for PREFIX (PREFIX-kernel + PREFIX-initrd.img +
PREFIX-cmdline, or PREFIX.iso, PREFIX.qcow2, ...) with the serial console
on this terminal (Ctrl-A X quits qemu). LINUXKIT_QEMU_ACCEL overrides --accel.
--arch defaults to what the build was for (its manifest, else the kernel's
header): arm64 runs qemu-system-aarch64 -machine virt, ISOs and disks with
AAVMF (UEFI), console ttyAMA0.`;

/** `8080:80` or `8080:80/udp` → a forward on 127.0.0.1. */
export function parsePublish(text: string): PortForward {
  const m = /^(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(text);
  const valid = (port: string | undefined): boolean => Number(port) >= 1 && Number(port) <= 65535;
  if (!m || !valid(m[1]) || !valid(m[2])) {
    throw new LinuxKitError(
      "USAGE",
      `--publish ${text}: expected HOST:GUEST[/tcp|udp] with ports 1-65535`,
      { hint: "e.g. --publish 8080:80" },
    );
  }
  return {
    hostPort: Number(m[1]),
    guestPort: Number(m[2]),
    protocol: (m[3] as "tcp" | "udp" | undefined) ?? "tcp",
  };
}

export async function runQemuCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      accel: { type: "string" },
      mem: { type: "string" },
      cpus: { type: "string" },
      publish: { type: "string", multiple: true },
      uefi: { type: "boolean" },
      arch: { type: "string" },
      "cmdline-append": { type: "string" },
    },
    RUN_QEMU_USAGE,
  );
  const prefix = positionals[0];
  if (prefix === undefined || positionals.length > 1) {
    throw new LinuxKitError("USAGE", "run qemu needs exactly one PREFIX", { hint: RUN_QEMU_USAGE });
  }
  const accelChoice = (values.accel ?? "auto") as QemuAccelChoice;
  if (!["auto", "kvm", "tcg"].includes(accelChoice)) {
    throw new LinuxKitError("USAGE", `--accel ${values.accel}: expected auto, kvm or tcg`, {
      hint: RUN_QEMU_USAGE,
    });
  }
  let media = findBootMedia(prefix, { uefi: values.uefi });
  const arch =
    values.arch === undefined
      ? guestArch(prefix, media.kind === "kernel+initrd" ? media.kernel : undefined)
      : parseArch(values.arch, "--arch", "USAGE");
  const machine = QEMU_MACHINES[arch];
  // a machine without BIOS boots every ISO and disk through UEFI
  if (media.kind !== "kernel+initrd" && !machine.biosBoot) media = { ...media, uefi: true };
  if (media.kind === "kernel+initrd" && values["cmdline-append"]) {
    media.cmdline = `${media.cmdline} ${values["cmdline-append"]}`.trim();
  }
  const needsOvmf = media.kind !== "kernel+initrd" && media.uefi === true;
  const ovmf = needsOvmf ? findOvmf(arch) : undefined;
  if (needsOvmf && ovmf === undefined) throw firmwareMissing(arch);
  const memoryMiB = values.mem === undefined ? 1024 : Number(values.mem);
  const cpus = values.cpus === undefined ? 1 : Number(values.cpus);
  if (!Number.isInteger(memoryMiB) || memoryMiB < 64) {
    throw new LinuxKitError(
      "USAGE",
      `--mem ${values.mem}: expected a whole number of MiB, at least 64`,
      { hint: "e.g. --mem 1024" },
    );
  }
  if (!Number.isInteger(cpus) || cpus < 1) {
    throw new LinuxKitError("USAGE", `--cpus ${values.cpus}: expected a whole number, at least 1`, {
      hint: "e.g. --cpus 2",
    });
  }
  // The command line may hold secrets: qemu reads it from a 0600 file, not its arguments (`ps`).
  const machineConfig = kernelMachineConfig(media);
  const scratch = await mkdtemp(path.join(os.tmpdir(), "lk-run-qemu-"));
  const machineConfigFile = path.join(scratch, "qemu.machine.cfg");
  if (machineConfig !== undefined) {
    await writeFile(machineConfigFile, machineConfig, { mode: 0o600 });
  }
  const qemuArgs = buildQemuArgs({
    machineConfigFile,
    media,
    arch,
    accel: chooseAccel(accelChoice),
    memoryMiB,
    cpus,
    console: { kind: "stdio" },
    forwards: (values.publish ?? []).map(parsePublish),
    ovmfCode: ovmf,
  });
  return new Promise<number>((resolve, reject) => {
    const child = spawn(machine.binary, qemuArgs, { stdio: "inherit" });
    // qemu is this command's VM: a signal to us stops it too, never leaving it behind.
    const forward = (signal: NodeJS.Signals) => () =>
      void child.kill(signal === "SIGHUP" ? "SIGTERM" : signal);
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
      process.on(signal, forward(signal));
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "ENOENT"
          ? new LinuxKitError("TOOL_MISSING", `${machine.binary} not found`, {
              hint: `apt-get install ${machine.debianPackage}`,
            })
          : e,
      ),
    );
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => rm(scratch, { recursive: true, force: true }));
}
