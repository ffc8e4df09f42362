/**
 * `kernel+squashfs`: `<name>-kernel`, `<name>-squashfs.img` and
 * `<name>-cmdline`, as LinuxKit's outputKernelSquashFS: the kernel and its
 * command line beside a squashfs of the root filesystem without `boot/`
 * (the `boot` directory itself is kept, as in the initrd). As with
 * `kernel+initrd`, `<name>-cmdline` is written even when empty.
 *
 * How, without privileges: the build tar is re-streamed without `boot/...`
 * into `mksquashfs - OUT -tar` (squashfs-tools' tar reader, in Debian's
 * 4.5.1 as a backport and upstream from 4.6), which takes names, modes,
 * owners, symlinks, hard links, FIFOs and device nodes straight from the
 * tar headers: nothing is extracted to disk, no root needed.
 *
 * Reproducible: fixed compressor and block size, `-noappend`, no xattrs,
 * `-mkfs-time` and `-all-time` {@link FIXED_EPOCH}. File mtimes are NOT
 * kept: in squashfs-tools 4.5.1's tar mode the root directory gets the
 * wall-clock time and `-root-time` is ignored, so the only way to a
 * reproducible image is one time for everything (SOURCE_DATE_EPOCH has
 * the same effect there). The root directory's mode comes from the tar's
 * root entry (`-root-mode`, default 0755); its owner is always 0:0
 * (`-root-uid`/`-root-gid` are ignored in that tar mode too).
 *
 * Booting: the kernel is meant to mount the image as its root
 * (e.g. `root=/dev/vda`), which needs squashfs and the disk driver built
 * into the kernel, as LinuxKit's kernels have. Debian's cloud kernel has
 * both only as modules, so it cannot mount this root without an
 * initramfs; no boot test is done here for that reason.
 */
import { spawn } from "node:child_process";
import { LinuxKitError } from "../../errors/errors";
import { isBootFile } from "../blocks/boot-files";
import { hashFile } from "../blocks/fat-image";
import { FIXED_EPOCH, toolEnv } from "../blocks/iso-tools";
import { writeKernelAndRoot } from "../blocks/kernel-root";
import { readTarEntries } from "../../tar/tar-read";
import { tarOfEntries, type AddTarEntry } from "../../tar/tar-write";
import { requireTool } from "../blocks/tools";
import type { Artifact, FormatContext, OutputFormat, ToolRequirement } from "../blocks/types";

const FORMAT = "kernel+squashfs";

export const MKSQUASHFS_TOOL: ToolRequirement = {
  command: "mksquashfs",
  debianPackage: "squashfs-tools",
};

/** The fixed mksquashfs options (besides the root mode). */
export const MKSQUASHFS_OPTIONS: readonly string[] = [
  "-tar",
  "-no-strip",
  "-noappend",
  "-reproducible",
  "-comp",
  "gzip",
  "-Xcompression-level",
  "9",
  "-b",
  "131072",
  "-no-xattrs",
  "-mkfs-time",
  String(FIXED_EPOCH),
  "-all-time",
  String(FIXED_EPOCH),
  "-exit-on-error",
  "-quiet",
  "-no-progress",
];

/** What {@link rootfsTarWithoutBoot} saw. */
export interface RootEntryInfo {
  /** Mode of the tar's root entry, if it has one. */
  rootMode?: number;
  entries: number;
}

/**
 * Adds every entry of `tarPath` but the root entry and anything under
 * `boot/` to the tar being written.
 */
async function rootfsTarWithoutBoot(
  tarPath: string,
  add: AddTarEntry,
  info: RootEntryInfo,
  signal?: AbortSignal,
): Promise<void> {
  for await (const { header: h, body } of readTarEntries(tarPath, { signal })) {
    if (h.name === "") {
      if (h.type === "directory") info.rootMode = h.mode;
      continue;
    }
    if (isBootFile(h.name)) continue;
    info.entries++;
    await add(h, body as AsyncIterable<Buffer>);
  }
}

