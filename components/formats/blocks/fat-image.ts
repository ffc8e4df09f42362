/**
 * Reproducible FAT file system images, made without mounting anything:
 * mtools (`mformat`, `mmd`, `mcopy`) writes straight into an image file.
 * Used for the EFI El Torito boot image of the ISO formats and for EFI
 * system partitions of the disk formats.
 *
 * Reproducibility: the volume serial is given by the caller (derive it
 * from a content hash with {@link fatSerialFromHash}), every timestamp is
 * {@link FIXED_EPOCH} (mtools honours SOURCE_DATE_EPOCH), directories are
 * created and files copied in sorted order, and the image starts as an
 * all-zero file, so the same inputs always give the same bytes.
 *
 * Requires mtools (`apt-get install mtools`); see {@link FAT_IMAGE_TOOLS}.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { LinuxKitError } from "../../errors/errors";
import type { WrittenFile } from "../../tar/file-sink";
import { runTool } from "./iso-tools";
import { requireTool } from "./tools";
import type { ToolRequirement } from "./types";

/** The commands {@link makeFatImage} runs, for an OutputFormat's `requiredTools`. */
export const FAT_IMAGE_TOOLS: readonly ToolRequirement[] = [
  { command: "mformat", debianPackage: "mtools" },
  { command: "mmd", debianPackage: "mtools" },
  { command: "mcopy", debianPackage: "mtools" },
];

/** One file to put in the image. */
export interface FatFile {
  /**
   * Path inside the image, `/`-separated and relative, e.g.
   * `EFI/BOOT/BOOTX64.EFI`. Parent directories are created as needed.
   * Names longer than 8.3 get VFAT long names.
   */
  dest: string;
  /** The host file to copy (its own mtime is ignored). */
  src: string;
}

/** Options for {@link makeFatImage}. */
export interface FatImageOptions {
  /** Volume serial number, 0..0xffffffff. Use {@link fatSerialFromHash} for a content-derived one. */
  serial: number;
  /** Volume label, up to 11 characters of A-Z 0-9 space _ -. Default: none ("NO NAME"). */
  label?: string;
  /** Force FAT32 (needs at least ~33 MiB). Default: mtools picks FAT12/16 by size. */
  fat32?: boolean;
  /**
   * Sectors before the file system on its disk (the BPB's hidden-sectors
   * field), i.e. the partition's start LBA when the image becomes a
   * partition. Default 0.
   */
  hiddenSectors?: number;
  signal?: AbortSignal;
}

/** A volume serial taken from the first 8 hex digits of a sha256 (or any hex digest). */
export function fatSerialFromHash(hexDigest: string): number {
  const head = hexDigest.slice(0, 8);
  if (!/^[0-9a-fA-F]{8}$/.test(head)) throw new Error(`not a hex digest: ${hexDigest}`);
  return Number.parseInt(head, 16);
}

/**
 * A size in KiB large enough for files totalling `contentBytes` bytes in
 * `fileCount` files (plus their directories): content rounded up to 4 KiB
 * clusters, 1/8 slack for FAT tables and directories, at least 1 MiB,
 * rounded up to whole MiB.
 */
export function fatSizeFor(contentBytes: number, fileCount: number): number {
  const clusters = Math.ceil(contentBytes / 4096) + 2 * fileCount + 16;
  const kib = clusters * 4;
  const withSlack = kib + Math.ceil(kib / 8) + 256;
  return Math.max(1024, Math.ceil(withSlack / 1024) * 1024);
}

