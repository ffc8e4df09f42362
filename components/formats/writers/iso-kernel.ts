/**
 * `kernel+iso`: `<name>-kernel`, `<name>-cmdline` and `<name>.iso`, as
 * LinuxKit's outputKernelISO: the kernel and its command line beside an
 * ISO 9660 image (Rock Ridge + Joliet, volume id LINUXKIT) holding the
 * root filesystem itself, without `boot/`. Nothing boots from the ISO: a
 * VM is given the kernel and the ISO as its CD, with `root=/dev/sr0` (the
 * kernel needs its CD-ROM and ISO 9660 drivers built in, as LinuxKit's
 * kernels have). As with `kernel+initrd`, `<name>-cmdline` is written
 * even when empty. `<name>.iso` is also iso-bios's file name (as in
 * LinuxKit): choose one of the two per output directory.
 *
 * How, without privileges: regular file contents are copied out of the tar
 * into scratch files (one per file; hard links share one, so they share
 * their data blocks in the ISO, as with LinuxKit's genisoimage), FIFOs are made with mkfifo, and
 * the whole tree is described to xorriso as commands (`-map`, `-mkdir`,
 * `-lns`, then `-chmod`/`-chown`/`-chgrp`/`-alter_date` per entry from the
 * tar headers), so modes, owners and times come from the tar, never from
 * the scratch files. Device nodes cannot be made without privileges and
 * are left out (LinuxKit images mount devtmpfs on /dev); the log says how
 * many.
 *
 * Reproducible: entries come in the tar's (sorted) order, every time is
 * the tar's (atime and ctime set to mtime), directories the tar does not
 * list get mode 0755, owner 0:0 and {@link FIXED_EPOCH}, the volume date is
 * derived from the content, and data blocks are ordered by weights.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { isBootFile } from "../blocks/boot-files";
import { hashFile } from "../blocks/fat-image";
import { writeChunksToFile } from "../../tar/file-sink";
import { isoVolumeUuid } from "../blocks/grub-efi";
import { ISO_VOLUME_ID, XORRISO_TOOL } from "../blocks/iso-common";
import { FIXED_EPOCH, runTool } from "../blocks/iso-tools";
import { writeKernelAndRoot } from "../blocks/kernel-root";
import { readTarEntries } from "../../tar/tar-read";
import { requireTool } from "../blocks/tools";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "kernel+iso";

/** A word for xorriso's option-file parser: double-quoted, every unsafe byte as `\xHH`. */
export function xorrisoWord(text: string): string {
  let out = '"';
  for (const b of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_./+,:=@%-]/.test(c) ? c : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `${out}"`;
}

interface Attrs {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** Files up to this size are copied with one write (most of a root filesystem). */
const SMALL_FILE = 1024 * 1024;

/**
 * Writes a tar entry's body to `dest` and returns its sha256. Small bodies
 * are read whole and written synchronously: a root filesystem is mostly
 * small files, and an asynchronous open/write/close per file is about ten
 * times slower (measured: 20,000 files, 4.6 s against 0.5 s); each write
 * blocks the event loop for well under a millisecond.
 */
async function copyBody(
  body: AsyncIterable<Buffer>,
  dest: string,
  size: number,
  signal?: AbortSignal,
): Promise<string> {
  if (size > SMALL_FILE) return (await writeChunksToFile(dest, body, { signal })).sha256;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  const bytes = Buffer.concat(chunks);
  writeFileSync(dest, bytes);
  return createHash("sha256").update(bytes).digest("hex");
}

/** What {@link describeTree} found. */
export interface IsoTreeScript {
  /** xorriso commands, one per line, for `-options_from_file`. */
  script: string;
  /** Regular files copied to scratch. */
  files: number;
  /** Device nodes left out. */
  skippedDevices: string[];
  /** sha256 over every header and file digest: the identity of the tree. */
  digest: string;
}

/**
 * Reads the root filesystem tar (without `boot/`) and writes each regular
 * file's contents to `dataDir/<n>`; returns the xorriso commands that build
 * the same tree in the ISO.
 */
export async function describeTree(
  tarPath: string,
  dataDir: string,
  signal?: AbortSignal,
): Promise<IsoTreeScript> {
  const mkfifo = await requireTool("mkfifo", "coreutils");
  await mkdir(dataDir, { recursive: true });
  const create: string[] = [];
  const attrs = new Map<string, Attrs>();
  const dataOf = new Map<string, string>();
  const madeDirs = new Set<string>([""]);
  const implied = new Set<string>();
  const skippedDevices: string[] = [];
  const symlinks = new Set<string>();
  /** ISO paths of the first name of each data file, in tar order. */
  const weighted: string[] = [];
  const identity = createHash("sha256");
  let n = 0;

  const ensureParents = (name: string): void => {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!madeDirs.has(dir)) {
        madeDirs.add(dir);
        implied.add(dir);
        create.push(`-mkdir ${xorrisoWord(`/${dir}`)}`);
      }
    }
  };

  for await (const { header: h, body } of readTarEntries(tarPath, { signal })) {
    if (isBootFile(h.name)) continue;
    const iso = `/${h.name}`;
    identity.update(
      JSON.stringify([h.name, h.type, h.mode, h.uid, h.gid, h.mtime, h.linkname, h.size]),
    );
    if (h.name !== "") ensureParents(h.name);
    switch (h.type) {
      case "directory":
        if (h.name !== "" && !madeDirs.has(h.name)) create.push(`-mkdir ${xorrisoWord(iso)}`);
        madeDirs.add(h.name);
        implied.delete(h.name);
        break;
      case "file": {
        const data = path.join(dataDir, String(n++));
        identity.update(await copyBody(body as AsyncIterable<Buffer>, data, h.size, signal));
        dataOf.set(h.name, data);
        weighted.push(iso);
        create.push(`-map ${xorrisoWord(data)} ${xorrisoWord(iso)}`);
        break;
      }
      case "link": {
        const data = dataOf.get(h.linkname);
        if (data === undefined) continue; // a link to something not in the ISO
        dataOf.set(h.name, data);
        create.push(`-map ${xorrisoWord(data)} ${xorrisoWord(iso)}`);
        break;
      }
      case "symlink":
        symlinks.add(h.name);
        create.push(`-lns ${xorrisoWord(h.linkname)} ${xorrisoWord(iso)}`);
        break;
      case "fifo": {
        const fifo = path.join(dataDir, `fifo-${n++}`);
        await runTool(mkfifo, [fifo], { signal });
        create.push(`-map ${xorrisoWord(fifo)} ${xorrisoWord(iso)}`);
        break;
      }
      case "character-device":
      case "block-device":
        skippedDevices.push(h.name);
        continue;
    }
    attrs.set(h.name, { mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime });
  }

  const lines = [...create];
  // libisofs orders file data by weight, then by the scratch files' inode
  // numbers (which differ from run to run): one weight per data file, in tar order.
  for (const [i, w] of weighted.entries())
    lines.push(`-find ${xorrisoWord(w)} -exec sort_weight ${weighted.length - i} --`);
  const setAttrs = (name: string, a: Attrs, symlink: boolean): void => {
    const p = xorrisoWord(name === "" ? "/" : `/${name}`);
    if (!symlink) lines.push(`-chmod 0${(a.mode & 0o7777).toString(8).padStart(4, "0")} ${p} --`);
    lines.push(`-chown ${a.uid} ${p} --`, `-chgrp ${a.gid} ${p} --`);
    lines.push(`-alter_date m =${a.mtime} ${p} --`);
  };
  const defaults: Attrs = { mode: 0o755, uid: 0, gid: 0, mtime: FIXED_EPOCH };
  if (!attrs.has("")) setAttrs("", defaults, false);
  for (const dir of [...implied].sort()) setAttrs(dir, defaults, false);
  for (const [name, a] of attrs) setAttrs(name, a, symlinks.has(name));
  return {
    script: `${lines.join("\n")}\n`,
    files: n,
    skippedDevices,
    digest: identity.digest("hex"),
  };
}

