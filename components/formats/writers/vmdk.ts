/**
 * `vmdk`: `<name>.vmdk`, the `raw-bios` disk as a stream-optimized VMDK
 * (compressed grains, one file, hardware version 6, LSI Logic adapter), as
 * LinuxKit's mkimage-vmdk makes it with
 * `qemu-img convert -O vmdk -o adapter_type=lsilogic,subformat=streamOptimized,compat6`.
 *
 * qemu-img's embedded descriptor carries a random content id (`CID=`) and
 * the name of the file it wrote (the extent line); the conversion writes a
 * file with the artifact's own name, and the CID is replaced by one
 * derived from the content hash. Grains are deflated by zlib, so the rest
 * depends only on the data.
 */
import { open } from "node:fs/promises";
import { derivedU32 } from "../blocks/disk-ids";
import { convertedDiskFormat, SMALLEST } from "../blocks/disk-format";
import type { RawDisk } from "../blocks/disk-image";

/** "KDMV", the sparse-extent magic, read little-endian. */
export const VMDK_MAGIC = 0x564d444b;

/** The fields of a sparse extent header this module uses. */
export interface VmdkHeader {
  version: number;
  flags: number;
  /** Virtual size in sectors. */
  capacity: bigint;
  grainSize: bigint;
  descriptorOffset: bigint;
  descriptorSize: bigint;
  gdOffset: bigint;
  compressAlgorithm: number;
}

/** Decodes the sparse extent header in the first sector; throws without the magic. */
export function parseVmdkHeader(sector: Buffer): VmdkHeader {
  if (sector.length < 512 || sector.readUInt32LE(0) !== VMDK_MAGIC)
    throw new Error("no VMDK sparse extent header");
  return {
    version: sector.readUInt32LE(4),
    flags: sector.readUInt32LE(8),
    capacity: sector.readBigUInt64LE(12),
    grainSize: sector.readBigUInt64LE(20),
    descriptorOffset: sector.readBigUInt64LE(28),
    descriptorSize: sector.readBigUInt64LE(36),
    gdOffset: sector.readBigUInt64LE(56),
    compressAlgorithm: sector.readUInt16LE(77),
  };
}

/** A CID from the content hash: 8 hex digits, never ffffffff (which means "no parent"). */
export function vmdkCid(contentHash: string): string {
  const n = derivedU32(contentHash, "vmdk-cid");
  return (n === 0xffffffff ? 0xfffffffe : n).toString(16).padStart(8, "0");
}

/** The descriptor text with its `CID=` line set to `cid`; throws unless there is exactly one. */
export function replaceCid(descriptor: string, cid: string): string {
  if (!/^[0-9a-f]{8}$/.test(cid)) throw new Error(`bad VMDK CID ${cid}`);
  const lines = descriptor.split("\n");
  const at = lines.flatMap((l, i) => (/^CID=[0-9a-fA-F]+$/.test(l) ? [i] : []));
  if (at.length !== 1)
    throw new Error(`expected one CID line in the VMDK descriptor, found ${at.length}`);
  lines[at[0] as number] = `CID=${cid}`;
  return lines.join("\n");
}

/** Reads the embedded descriptor of the VMDK `file` (text up to the first NUL). */
export async function readVmdkDescriptor(
  file: string,
): Promise<{ header: VmdkHeader; text: string }> {
  const fh = await open(file, "r");
  try {
    const sector = Buffer.alloc(512);
    await fh.read(sector, 0, 512, 0);
    const header = parseVmdkHeader(sector);
    const area = Buffer.alloc(Number(header.descriptorSize) * 512);
    await fh.read(area, 0, area.length, Number(header.descriptorOffset) * 512);
    const end = area.indexOf(0);
    return { header, text: area.toString("latin1", 0, end < 0 ? area.length : end) };
  } finally {
    await fh.close();
  }
}

/** Sets the CID in the embedded descriptor of the VMDK `file`, in place. */
export async function setVmdkCid(file: string, cid: string): Promise<void> {
  const { header, text } = await readVmdkDescriptor(file);
  if (header.descriptorOffset === 0n || header.descriptorSize === 0n) {
    throw new Error(`${file} has no embedded descriptor`);
  }
  const patched = Buffer.from(replaceCid(text, cid), "latin1");
  const area = Buffer.alloc(Number(header.descriptorSize) * 512);
  if (patched.length >= area.length) throw new Error("the VMDK descriptor does not fit its area");
  patched.copy(area);
  const fh = await open(file, "r+");
  try {
    await fh.write(area, 0, area.length, Number(header.descriptorOffset) * 512);
  } finally {
    await fh.close();
  }
}

export const vmdkFormat = convertedDiskFormat({
  name: "vmdk",
  file: (n) => `${n}.vmdk`,
  firmware: "bios",
  sizing: SMALLEST,
  qemuFormat: "vmdk",
  qemuOptions: "adapter_type=lsilogic,subformat=streamOptimized,compat6=on",
  keepName: true,
  patch: (file: string, disk: RawDisk) => setVmdkCid(file, vmdkCid(disk.boot.digest)),
});
