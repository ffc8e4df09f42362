/**
 * Helpers for the disk format tests: a minimal bootable root filesystem
 * tar (host kernel + busybox `/init` printing the test init's markers) and
 * booting a disk image under qemu TCG the way a firmware would — SeaBIOS
 * from an IDE, virtio or virtio-scsi disk, or OVMF (pflash) for EFI — with
 * the serial console captured by the one launcher (`../qemu-launch.ts`).
 */
import { copyFile, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { findOnPath } from "../../../components/formats/blocks/tools";
import { runQemuUntilExit } from "../qemu-launch";
import { writeTar, type FixtureEntry } from "./tar-fixture";

export const INIT_STARTED = "LINUXKIT-TEST: init started";
export const BOOT_COMPLETE = "LINUXKIT-TEST: boot complete";
export const POWEROFF = "LINUXKIT-TEST: poweroff";

/** The command line the minimal image boots with: serial console, power off when done. */
export const TEST_CMDLINE = "console=ttyS0 panic=-1 linuxkit.test.poweroff=1";

export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/** The newest /boot/vmlinuz-*, or undefined. */
export async function hostKernel(): Promise<string | undefined> {
  const names = await readdir("/boot").catch(() => [] as string[]);
  const vmlinuz = names
    .filter((n) => n.startsWith("vmlinuz-"))
    .sort()
    .at(-1);
  return vmlinuz === undefined ? undefined : path.join("/boot", vmlinuz);
}

/** Why the boot tests cannot run here, or undefined when they can. */
export async function bootSkipReason(efi = false): Promise<string | undefined> {
  if ((await hostKernel()) === undefined) return "needs /boot/vmlinuz-*";
  if ((await findOnPath("qemu-system-x86_64")) === undefined) return "needs qemu-system-x86_64";
  if ((await findOnPath("busybox", "/bin:/usr/bin")) === undefined) return "needs busybox-static";
  for (const tool of ["syslinux", "mcopy", "qemu-img", "grub-mkimage"]) {
    if ((await findOnPath(tool)) === undefined) return `needs ${tool}`;
  }
  if (efi) {
    try {
      await readFile(OVMF_CODE, { flag: "r" }).then(() => undefined);
    } catch {
      return "needs ovmf";
    }
  }
  return undefined;
}

/** The /init of the minimal image: prints the markers the real test init prints, then powers off. */
export const MINIMAL_INIT = [
  "#!/bin/busybox sh",
  "/bin/busybox mount -t proc proc /proc",
  `/bin/busybox echo "${INIT_STARTED}"`,
  '/bin/busybox echo "LINUXKIT-TEST: cmdline $(/bin/busybox cat /proc/cmdline)"',
  `/bin/busybox echo "${BOOT_COMPLETE}"`,
  "if /bin/busybox grep -q linuxkit.test.poweroff=1 /proc/cmdline; then",
  `  /bin/busybox echo "${POWEROFF}"`,
  "  /bin/busybox poweroff -f",
  "fi",
  "exec /bin/busybox sh",
  "",
].join("\n");

/**
 * Writes a root filesystem tar like the build's (sorted, boot/ files)
 * with the host kernel, busybox and {@link MINIMAL_INIT}.
 */
export async function writeMinimalBootTar(
  tarPath: string,
  opts: { cmdline?: string; extra?: FixtureEntry[] } = {},
): Promise<void> {
  const kernel = await hostKernel();
  const busybox = await findOnPath("busybox", "/bin:/usr/bin");
  if (kernel === undefined || busybox === undefined)
    throw new Error("needs a host kernel and busybox");
  const entries: FixtureEntry[] = [
    { name: "bin", type: "directory" },
    { name: "bin/busybox", type: "file", mode: 0o755, data: await readFile(busybox) },
    { name: "boot", type: "directory" },
    { name: "boot/cmdline", type: "file", data: Buffer.from(opts.cmdline ?? TEST_CMDLINE) },
    { name: "boot/kernel", type: "file", data: await readFile(kernel) },
    { name: "dev", type: "directory" },
    { name: "dev/console", type: "character-device", mode: 0o600, devmajor: 5, devminor: 1 },
    { name: "init", type: "file", mode: 0o755, data: Buffer.from(MINIMAL_INIT) },
    { name: "proc", type: "directory" },
    ...(opts.extra ?? []),
  ];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await writeTar(tarPath, entries);
}

/** How the disk is attached. */
export type DiskBus = "ide" | "virtio" | "virtio-scsi";

export interface DiskBootOptions {
  path: string;
  /** qemu's name for the image format. */
  format: "raw" | "qcow2" | "vpc" | "vmdk";
  firmware: "bios" | "efi";
  bus?: DiskBus;
  /** Scratch dir for the OVMF variable store copy (EFI). */
  scratch: string;
  memoryMiB?: number;
  /** User networking with a virtio NIC (and a virtio RNG), as `run qemu` gives guests. */
  network?: boolean;
  timeoutMs: number;
}

export interface DiskBootResult {
  console: string;
  seconds: number;
  code: number | null;
  timedOut: boolean;
}

/** The qemu arguments for a disk boot (snapshot=on: the image is never written). */
export async function diskQemuArgs(o: DiskBootOptions): Promise<string[]> {
  const args = [
    "-machine",
    "pc,accel=tcg",
    "-m",
    String(o.memoryMiB ?? 256),
    "-display",
    "none",
    "-nodefaults",
    "-no-reboot",
    "-serial",
    "stdio",
    "-monitor",
    "none",
  ];
  if (o.firmware === "efi") {
    const vars = path.join(o.scratch, `ovmf-vars-${process.pid}-${Date.now()}.fd`);
    await copyFile(OVMF_VARS, vars);
    args.push(
      "-drive",
      `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
      "-drive",
      `if=pflash,format=raw,unit=1,file=${vars}`,
    );
  }
  if (o.network) {
    args.push(
      "-netdev",
      "user,id=net0",
      "-device",
      "virtio-net-pci,netdev=net0",
      "-device",
      "virtio-rng-pci",
    );
  }
  const drive = `file=${o.path},format=${o.format},snapshot=on`;
  switch (o.bus ?? "ide") {
    case "ide":
      args.push("-drive", `${drive},if=ide`);
      break;
    case "virtio":
      args.push("-drive", `${drive},if=virtio`);
      break;
    case "virtio-scsi":
      args.push(
        "-device",
        "virtio-scsi-pci,id=scsi0",
        "-drive",
        `${drive},if=none,id=disk0`,
        "-device",
        "scsi-hd,drive=disk0,bus=scsi0.0,bootindex=0",
      );
      break;
  }
  return args;
}

/** Boots the disk until qemu exits (the guest powers off) or the timeout; returns the console. */
export async function bootDisk(o: DiskBootOptions): Promise<DiskBootResult> {
  return runQemu(await diskQemuArgs(o), o.timeoutMs);
}

/**
 * Runs qemu with `args` (which select TCG) until it exits or `timeoutMs`
 * passes (then it is killed), through the one launcher: the console read
 * as latin1 (firmware output is not UTF-8) without ANSI escapes.
 */
export async function runQemu(args: string[], timeoutMs: number): Promise<DiskBootResult> {
  const r = await runQemuUntilExit({ args, encoding: "latin1", stripAnsi: true }, timeoutMs);
  return { console: r.console, seconds: r.seconds, code: r.code, timedOut: r.timedOut };
}

/** The last `n` lines of a console, for assertion messages. */
export function consoleTail(text: string, n = 40): string {
  return text.split("\n").slice(-n).join("\n");
}