/** Writes the ISO of the tree `script` describes to `outPath` (which must not exist). */
export async function makeTreeIso(
  outPath: string,
  scriptPath: string,
  volumeUuid: string,
  signal?: AbortSignal,
): Promise<{ size: number; sha256: string }> {
  const xorriso = await requireTool(XORRISO_TOOL.command, XORRISO_TOOL.debianPackage);
  await runTool(
    xorriso,
    [
      "-no_rc",
      "-abort_on",
      "FAILURE",
      "-backslash_codes",
      "in_double_quotes",
      "-iso_rr_pattern",
      "off",
      "-disk_pattern",
      "off",
      "-follow",
      "off",
      "-outdev",
      outPath,
      "-rockridge",
      "on",
      "-joliet",
      "on",
      "-compliance",
      "joliet_long_names",
      // "on" would record hard links by the scratch files' inode numbers,
      // which differ from run to run; "off" numbers the nodes itself. Hard
      // links still share their data blocks (same scratch file), as with
      // LinuxKit's genisoimage.
      "-hardlinks",
      "off",
      "-acl",
      "off",
      "-xattr",
      "off",
      "-volid",
      ISO_VOLUME_ID,
      "-system_id",
      "LINUX",
      "-application_id",
      "LINUXKIT",
      "-volume_date",
      "uuid",
      volumeUuid,
      "-volume_date",
      "all_file_dates",
      "set_to_mtime",
      "-iso_nowtime",
      `=${FIXED_EPOCH}`,
      "-options_from_file",
      scriptPath,
      "-commit",
      "-end",
    ],
    { signal, purpose: "writing the root filesystem ISO" },
  );
  return hashFile(outPath, signal);
}

export const kernelIsoFormat: OutputFormat = {
  name: FORMAT,
  readsRootfsTar: true,
  files: (name) => [`${name}-kernel`, `${name}.iso`, `${name}-cmdline`],
  requiredTools: [XORRISO_TOOL, { command: "mkfifo", debianPackage: "coreutils" }],

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const { signal } = ctx;
    return writeKernelAndRoot(ctx, FORMAT, this.files(ctx.name), async (scratch, tmp) => {
      const tree = await describeTree(ctx.rootfsTarPath, path.join(scratch, "data"), signal);
      if (tree.skippedDevices.length > 0) {
        ctx.log?.(
          `  ${FORMAT}: ${tree.skippedDevices.length} device node(s) left out (${tree.skippedDevices.slice(0, 3).join(", ")}${tree.skippedDevices.length > 3 ? ", ..." : ""}): an unprivileged build cannot make them`,
        );
      }
      const script = path.join(scratch, "tree.xorriso");
      await writeFile(script, tree.script);
      const volumeUuid = isoVolumeUuid(
        createHash("sha256").update(`${FORMAT}\n${tree.digest}\n`).digest("hex"),
      );
      const iso = await makeTreeIso(tmp, script, volumeUuid, signal);
      return {
        ...iso,
        describe: `${(iso.size / 1048576).toFixed(1)} MiB ISO of ${tree.files} files`,
      };
    });
  },
};