/**
 * Writes the squashfs of the root filesystem in `tarPath` (without
 * `boot/`) to `outPath` with mksquashfs reading the tar on its stdin.
 */
export async function makeRootSquashfs(
  tarPath: string,
  outPath: string,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string; entries: number }> {
  const mksquashfs = await requireTool(MKSQUASHFS_TOOL.command, MKSQUASHFS_TOOL.debianPackage);
  // The root mode must be on the command line before the tar is read: peek at the first entry.
  let rootMode = 0o755;
  for await (const { header: h } of readTarEntries(tarPath, { signal })) {
    if (h.name === "" && h.type === "directory") rootMode = h.mode;
    break;
  }
  const args = [
    "-",
    outPath,
    ...MKSQUASHFS_OPTIONS,
    "-root-mode",
    (rootMode & 0o7777).toString(8).padStart(4, "0"),
  ];
  const info: RootEntryInfo = { entries: 0 };
  // SOURCE_DATE_EPOCH (which toolEnv sets) cannot be combined with -mkfs-time/-all-time.
  const env = toolEnv();
  delete env.SOURCE_DATE_EPOCH;
  const child = spawn(mksquashfs, args, {
    env,
    stdio: ["pipe", "pipe", "pipe"],
    signal,
  });
  let output = "";
  const keep = (c: Buffer): void => {
    output = (output + c.toString("utf8")).slice(-8192);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<number | string>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, sig) => resolve(code ?? sig ?? "unknown"));
  });
  const tar = tarOfEntries((add) => rootfsTarWithoutBoot(tarPath, add, info, signal));
  // Feeding errors are reported through `fed`; a closed stdin through the exit status.
  tar.stream.on("error", () => undefined);
  const piped = new Promise<void>((resolve) => {
    // An early exit of mksquashfs shows up as EPIPE here; its exit status tells why.
    child.stdin.on("error", () => resolve());
    tar.stream.pipe(child.stdin).on("finish", () => resolve());
  });
  const fed = tar.fed.catch((err: unknown) => {
    child.kill();
    throw err;
  });
  const [exit, feeding] = await Promise.allSettled([exited, fed, piped]);
  signal?.throwIfAborted();
  if (exit.status === "rejected") throw exit.reason;
  const status = exit.value;
  // A failing mksquashfs stops reading, which breaks the feeding: its own message tells why.
  if (status === 0 && feeding.status === "rejected") throw feeding.reason;
  if (status !== 0) {
    const shown = [mksquashfs, ...args].join(" ");
    const detail = output.trim().split("\n").slice(-8).join("\n");
    throw new LinuxKitError(
      "BUILD",
      `writing the root filesystem squashfs: \`${shown}\` failed (${
        typeof status === "number" ? `exit status ${status}` : `killed by ${status}`
      })${detail ? `:\n${detail}` : ""}`,
      { hint: "check the tool's message above; the output directory may be out of space" },
    );
  }
  return { ...(await hashFile(outPath, signal)), entries: info.entries };
}

export const kernelSquashfsFormat: OutputFormat = {
  name: FORMAT,
  readsRootfsTar: true,
  files: (name) => [`${name}-kernel`, `${name}-squashfs.img`, `${name}-cmdline`],
  requiredTools: [MKSQUASHFS_TOOL],

  async write(ctx: FormatContext): Promise<Artifact[]> {
    await requireTool(MKSQUASHFS_TOOL.command, MKSQUASHFS_TOOL.debianPackage);
    return writeKernelAndRoot(ctx, FORMAT, this.files(ctx.name), async (_scratch, tmp) => {
      const squash = await makeRootSquashfs(ctx.rootfsTarPath, tmp, ctx.signal);
      return {
        size: squash.size,
        sha256: squash.sha256,
        describe: `${(squash.size / 1048576).toFixed(1)} MiB squashfs of ${squash.entries} entries`,
      };
    });
  },
};
