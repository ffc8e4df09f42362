/**
 * The boot partition of the disk formats, as LinuxKit's mkimage-raw-bios
 * and mkimage-raw-efi make it: one FAT file system holding `/kernel`,
 * `/initrd.img` (the whole root filesystem, so the kernel needs no disk
 * driver: root stays the initramfs) and a boot loader configured with the
 * image's command line —
 *
 * - BIOS: SYSLINUX (`ldlinux.sys`/`ldlinux.c32`, installed by the mtools
 *   `syslinux` installer, which also writes the partition's boot sector)
 *   and `/syslinux.cfg`; the disk's MBR gets syslinux's `mbr.bin`.
 * - EFI: GRUB at `/EFI/BOOT/BOOTX64.EFI` (removable-media path) reading
 *   `/EFI/BOOT/grub.cfg`.
 *
 * Unlike LinuxKit (which leaves it out of these formats) the initrd starts
 * with the CPU microcode cpio when the image has one, exactly as the
 * `kernel+initrd` format's initrd does.
 */
import { access, open, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { LinuxKitError } from "../../errors/errors";
import { derivedU32 } from "./disk-ids";
import { fatSizeFor, FAT_IMAGE_TOOLS, makeFatImage, type FatFile } from "./fat-image";
import {
  buildGrubEfi,
  EFI_BOOT_PATH,
  fatUuid,
  GRUB_EFI_TOOLS,
  grubBootConfig,
  grubEarlyConfig,
} from "./grub-efi";
import { runTool } from "./iso-tools";
import { MBR_TYPE, SECTOR_BYTES } from "./mbr";
import { requireTool } from "./tools";
import type { BootPayload, ToolRequirement } from "./types";

/** BIOS or UEFI boot. */
export type Firmware = "bios" | "efi";

/** Where the boot partition starts on every disk: 1 MiB, the usual alignment. */
export const PARTITION_START_LBA = 2048;

/** syslinux's MBR boot code (Debian syslinux-common). */
export const SYSLINUX_MBR = "/usr/lib/syslinux/mbr/mbr.bin";

/** Commands the BIOS boot partition needs. */
export const BIOS_BOOT_TOOLS: readonly ToolRequirement[] = [
  ...FAT_IMAGE_TOOLS,
  { command: "syslinux", debianPackage: "syslinux" },
  { command: "mattrib", debianPackage: "mtools" },
];

/** Commands the EFI boot partition needs (the GRUB modules are checked when it runs). */
export const EFI_BOOT_TOOLS: readonly ToolRequirement[] = [...FAT_IMAGE_TOOLS, ...GRUB_EFI_TOOLS];

/** Bytes allowed for syslinux's own files (ldlinux.sys ~ 70 KB, ldlinux.c32 ~ 120 KB) and config. */
const SYSLINUX_ALLOWANCE = 512 * 1024;

/** A boot partition image, ready to be copied to LBA {@link PARTITION_START_LBA}. */
export interface BootPartition {
  /** The FAT image file. */
  path: string;
  /** Its size in bytes (a whole number of MiB). */
  bytes: number;
  /** MBR partition type matching the FAT variant mformat chose. */
  mbrType: number;
  /** The FAT volume serial (GRUB finds the ESP by it). */
  serial: number;
}

/** The syslinux.cfg that boots /kernel with /initrd.img and `cmdline`, with syslinux on the serial port too. */
export function syslinuxConfig(cmdline: string): string {
  return [
    "SERIAL 0 115200",
    "DEFAULT linux",
    "PROMPT 0",
    "TIMEOUT 0",
    "LABEL linux",
    "  KERNEL /kernel",
    "  INITRD /initrd.img",
    `  APPEND ${cmdline}`,
    "",
  ].join("\n");
}

/** The MBR partition type for the FAT file system whose boot sector is `bootSector`. */
export function fatPartitionType(bootSector: Buffer): number {
  if (bootSector.toString("latin1", 82, 90) === "FAT32   ") return MBR_TYPE.FAT32_LBA;
  const kind = bootSector.toString("latin1", 54, 62);
  if (kind === "FAT16   ") return MBR_TYPE.FAT16_LBA;
  if (kind === "FAT12   ") return MBR_TYPE.FAT12;
  throw new Error(`not a FAT boot sector (type field ${JSON.stringify(kind)})`);
}

/** The first `bytes` bytes of the file at `p`. */
export async function readHead(p: string, bytes: number, position = 0): Promise<Buffer> {
  const fh = await open(p, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** TOOL_MISSING unless syslinux's MBR boot code is installed. */
export async function requireSyslinuxMbr(): Promise<string> {
  try {
    await access(SYSLINUX_MBR);
    return SYSLINUX_MBR;
  } catch {
    throw new LinuxKitError(
      "TOOL_MISSING",
      `${SYSLINUX_MBR} not found: install it with \`apt-get install syslinux-common\``,
      { hint: "run `apt-get install syslinux-common`" },
    );
  }
}

/**
 * Makes the FAT boot partition for `firmware` in `scratch`, holding the
 * boot files, the loader and its config. Same inputs → same bytes (volume
 * serial from the payload digest, fixed timestamps, sorted files).
 */
export async function makeBootPartition(
  firmware: Firmware,
  files: BootPayload,
  scratch: string,
  signal?: AbortSignal,
): Promise<BootPartition> {
  const serial = derivedU32(files.digest, `${firmware}-fat-serial`);
  const fat: FatFile[] = [
    { dest: "kernel", src: files.kernelPath },
    { dest: "initrd.img", src: files.initrdPath },
  ];
  let extra = 0;
  if (firmware === "bios") {
    const cfg = path.join(scratch, "syslinux.cfg");
    await writeFile(cfg, syslinuxConfig(files.cmdline));
    fat.push({ dest: "syslinux.cfg", src: cfg });
    extra = SYSLINUX_ALLOWANCE;
  } else {
    const cfg = path.join(scratch, "grub.cfg");
    await writeFile(
      cfg,
      grubBootConfig({ kernel: "/kernel", initrd: "/initrd.img", cmdline: files.cmdline }),
    );
    const loader = path.join(scratch, "BOOTX64.EFI");
    await buildGrubEfi(loader, {
      earlyConfig: grubEarlyConfig(fatUuid(serial), "/EFI/BOOT/grub.cfg"),
      tmpDir: scratch,
      signal,
    });
    fat.push({ dest: EFI_BOOT_PATH, src: loader }, { dest: "EFI/BOOT/grub.cfg", src: cfg });
  }
  let content = extra;
  for (const f of fat) content += (await stat(f.src)).size;
  const sizeKiB = fatSizeFor(content, fat.length + 2);
  const image = path.join(scratch, `boot-${firmware}.fat`);
  await makeFatImage(image, sizeKiB, fat, {
    serial,
    label: firmware === "efi" ? "EFI" : "LINUXKIT",
    hiddenSectors: PARTITION_START_LBA,
    signal,
  });
  if (firmware === "bios") {
    const syslinux = await requireTool("syslinux", "syslinux");
    await runTool(syslinux, ["--install", image], {
      signal,
      purpose: "installing SYSLINUX into the boot partition",
    });
  }
  const head = await readHead(image, SECTOR_BYTES);
  return { path: image, bytes: sizeKiB * 1024, mbrType: fatPartitionType(head), serial };
}