function checkDest(dest: string): string[] {
  const parts = dest.split("/");
  if (
    dest.startsWith("/") ||
    parts.some((p) => p === "" || p === "." || p === ".." || /[\0\\:*?"<>|]/.test(p))
  ) {
    throw new Error(`bad FAT image path ${JSON.stringify(dest)}`);
  }
  return parts;
}

/**
 * Creates the FAT image `imagePath` (replacing any file there) of exactly
 * `sizeKiB` KiB holding `files`, and returns its size and sha256.
 *
 * Throws TOOL_MISSING when mtools is not installed, and a BUILD error when
 * the files do not fit or mtools fails.
 *
 * @example
 *   await makeFatImage("/tmp/efi.img", 4096,
 *     [{ dest: "EFI/BOOT/BOOTX64.EFI", src: "/tmp/grubx64.efi" }],
 *     { serial: fatSerialFromHash(sha256) });
 */
export async function makeFatImage(
  imagePath: string,
  sizeKiB: number,
  files: readonly FatFile[],
  opts: FatImageOptions,
): Promise<WrittenFile> {
  if (!Number.isInteger(sizeKiB) || sizeKiB < 64) throw new Error(`bad FAT size ${sizeKiB} KiB`);
  if (!Number.isInteger(opts.serial) || opts.serial < 0 || opts.serial > 0xffffffff)
    throw new Error(`bad FAT serial ${opts.serial}`);
  if (opts.label !== undefined && !/^[A-Z0-9 _-]{1,11}$/.test(opts.label))
    throw new Error(`bad FAT label ${JSON.stringify(opts.label)}`);
  const [mformat, mmd, mcopy] = (await Promise.all(
    FAT_IMAGE_TOOLS.map((t) => requireTool(t.command, t.debianPackage)),
  )) as [string, string, string];
  const { signal } = opts;

  const sorted = [...files].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  const dirs = new Set<string>();
  let contentBytes = 0;
  for (const [i, f] of sorted.entries()) {
    if (i > 0 && sorted[i - 1]?.dest.toLowerCase() === f.dest.toLowerCase())
      throw new Error(`${f.dest} given twice for one FAT image`);
    const parts = checkDest(f.dest);
    for (let n = 1; n < parts.length; n++) dirs.add(parts.slice(0, n).join("/"));
    contentBytes += (await stat(f.src)).size;
  }
  if (contentBytes > sizeKiB * 1024) {
    throw new LinuxKitError(
      "BUILD",
      `${contentBytes} bytes of files do not fit a ${sizeKiB} KiB FAT image`,
      { hint: "use a larger size (see fatSizeFor)" },
    );
  }

  // A fresh all-zero file of the exact size: mformat only writes the
  // metadata, so nothing stale survives in the free space.
  const fh = await open(imagePath, "w", 0o644);
  try {
    await fh.truncate(sizeKiB * 1024);
  } finally {
    await fh.close();
  }

  const formatArgs = [
    "-i",
    imagePath,
    "-T",
    String(sizeKiB * 2),
    "-h",
    "64",
    "-s",
    "32",
    "-N",
    opts.serial.toString(16).padStart(8, "0"),
    "-H",
    String(opts.hiddenSectors ?? 0),
  ];
  if (opts.fat32) formatArgs.push("-F");
  if (opts.label !== undefined) formatArgs.push("-v", opts.label);
  formatArgs.push("::");
  await runTool(mformat, formatArgs, { signal, purpose: "formatting a FAT image" });

  const dirList = [...dirs].sort();
  if (dirList.length > 0) {
    await runTool(mmd, ["-i", imagePath, ...dirList.map((d) => `::/${d}`)], {
      signal,
      purpose: "making directories in a FAT image",
    });
  }
  for (const f of sorted) {
    await runTool(mcopy, ["-i", imagePath, "-o", f.src, `::/${f.dest}`], {
      signal,
      purpose: `copying ${f.dest} into a FAT image`,
    });
  }
  return hashFile(imagePath, signal);
}

/** Size and sha256 of an existing file. */
export async function hashFile(p: string, signal?: AbortSignal): Promise<WrittenFile> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(p, { highWaterMark: 1024 * 1024, signal })) {
    const b = chunk as Buffer;
    hash.update(b);
    size += b.length;
  }
  return { size, sha256: hash.digest("hex") };
}
