import { DEFAULT_ARCH, type Arch } from "../arch";
import type { QemuAccel } from "./accel";
import { QEMU_MACHINES } from "./qemu-machines";
import { qemuOptValue } from "./qemu-option";

/** A port forwarded from the host's loopback into the guest (qemu user networking). */
export interface PortForward {
  /** Port on 127.0.0.1 of the host. */
  hostPort: number;
  /** Port in the guest. */
  guestPort: number;
  protocol?: "tcp" | "udp";
}

/** What to boot: a kernel+initrd triple, an ISO, or a disk image. */
export type BootMedia =
  | { kind: "kernel+initrd"; kernel: string; initrd: string; cmdline: string }
  | { kind: "iso"; path: string; uefi?: boolean }
  | { kind: "disk"; path: string; format: "raw" | "qcow2" | "vmdk" | "vpc"; uefi?: boolean };

export interface QemuConfig {
  media: BootMedia;
  /** The guest's architecture: picks the qemu machine (qemu-machines.ts). Default amd64. */
  arch?: Arch;
  accel: QemuAccel;
  /** Guest memory in MiB. Default 1024. */
  memoryMiB?: number;
  /** Virtual CPUs. Default 1. */
  cpus?: number;
  /** Serial console: `stdio` (interactive) or a file path (detached VMs). */
  console: { kind: "stdio" } | { kind: "file"; path: string };
  /** QMP control socket path, for detached VMs. */
  qmpSocket?: string;
  /** Pidfile path, for detached VMs. */
  pidFile?: string;
  /** Port forwards; user networking is on whenever networking is not `none`. */
  forwards?: PortForward[];
  networking?: "user" | "none";
  /** UEFI firmware code for EFI media (OVMF for amd64, AAVMF for arm64). */
  ovmfCode?: string;
  /** Daemonize qemu (detached VMs). */
  daemonize?: boolean;
  /** A name shown by qemu (`-name`), also used to recognise the process. */
  name?: string;
  /**
   * For kernel+initrd media: a file (written by the caller, mode 0600, with
   * {@link kernelMachineConfig}) that gives qemu the kernel, initrd and
   * command line through `-readconfig`, so the command line (which may hold
   * secrets) is not in qemu's argument list, where `ps` shows it.
   */
  machineConfigFile?: string;
}

/** A value qemu's config-file syntax can carry: `key = "value"`, no quote, no newline, < 1024 bytes. */
function configValueOk(v: string): boolean {
  return !/["\n\r]/.test(v) && Buffer.byteLength(v) < 1024;
}

/**
 * The `-readconfig` text that boots `media` (kernel, initrd, command line as
 * `[machine]` properties), or undefined when a value cannot be written in
 * qemu's config syntax (a `"` or newline, or 1024 bytes or more): then the
 * command line goes on the argument list.
 */
export function kernelMachineConfig(media: BootMedia): string | undefined {
  if (media.kind !== "kernel+initrd") return undefined;
  const values = { kernel: media.kernel, initrd: media.initrd, append: media.cmdline };
  if (!Object.values(values).every(configValueOk)) return undefined;
  const lines = Object.entries(values).map(([k, v]) => `  ${k} = "${v}"`);
  return `# written by pulumi-linuxkit: the guest's kernel, initrd and command line\n[machine]\n${lines.join("\n")}\n`;
}

/**
 * The argument list of the architecture's qemu (`qemuBinary(arch)`) for a
 * config: pure, so it is testable. What differs between architectures
 * (machine, CPU, CD-ROM attachment) comes from {@link QEMU_MACHINES}.
 */
export function buildQemuArgs(c: QemuConfig): string[] {
  const machine = QEMU_MACHINES[c.arch ?? DEFAULT_ARCH];
  const args: string[] = [];
  if (c.name) args.push("-name", c.name);
  args.push("-machine", `${machine.machine},accel=${c.accel}`);
  const cpu = machine.cpu[c.accel];
  if (cpu !== undefined) args.push("-cpu", cpu);
  args.push("-m", String(c.memoryMiB ?? 1024), "-smp", String(c.cpus ?? 1));
  // -nographic cannot be combined with -daemonize; without a display the serial port is the console either way.
  args.push(
    c.daemonize ? "-display" : "-nographic",
    ...(c.daemonize ? ["none"] : []),
    "-no-reboot",
    "-nodefaults",
  );
  if (c.console.kind === "stdio") {
    args.push("-serial", "mon:stdio");
  } else {
    args.push("-serial", `file:${c.console.path}`, "-monitor", "none");
  }
  if (c.qmpSocket) args.push("-qmp", `unix:${qemuOptValue(c.qmpSocket)},server=on,wait=off`);
  if (c.pidFile) args.push("-pidfile", c.pidFile);
  if (c.daemonize) args.push("-daemonize");
  if (c.networking !== "none") {
    const fwds = (c.forwards ?? [])
      .map((f) => `,hostfwd=${f.protocol ?? "tcp"}:127.0.0.1:${f.hostPort}-:${f.guestPort}`)
      .join("");
    args.push("-netdev", `user,id=net0${fwds}`, "-device", "virtio-net-pci,netdev=net0");
  }
  args.push("-device", "virtio-rng-pci");
  const m = c.media;
  const uefi = m.kind !== "kernel+initrd" && m.uefi === true;
  if (uefi) {
    if (!c.ovmfCode)
      throw new Error(`EFI media need ovmfCode (the ${machine.firmware.name} firmware path)`);
    args.push("-drive", `if=pflash,format=raw,readonly=on,file=${qemuOptValue(c.ovmfCode)}`);
  } else if (m.kind !== "kernel+initrd" && !machine.biosBoot) {
    throw new Error(
      `${machine.binary} boots ${m.kind === "iso" ? "ISOs" : "disks"} with UEFI only: set uefi`,
    );
  }
  switch (m.kind) {
    case "kernel+initrd":
      if (c.machineConfigFile !== undefined && kernelMachineConfig(m) !== undefined) {
        args.push("-readconfig", c.machineConfigFile);
      } else {
        args.push("-kernel", m.kernel, "-initrd", m.initrd, "-append", m.cmdline);
      }
      break;
    case "iso":
      args.push(...machine.cdrom(m.path));
      break;
    case "disk":
      args.push(
        "-drive",
        `file=${qemuOptValue(m.path)},format=${m.format},if=virtio`,
        "-boot",
        "c",
      );
      break;
  }
  return args;
}
