/**
 * The boot payload every bootable format puts on its medium: `boot/kernel`
 * as is, the initrd (microcode cpio first when the image has one, then the
 * gzip'd cpio of the root filesystem without `boot/`, the bytes the
 * `kernel+initrd` format publishes) and the command line, pulled out of the
 * root filesystem tar in one pass.
 *
 * Building the initrd is the slow part of every disk and ISO format, and
 * its bytes depend only on the tar and the gzip level, so a build makes it
 * once: the payload is written into a folder under `ctx.tmpDir` and
 * memoized per (tmpDir, rootfs tar, gzip level); later formats of the same
 * build (the pipeline gives each a fresh context but the same tmpDir and
 * tar) reuse the files after checking that they, and the tar, are
 * unchanged.
 *
 * Lifetime: {@link FormatContext} says a writer removes what it creates in
 * tmpDir. The shared folder is only left there when the rootfs tar itself
 * lives in tmpDir (as in the build pipeline): whoever owns that scratch
 * folder already removes an intermediate build file from it, and the
 * payload, derived from that tar, goes with it. Otherwise (a format run on
 * its own, as in tests) the payload is written into the caller's private
 * scratch folder and is not shared.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { splitBootFiles } from "./boot-files";
import { writeChunksToFile, type WrittenFile } from "../file-sink";
import { DEFAULT_GZIP_LEVEL, initrdChunks, initrdLogLine } from "./initrd";
import type { TarScan } from "../archive/tar-scan";
import type { FormatContext } from "../types";

/** Kernel, initrd and command line of an image, ready to put on a boot medium. */
export interface BootPayload {
  /** `boot/kernel`, byte for byte. */
  kernelPath: string;
  /** Microcode cpio (if any) + gzip'd cpio of the root filesystem without `boot/`. */
  initrdPath: string;
  /** The image's command line, newlines turned into spaces, trimmed. */
  cmdline: string;
  /** mtime of `boot/kernel` in the tar (seconds). */
  kernelMtime: number;
  /**
   * sha256 over the kernel, initrd and (normalised) command line: the seed
   * of every id the disk formats derive (GUIDs, FAT serials, VMDK CID...).
   */
  digest: string;
  /** Size and sha256 of the kernel file. */
  kernel: WrittenFile;
  /** Size and sha256 of the initrd file. */
  initrd: WrittenFile;
  /** `boot/cmdline` exactly as in the tar (no newline added; empty if absent). */
  cmdlineBytes: Buffer;
  /** Lower-case hex sha256 of {@link cmdlineBytes}. */
  cmdlineSha256: string;
}

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
    initrdChunks(ctx.rootfsTarPath, scan, {
      gzipLevel: ctx.options.gzipLevel,
      ucodePath: opts.ucodePath,
      signal,
    }),
    { signal },
  );
  ctx.log?.(initrdLogLine(written.size, ctx.options.gzipLevel, started));
  return written;
}

/** Writes the payload of `ctx` into the existing folder `dir`. */
async function writePayload(ctx: FormatContext, dir: string): Promise<BootPayload> {
  const { signal } = ctx;
  const kernelPath = path.join(dir, "kernel");
  const ucodePath = path.join(dir, "ucode.cpio");
  const initrdPath = path.join(dir, "initrd.img");
  const boot = await splitBootFiles(ctx.rootfsTarPath, { kernelPath, ucodePath }, { signal });
  const initrd = await writeInitrdFile(ctx, boot.scan, initrdPath, {
    ucodePath: boot.ucodeSize === undefined ? undefined : ucodePath,
  });
  if (boot.ucodeSize !== undefined) await rm(ucodePath, { force: true });
  const cmdline = cmdlineText(boot.cmdline);
  return {
    kernelPath,
    initrdPath,
    cmdline,
    kernelMtime: boot.kernelMtime,
    digest: diskDigest(boot.kernel.sha256, initrd.sha256, cmdline),
    kernel: boot.kernel,
    initrd,
    cmdlineBytes: boot.cmdline,
    cmdlineSha256: createHash("sha256").update(boot.cmdline).digest("hex"),
  };
}

/** Identity of the tar a payload was made from. */
interface TarStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

interface Shared {
  tar: TarStamp;
  payload: Promise<BootPayload>;
}

/** Payloads made in this process, by (tmpDir, tar, gzip level). */
const shared = new Map<string, Shared>();
/** Entries kept at most; the oldest go first (their folders belong to their builds). */
const MAX_SHARED = 16;

async function tarStamp(tarPath: string): Promise<TarStamp> {
  const s = await stat(tarPath);
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
}

function sameStamp(a: TarStamp, b: TarStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** True while both payload files exist with the sizes they were written with. */
async function stillThere(p: BootPayload): Promise<boolean> {
  try {
    const [k, i] = await Promise.all([stat(p.kernelPath), stat(p.initrdPath)]);
    return k.size === p.kernel.size && i.size === p.initrd.size;
  } catch {
    return false;
  }
}

/** True when `file` lies inside `dir`. */
function isInside(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file));
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** Makes a shared payload folder under tmpDir and fills it; removes it on failure. */
async function makeShared(ctx: FormatContext): Promise<BootPayload> {
  await mkdir(ctx.tmpDir, { recursive: true });
  const dir = await mkdtemp(path.join(ctx.tmpDir, "boot-payload-"));
  try {
    return await writePayload(ctx, dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The boot payload of `ctx`'s root filesystem. Shared by every format of a
 * build when the tar lives in `ctx.tmpDir` (see the module comment);
 * otherwise written into `scratch` (the caller's private folder, which it
 * removes), or into a new folder under tmpDir when no `scratch` is given.
 */
export async function bootPayload(ctx: FormatContext, scratch?: string): Promise<BootPayload> {
  if (scratch !== undefined && !isInside(ctx.rootfsTarPath, ctx.tmpDir)) {
    return writePayload(ctx, scratch);
  }
  const key = [
    path.resolve(ctx.tmpDir),
    path.resolve(ctx.rootfsTarPath),
    ctx.options.gzipLevel ?? DEFAULT_GZIP_LEVEL,
  ].join("\0");
  const tar = await tarStamp(ctx.rootfsTarPath);
  for (let attempt = 0; attempt < 3; attempt++) {
    const known = shared.get(key);
    if (known === undefined || !sameStamp(known.tar, tar)) break;
    try {
      const payload = await known.payload;
      ctx.signal?.throwIfAborted();
      if (await stillThere(payload)) {
        ctx.log?.(`  initrd: ${(payload.initrd.size / 1e6).toFixed(1)} MB, reused`);
        return payload;
      }
    } catch {
      // Another format's failure (or abort) is not ours: make our own.
      ctx.signal?.throwIfAborted();
    }
    // Replaced meanwhile by another format: look at that one.
    if (shared.get(key) === known) break;
  }
  // A stale folder (tar rewritten, files gone) stays for tmpDir's owner to remove.
  const entry: Shared = { tar, payload: makeShared(ctx) };
  shared.set(key, entry);
  while (shared.size > MAX_SHARED) shared.delete(shared.keys().next().value as string);
  entry.payload.catch(() => {
    if (shared.get(key) === entry) shared.delete(key);
  });
  return entry.payload;
}
