/**
 * The kernel, its command line and the CPU microcode travel in the root
 * filesystem tar as `boot/kernel`, `boot/cmdline` and `boot/ucode.cpio`.
 * Formats that boot with a separate kernel and initrd pull them out while
 * scanning the tar, and leave `boot/` out of the initrd the way LinuxKit
 * does (initrd/initrd.go, CopySplitTar).
 */
import { LinuxKitError } from "../../errors/errors";
import { writeChunksToFile, type WrittenFile } from "../../tar/file-sink";
import { scanTar, type TarScan } from "../../tar/tar-scan";
import type { TarReadOptions } from "../../tar/tar-read";
import { rootfsReader, type RootfsReader } from "../../tar/rootfs-entries";

export const BOOT_KERNEL = "boot/kernel";
export const BOOT_CMDLINE = "boot/cmdline";
export const BOOT_UCODE = "boot/ucode.cpio";

/** Longest `boot/cmdline` accepted, in bytes (kernels take a few KiB at most). */
export const MAX_CMDLINE_BYTES = 64 * 1024;

/**
 * True for everything below `boot/`, which LinuxKit never puts in an
 * initrd. The `boot` directory itself is kept, as LinuxKit keeps it (its
 * tar names it `boot`, which does not match the `boot/` prefix), so the
 * booted system has an empty `/boot`.
 */
export function isBootFile(name: string): boolean {
  return name.startsWith("boot/");
}

/** Where to put what {@link splitBootFiles} finds. */
export interface BootFileTargets {
  /** File to write `boot/kernel` to. */
  kernelPath: string;
  /** File to write `boot/ucode.cpio` to, if there is one. */
  ucodePath: string;
}

/** What {@link splitBootFiles} found. */
export interface BootFiles {
  /** Size and digest of the kernel written to `kernelPath`. */
  kernel: WrittenFile;
  /** mtime of `boot/kernel` in the tar, seconds since the epoch. */
  kernelMtime: number;
  /** `boot/cmdline` exactly (LinuxKit writes no trailing newline); empty if absent. */
  cmdline: Buffer;
  /** Bytes written to `ucodePath`, or undefined when the image has no microcode. */
  ucodeSize?: number;
  /** The hard-link scan of the tar, with `boot/` left out, for the cpio writer. */
  scan: TarScan;
}

async function readSmall(
  body: AsyncIterable<Buffer>,
  limit: number,
  name: string,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      throw new LinuxKitError("BUILD", `${name} is larger than ${limit} bytes`, {
        hint: "shorten kernel.cmdline",
      });
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

/** What {@link scanBootFiles} found; the kernel is copied when asked. */
export interface ScannedBootFiles extends Omit<BootFiles, "kernel"> {
  /** Copies `boot/kernel` to the kernel target (once) and measures it. */
  writeKernel(): Promise<WrittenFile>;
}

/**
 * Like {@link splitBootFiles}, but from a reader whose bodies can still be
 * read after the scan moved past them ({@link RootfsReader.bodiesStay}),
 * and leaving the kernel copy for later, so the caller can run it while
 * the initrd is made.
 */
export async function scanBootFiles(
  rootfs: RootfsReader,
  targets: BootFileTargets,
  opts: TarReadOptions = {},
): Promise<ScannedBootFiles> {
  if (rootfs.bodiesStay !== true) {
    const split = await splitBootFiles(rootfs, targets, opts);
    return { ...split, writeKernel: () => Promise.resolve(split.kernel) };
  }
  let kernelBody: AsyncIterable<Buffer> | undefined;
  const found = await scanBoot(rootfs, targets, opts, async (body) => {
    kernelBody = body;
  });
  let written: Promise<WrittenFile> | undefined;
  return {
    ...found,
    writeKernel: () =>
      (written ??= writeChunksToFile(targets.kernelPath, kernelBody!, { signal: opts.signal })),
  };
}

/**
 * Scans the root filesystem (a tar file path, or a {@link RootfsReader})
 * once: copies `boot/kernel` and `boot/ucode.cpio` to the
 * target files, reads `boot/cmdline`, and counts hard links for the initrd.
 * Fails with a BUILD error if there is no `boot/kernel`.
 */
export async function splitBootFiles(
  source: string | RootfsReader,
  targets: BootFileTargets,
  opts: TarReadOptions = {},
): Promise<BootFiles> {
  let kernel: WrittenFile | undefined;
  const found = await scanBoot(rootfsReader(source), targets, opts, async (body) => {
    kernel = await writeChunksToFile(targets.kernelPath, body, { signal: opts.signal });
  });
  return { ...found, kernel: kernel! };
}

/** The scan both share; `onKernel` gets `boot/kernel`'s body during it. */
async function scanBoot(
  rootfs: RootfsReader,
  targets: BootFileTargets,
  opts: TarReadOptions,
  onKernel: (body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<Omit<BootFiles, "kernel">> {
  let sawKernel = false;
  let kernelMtime = 0;
  let cmdline: Buffer = Buffer.alloc(0);
  let ucodeSize: number | undefined;
  const scan = await scanTar(rootfs, {
    ...opts,
    skip: isBootFile,
    capture(h) {
      if (h.type !== "file") return undefined;
      switch (h.name) {
        case BOOT_KERNEL:
          kernelMtime = h.mtime;
          sawKernel = true;
          return onKernel;
        case BOOT_CMDLINE:
          return async (body) => {
            cmdline = await readSmall(body, MAX_CMDLINE_BYTES, BOOT_CMDLINE);
          };
        case BOOT_UCODE:
          return async (body) => {
            ucodeSize = (await writeChunksToFile(targets.ucodePath, body, { signal: opts.signal }))
              .size;
          };
        default:
          return undefined;
      }
    },
  });
  if (!sawKernel) {
    throw new LinuxKitError(
      "BUILD",
      `the root filesystem has no ${BOOT_KERNEL}, so there is nothing to boot`,
      {
        file: rootfs.file,
        hint: "add a `kernel:` section to the YAML, or choose the `tar` format",
      },
    );
  }
  return { kernelMtime, cmdline, ucodeSize, scan };
}
