/**
 * What the bootable ISO formats (`iso-bios`, `iso-efi`, `iso-efi-initrd`)
 * share: the identity of the boot payload (boot-payload.ts), finding the
 * boot loader files Debian installs, and running xorriso so that the same
 * inputs always give the same ISO bytes.
 *
 * Reproducibility: `-r` (uid/gid 0, normalised modes), every file and
 * directory dated {@link FIXED_EPOCH} (`--set_all_file_dates`), the volume
 * creation/modification date, boot catalog date and isohybrid MBR id all
 * taken from one "uuid" derived from the contents (`--modification-date`),
 * a fixed volume id, SOURCE_DATE_EPOCH for anything else xorriso would
 * stamp with "now", and files added in sorted order. xorriso zero-fills its
 * padding.
 */
import { createHash } from "node:crypto";
import { access } from "node:fs/promises";
import path from "node:path";
import { LinuxKitError } from "../../errors/errors";
import { publishOptions, writeAtomic } from "./atomic-file";
import { hashFile } from "./fat-image";
import { FIXED_EPOCH, runTool } from "./iso-tools";
import { requireTool } from "./tools";
import type { Artifact, BootPayload, FormatContext, ToolRequirement } from "./types";

/** The command every ISO format runs. */
export const XORRISO_TOOL: ToolRequirement = { command: "xorriso", debianPackage: "xorriso" };

/** Volume id of every ISO, as LinuxKit's (`-V LinuxKit`, upper-cased by ISO 9660 rules). */
export const ISO_VOLUME_ID = "LINUXKIT";

/**
 * The ISO formats' identity of a boot payload: sha256 over the kernel,
 * initrd and raw `boot/cmdline` digests (the seed of the volume date/UUID
 * and EFI FAT serial; the disk formats' `digest` is another formula).
 */
export function isoDigest(boot: BootPayload): string {
  return createHash("sha256")
    .update(`${boot.kernel.sha256}\n${boot.initrd.sha256}\n${boot.cmdlineSha256}\n`)
    .digest("hex");
}

/** The command line as the ISO loaders get it: every run of white space one space, trimmed. */
export function isoCmdline(boot: BootPayload): string {
  return boot.cmdline.replace(/\s+/g, " ").trim();
}

/** The first of `candidates` that exists, else TOOL_MISSING naming `debianPackage`. */
export async function requireFile(
  what: string,
  candidates: readonly string[],
  debianPackage: string,
): Promise<string> {
  for (const c of candidates) {
    try {
      await access(c);
      return c;
    } catch {
      // try the next place
    }
  }
  throw new LinuxKitError(
    "TOOL_MISSING",
    `${what} not found (looked in ${candidates.join(", ")}): install it with \`apt-get install ${debianPackage}\``,
    { hint: `run \`apt-get install ${debianPackage}\`` },
  );
}

/** ISOLINUX's El Torito loader (Debian package isolinux). */
export const ISOLINUX_BIN = ["/usr/lib/ISOLINUX/isolinux.bin", "/usr/share/syslinux/isolinux.bin"];
/** ISOLINUX's hybrid MBR, so the ISO also boots from a USB stick / disk under BIOS (package isolinux). */
export const ISOHDPFX_BIN = ["/usr/lib/ISOLINUX/isohdpfx.bin", "/usr/share/syslinux/isohdpfx.bin"];
/** The syslinux core module ISOLINUX 6 loads (package syslinux-common). */
export const LDLINUX_C32 = [
  "/usr/lib/syslinux/modules/bios/ldlinux.c32",
  "/usr/share/syslinux/ldlinux.c32",
];

/** One file to put in an ISO. */
export interface IsoFile {
  /** Absolute path inside the ISO, e.g. `/boot/kernel`. */
  dest: string;
  /** Host file. */
  src: string;
}

/** How an ISO boots. */
export interface IsoBootOptions {
  /** BIOS El Torito: ISOLINUX at `binPath` (a path in the ISO) with a boot info table, and the isohybrid MBR. */
  bios?: { binPath: string; catalogPath: string; hybridMbr: string };
  /** UEFI El Torito: the FAT image at `imagePath` (a path in the ISO), hidden from the directory tree. */
  efi?: { imagePath: string; catalogPath: string };
}

