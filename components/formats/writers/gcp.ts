/**
 * `gcp`: `<name>.img.tar.gz`, what Google Compute Engine imports as an
 * image: a gzip'd tar in GNU "oldgnu" format (`tar --format=oldgnu -czf`,
 * as Google documents) holding one member, `disk.raw`, a raw disk whose
 * size is a whole number of GiB. The disk is the `raw-bios` one (MBR,
 * SYSLINUX, kernel + initrd on a FAT partition: GCE boots with SeaBIOS
 * from a virtio-scsi disk), `diskSizeMiB` rounded up to GiB, 1 GiB by
 * default (LinuxKit makes 1 GiB too).
 *
 * The tar and gzip are written here: one oldgnu header (mode 0644, owner
 * 0:0, mtime of `boot/kernel`), the disk, zero padding to the 10240-byte
 * record GNU tar uses, then gzip with mtime 0 and OS byte "Unix". The
 * member is not stored sparse: the zeros past the partition compress to
 * about 1 MB per GiB.
 */
import path from "node:path";
import { publishOptions, writeAtomic } from "../blocks/atomic-file";
import { bootTools, WHOLE_GIB } from "../blocks/disk-format";
import { buildRawDisk } from "../blocks/disk-image";
import { fileChunks, writeChunksToFile } from "../../tar/file-sink";
import { DEFAULT_GZIP_LEVEL, gzipChunks } from "../blocks/initrd";
import { withScratchDir } from "../blocks/scratch";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "gcp";
/** The member name GCE looks for. */
export const GCP_DISK_NAME = "disk.raw";
const BLOCK = 512;
/** GNU tar's default record: 20 blocks. */
export const TAR_RECORD = 20 * BLOCK;

/** One member of an oldgnu tar. */
export interface OldGnuMember {
  name: string;
  size: number;
  mode: number;
  /** Seconds since the Unix epoch. */
  mtime: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
}

function octal(value: number, width: number): string {
  // width includes the terminating NUL
  const digits = value.toString(8);
  if (digits.length > width - 1)
    throw new RangeError(`${value} needs more than ${width - 1} octal digits`);
  return `${digits.padStart(width - 1, "0")}\0`;
}

/**
 * A 12-byte numeric field: octal with a NUL when it fits in 11 digits
 * (below 8 GiB), else GNU's base-256 form (first byte 0x80, big-endian).
 */
export function encodeTarNumber12(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad tar number ${value}`);
  if (value < 8 ** 11) return Buffer.from(octal(value, 12), "latin1");
  const out = Buffer.alloc(12);
  out[0] = 0x80;
  let v = BigInt(value);
  for (let i = 11; i >= 1; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Decodes a 12-byte numeric field of either form. */
export function decodeTarNumber12(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let v = 0n;
    for (let i = 1; i < 12; i++) v = (v << 8n) | BigInt(field[i] ?? 0);
    return Number(v);
  }
  const text = field.toString("latin1").replace(/[\0 ].*$/s, "");
  return text === "" ? 0 : Number.parseInt(text, 8);
}

/** The 512-byte oldgnu header GNU tar (`--format=oldgnu`) writes for a regular file. */
export function oldGnuHeader(m: OldGnuMember): Buffer {
  const h = Buffer.alloc(BLOCK);
  const name = Buffer.from(m.name, "utf8");
  if (name.length === 0 || name.length > 100)
    throw new RangeError(`tar member name must be 1-100 bytes: ${m.name}`);
  name.copy(h, 0);
  h.write(octal(m.mode & 0o7777, 8), 100, "latin1");
  h.write(octal(m.uid ?? 0, 8), 108, "latin1");
  h.write(octal(m.gid ?? 0, 8), 116, "latin1");
  encodeTarNumber12(m.size).copy(h, 124);
  encodeTarNumber12(m.mtime).copy(h, 136);
  h.fill(0x20, 148, 156); // checksum field counts as spaces
  h.write("0", 156, "latin1"); // regular file
  h.write("ustar  \0", 257, "latin1"); // oldgnu magic + version
  h.write((m.uname ?? "").slice(0, 31), 265, "latin1");
  h.write((m.gname ?? "").slice(0, 31), 297, "latin1");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

/** A tar stream (as chunks) of the single file `src`, `size` bytes, named `member.name`. */
export async function* singleFileTar(
  member: OldGnuMember,
  src: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  yield oldGnuHeader(member);
  let copied = 0;
  for await (const chunk of fileChunks(src, { signal })) {
    copied += chunk.length;
    yield chunk;
  }
  if (copied !== member.size) throw new Error(`${src} changed size while being archived`);
  const dataPad = (BLOCK - (copied % BLOCK)) % BLOCK;
  const used = BLOCK + copied + dataPad + 2 * BLOCK;
  const recordPad = (TAR_RECORD - (used % TAR_RECORD)) % TAR_RECORD;
  yield Buffer.alloc(dataPad + 2 * BLOCK + recordPad);
}

export const gcpFormat: OutputFormat = {
  name: FORMAT,
  files: (n) => [`${n}.img.tar.gz`],
  requiredTools: bootTools("bios"),
  usesBootPayload: true,

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const dest = path.resolve(ctx.outputDir, `${ctx.name}.img.tar.gz`);
    const { signal } = ctx;
    const started = Date.now();
    const written = await withScratchDir(ctx.tmpDir, FORMAT, async (scratch) => {
      const raw = path.join(scratch, GCP_DISK_NAME);
      const disk = await buildRawDisk(ctx, scratch, raw, "bios", WHOLE_GIB);
      const member: OldGnuMember = {
        name: GCP_DISK_NAME,
        size: disk.size,
        mode: 0o644,
        mtime: disk.boot.kernelMtime,
      };
      return writeAtomic(
        dest,
        (tmp) =>
          writeChunksToFile(
            tmp,
            gzipChunks(
              singleFileTar(member, raw, signal),
              ctx.options.gzipLevel ?? DEFAULT_GZIP_LEVEL,
              signal,
            ),
            { signal },
          ),
        publishOptions(ctx),
      );
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    ctx.log?.(`  ${FORMAT}: ${(written.size / 1e6).toFixed(1)} MB in ${seconds} s`);
    return [{ format: FORMAT, path: dest, ...written }];
  },
};
