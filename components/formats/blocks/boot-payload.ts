/**
 * The boot payload every bootable format puts on its medium: `boot/kernel`
 * as is, the initrd (microcode cpio first when the image has one, then the
 * gzip'd cpio of the root filesystem without `boot/`, the bytes the
 * `kernel+initrd` format publishes) and the command line, pulled out of the
 * root filesystem tar in one pass.
 *
 * Building the initrd is the slow part of every disk and ISO format, so a
 * build makes the payload once, after the root filesystem, and hands it to
 * every format that boots it ({@link FormatContext.boot}); a format run on
 * its own makes its own in its scratch folder. Nothing is cached between
 * builds or kept in module state.
 */
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { scanBootFiles } from "./boot-files";
import { writeChunksToFile, type WrittenFile } from "../../tar/file-sink";
import { initrdChunks, initrdLogLine } from "./initrd";
import type { TarScan } from "../../tar/tar-scan";
import { tarFileRootfs, type RootfsReader } from "../../tar/rootfs-entries";
import type { BootPayload, FormatContext } from "./types";

/** The disk formats' content digest (kept as it was: their ids derive from it). */
export function diskDigest(kernelSha256: string, initrdSha256: string, cmdline: string): string {
  return createHash("sha256")
    .update(`kernel ${kernelSha256}\ninitrd ${initrdSha256}\ncmdline ${cmdline}\n`)
    .digest("hex");
}

/** `boot/cmdline` as one line: newlines turned into spaces, trimmed. */
export function cmdlineText(bytes: Buffer): string {
  return bytes
    .toString("utf8")
    .replace(/[\r\n]+/g, " ")
    .trim();
}

/** Options for {@link writeInitrdFile}. */
export interface InitrdFileOptions {
  /** Microcode cpio to put first, uncompressed. */
  ucodePath?: string;
}

/**
 * The root filesystem of `ctx` to read entries from: the build's spool
 * when the caller hands it over ({@link FormatContext.rootfs}), else the tar.
 */
export function rootfsOf(ctx: FormatContext): RootfsReader {
  return ctx.rootfs ?? tarFileRootfs(ctx.rootfsTarPath);
}

/**
 * Writes the initrd of `ctx`'s root filesystem (scanned as `scan`) to
 * `dest` and logs the usual line about it.
 */
export async function writeInitrdFile(
  ctx: FormatContext,
  scan: TarScan,
  dest: string,
  opts: InitrdFileOptions = {},
): Promise<WrittenFile> {
  const { signal } = ctx;
  const started = Date.now();
  const written = await writeChunksToFile(
    dest,
    initrdChunks(rootfsOf(ctx), scan, {
      gzipLevel: ctx.options.gzipLevel,
      ucodePath: opts.ucodePath,
      signal,
    }),
    { signal },
  );
  ctx.log?.(initrdLogLine(written.size, ctx.options.gzipLevel, started));
  return written;
}

/**
 * Writes the boot payload of `ctx`'s root filesystem into the existing
 * folder `dir` (`kernel`, `initrd.img`): one pass over the headers (and
 * the kernel's bytes), one over everything for the initrd.
 */
export async function makeBootPayload(ctx: FormatContext, dir: string): Promise<BootPayload> {
  const { signal } = ctx;
  const kernelPath = path.join(dir, "kernel");
  const ucodePath = path.join(dir, "ucode.cpio");
  const initrdPath = path.join(dir, "initrd.img");
  // The kernel is copied while the initrd is made when the root
  // filesystem allows it (the build's spool): the initrd keeps the cores
  // busy compressing, the copy is mostly I/O.
  const boot = await scanBootFiles(rootfsOf(ctx), { kernelPath, ucodePath }, { signal });
  // Both settle before anything else happens: a failure of one must not
  // leave the other reading a spool the caller is about to close.
  const [initrdDone, kernelDone] = await Promise.allSettled([
    writeInitrdFile(ctx, boot.scan, initrdPath, {
      ucodePath: boot.ucodeSize === undefined ? undefined : ucodePath,
    }),
    boot.writeKernel(),
  ]);
  if (initrdDone.status === "rejected") throw initrdDone.reason;
  if (kernelDone.status === "rejected") throw kernelDone.reason;
  const initrd = initrdDone.value;
  const kernel = kernelDone.value;
  if (boot.ucodeSize !== undefined) await rm(ucodePath, { force: true });
  const cmdline = cmdlineText(boot.cmdline);
  return {
    kernelPath,
    initrdPath,
    cmdline,
    kernelMtime: boot.kernelMtime,
    digest: diskDigest(kernel.sha256, initrd.sha256, cmdline),
    kernel,
    initrd,
    cmdlineBytes: boot.cmdline,
    cmdlineSha256: createHash("sha256").update(boot.cmdline).digest("hex"),
    hasUcode: boot.ucodeSize !== undefined,
  };
}

/**
 * The boot payload a format writes its medium from: the one the caller made
 * for the whole build ({@link FormatContext.boot}), or else a new one
 * written into `scratch`, the format's private folder (removed with it).
 */
export async function bootPayloadFor(ctx: FormatContext, scratch: string): Promise<BootPayload> {
  return ctx.boot ?? makeBootPayload(ctx, scratch);
}