/** Options for {@link makeIso}. */
export interface MakeIsoOptions extends IsoBootOptions {
  files: readonly IsoFile[];
  /** 16 digits YYYYMMDDhhmmsscc (see isoVolumeUuid); GRUB's fs UUID of the ISO. */
  volumeUuid: string;
  signal?: AbortSignal;
}

function checkIsoPath(p: string): void {
  if (!/^\/[A-Za-z0-9_.\-/]+$/.test(p) || p.split("/").some((s) => s === "..") || p.endsWith("/"))
    throw new Error(`bad ISO path ${JSON.stringify(p)}`);
}

/**
 * Writes the ISO `outPath` (which must not exist) with xorriso's mkisofs
 * emulation. Returns its size and sha256.
 */
export async function makeIso(
  outPath: string,
  opts: MakeIsoOptions,
): Promise<{ size: number; sha256: string }> {
  const xorriso = await requireTool(XORRISO_TOOL.command, XORRISO_TOOL.debianPackage);
  if (!/^\d{16}$/.test(opts.volumeUuid)) throw new Error(`bad volume uuid ${opts.volumeUuid}`);
  const files = [...opts.files].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  for (const f of files) checkIsoPath(f.dest);
  const fixedDate = new Date(FIXED_EPOCH * 1000)
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.(\d\d)\dZ$/, "$1");
  const args = [
    "-as",
    "mkisofs",
    "-o",
    outPath,
    "-V",
    ISO_VOLUME_ID,
    "-sysid",
    "LINUX",
    "-A",
    "LINUXKIT",
    "-publisher",
    "",
    "-p",
    "",
    "-r",
    "-J",
    "-joliet-long",
    `--modification-date=${opts.volumeUuid}`,
    "--set_all_file_dates",
    fixedDate,
    "-graft-points",
  ];
  // graft-point syntax: '=' and '\' in names would need escaping; checkIsoPath excludes them.
  for (const f of files) args.push(`${f.dest.slice(1)}=${f.src}`);
  // libisofs orders file data by weight, and equal weights in an order of
  // its own that varies between runs: give every file its own weight, the
  // sorted paths first.
  files.forEach((f, i) => args.push("--sort-weight", String(files.length - i), f.dest));
  if (opts.bios) {
    args.push(
      "-b",
      opts.bios.binPath.slice(1),
      "-c",
      opts.bios.catalogPath.slice(1),
      "-no-emul-boot",
      "-boot-load-size",
      "4",
      "-boot-info-table",
      "-isohybrid-mbr",
      opts.bios.hybridMbr,
    );
  }
  if (opts.efi) {
    if (opts.bios) args.push("-eltorito-alt-boot");
    else args.push("-c", opts.efi.catalogPath.slice(1));
    const image = files.find((f) => f.dest === opts.efi?.imagePath);
    if (image === undefined)
      throw new Error(`EFI image ${opts.efi.imagePath} is not among the files`);
    // The FAT image stays out of the directory trees (its blocks are still there), as in LinuxKit.
    args.push(
      "-e",
      opts.efi.imagePath.slice(1),
      "-no-emul-boot",
      "-hide",
      image.src,
      "-hide-joliet",
      image.src,
    );
  }
  // The boot catalog is an El Torito detail, not a file anyone needs to see.
  if (opts.bios || opts.efi) args.push("--boot-catalog-hide");
  await runTool(xorriso, args, { signal: opts.signal, purpose: "writing the ISO image" });
  return hashFile(outPath, opts.signal);
}

/** Publishes the ISO built by `build(tmpPath)` as `<outputDir>/<fileName>` atomically. */
export async function publishIso(
  ctx: FormatContext,
  format: string,
  fileName: string,
  build: (tmpPath: string) => Promise<{ size: number; sha256: string }>,
): Promise<Artifact> {
  const dest = path.resolve(ctx.outputDir, fileName);
  const started = Date.now();
  const written = await writeAtomic(dest, build, publishOptions(ctx));
  ctx.log?.(
    `${fileName}: ${(written.size / 1048576).toFixed(1)} MiB ISO in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { format, path: dest, ...written };
}
