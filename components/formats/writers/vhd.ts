/**
 * `vhd` and `dynamic-vhd`: the `raw-bios` disk as a Microsoft VHD, fixed
 * (raw data + 512-byte footer, what Azure takes) or dynamic (sparse: footer
 * copy, dynamic header, block allocation table, data blocks, footer).
 * Both are called `<name>.vhd`, as in LinuxKit.
 *
 * qemu-img writes them (`-o subformat=fixed|dynamic,force_size=on`, so the
 * virtual size is exactly the disk's, a whole number of MiB, and the
 * footer says "qem2": readers take the footer size, not the CHS geometry).
 * Its footer carries the creation time and a random UUID; both are
 * replaced (time = the VHD epoch 2000-01-01, UUID derived from the content
 * hash) and the checksum recomputed, in every footer copy. The dynamic
 * header holds no time or id of its own (its parent fields are zero for a
 * disk without a parent), so it is left as qemu-img wrote it.
 */
import { open } from "node:fs/promises";
import { derivedUuid, uuidBytes } from "../blocks/disk-ids";
import { convertedDiskFormat, SMALLEST } from "../blocks/disk-format";
import type { RawDisk } from "../blocks/disk-image";

export const VHD_FOOTER_BYTES = 512;
export const VHD_DYNAMIC_HEADER_BYTES = 1024;
/** Seconds from the Unix epoch to the VHD epoch (2000-01-01T00:00:00Z). */
export const VHD_EPOCH_UNIX = 946684800;
/** The timestamp written in every footer: 0, i.e. the VHD epoch itself. */
export const VHD_FIXED_TIMESTAMP = 0;

export const VHD_DISK_TYPE = { FIXED: 2, DYNAMIC: 3, DIFFERENCING: 4 } as const;

/** A VHD footer, decoded. */
export interface VhdFooter {
  cookie: string;
  features: number;
  version: number;
  /** Offset of the dynamic header; 0xFFFFFFFFFFFFFFFF for fixed disks. */
  dataOffset: bigint;
  /** Seconds since 2000-01-01 UTC. */
  timestamp: number;
  creatorApp: string;
  creatorVersion: number;
  creatorHostOs: string;
  originalSize: bigint;
  currentSize: bigint;
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
  diskType: number;
  checksum: number;
  /** Lower-case hex, 32 digits. */
  uuid: string;
  savedState: number;
}

/** One's complement of the byte sum of `buf`, skipping the 4-byte checksum field at `checksumAt`. */
export function vhdChecksum(buf: Buffer, checksumAt: number): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i++) {
    if (i >= checksumAt && i < checksumAt + 4) continue;
    sum = (sum + (buf[i] as number)) >>> 0;
  }
  return ~sum >>> 0;
}

/** Decodes a footer; throws on a wrong cookie or checksum. */
export function parseVhdFooter(buf: Buffer): VhdFooter {
  if (buf.length !== VHD_FOOTER_BYTES)
    throw new Error(`a VHD footer is 512 bytes, not ${buf.length}`);
  const cookie = buf.toString("latin1", 0, 8);
  if (cookie !== "conectix") throw new Error(`no VHD footer (cookie ${JSON.stringify(cookie)})`);
  const footer: VhdFooter = {
    cookie,
    features: buf.readUInt32BE(8),
    version: buf.readUInt32BE(12),
    dataOffset: buf.readBigUInt64BE(16),
    timestamp: buf.readUInt32BE(24),
    creatorApp: buf.toString("latin1", 28, 32),
    creatorVersion: buf.readUInt32BE(32),
    creatorHostOs: buf.toString("latin1", 36, 40),
    originalSize: buf.readBigUInt64BE(40),
    currentSize: buf.readBigUInt64BE(48),
    cylinders: buf.readUInt16BE(56),
    heads: buf[58] as number,
    sectorsPerTrack: buf[59] as number,
    diskType: buf.readUInt32BE(60),
    checksum: buf.readUInt32BE(64),
    uuid: buf.toString("hex", 68, 84),
    savedState: buf[84] as number,
  };
  if (vhdChecksum(buf, 64) !== footer.checksum) throw new Error("VHD footer checksum mismatch");
  return footer;
}

/** A dynamic disk header, decoded. */
export interface VhdDynamicHeader {
  cookie: string;
  tableOffset: bigint;
  headerVersion: number;
  maxTableEntries: number;
  blockSize: number;
  checksum: number;
  parentUuid: string;
  parentTimestamp: number;
}

/** Decodes a dynamic header; throws on a wrong cookie or checksum. */
export function parseVhdDynamicHeader(buf: Buffer): VhdDynamicHeader {
  if (buf.length !== VHD_DYNAMIC_HEADER_BYTES)
    throw new Error("a VHD dynamic header is 1024 bytes");
  const cookie = buf.toString("latin1", 0, 8);
  if (cookie !== "cxsparse")
    throw new Error(`no VHD dynamic header (cookie ${JSON.stringify(cookie)})`);
  const header: VhdDynamicHeader = {
    cookie,
    tableOffset: buf.readBigUInt64BE(16),
    headerVersion: buf.readUInt32BE(24),
    maxTableEntries: buf.readUInt32BE(28),
    blockSize: buf.readUInt32BE(32),
    checksum: buf.readUInt32BE(36),
    parentUuid: buf.toString("hex", 40, 56),
    parentTimestamp: buf.readUInt32BE(56),
  };
  if (vhdChecksum(buf, 36) !== header.checksum)
    throw new Error("VHD dynamic header checksum mismatch");
  return header;
}

/** Sets a footer's timestamp and UUID (16 bytes) in place and recomputes its checksum. */
export function patchVhdFooter(buf: Buffer, timestamp: number, uuid: Buffer): void {
  parseVhdFooter(buf);
  if (uuid.length !== 16) throw new Error("a VHD UUID is 16 bytes");
  buf.writeUInt32BE(timestamp, 24);
  uuid.copy(buf, 68);
  buf.writeUInt32BE(vhdChecksum(buf, 64), 64);
}

/**
 * Rewrites the footer(s) of the VHD `file` in place: the one at the end
 * and, for a dynamic disk, its copy at offset 0.
 */
export async function makeVhdReproducible(
  file: string,
  uuid: Buffer,
  timestamp = VHD_FIXED_TIMESTAMP,
): Promise<void> {
  const fh = await open(file, "r+");
  try {
    const { size } = await fh.stat();
    if (size < VHD_FOOTER_BYTES) throw new Error(`${file} is too short for a VHD`);
    const footer = Buffer.alloc(VHD_FOOTER_BYTES);
    await fh.read(footer, 0, VHD_FOOTER_BYTES, size - VHD_FOOTER_BYTES);
    const decoded = parseVhdFooter(footer);
    patchVhdFooter(footer, timestamp, uuid);
    await fh.write(footer, 0, VHD_FOOTER_BYTES, size - VHD_FOOTER_BYTES);
    if (decoded.diskType !== VHD_DISK_TYPE.FIXED) {
      const copy = Buffer.alloc(VHD_FOOTER_BYTES);
      await fh.read(copy, 0, VHD_FOOTER_BYTES, 0);
      patchVhdFooter(copy, timestamp, uuid);
      if (!copy.equals(footer))
        throw new Error(`${file}: the footer copy at offset 0 differs from the footer`);
      await fh.write(copy, 0, VHD_FOOTER_BYTES, 0);
    }
  } finally {
    await fh.close();
  }
}

function patchFor(label: string) {
  return (file: string, disk: RawDisk): Promise<void> =>
    makeVhdReproducible(file, uuidBytes(derivedUuid(disk.boot.digest, label)));
}

export const vhdFormat = convertedDiskFormat({
  name: "vhd",
  file: (n) => `${n}.vhd`,
  firmware: "bios",
  sizing: SMALLEST,
  qemuFormat: "vpc",
  qemuOptions: "subformat=fixed,force_size=on",
  patch: patchFor("vhd-fixed-uuid"),
});

export const dynamicVhdFormat = convertedDiskFormat({
  name: "dynamic-vhd",
  file: (n) => `${n}.vhd`,
  firmware: "bios",
  sizing: SMALLEST,
  qemuFormat: "vpc",
  qemuOptions: "subformat=dynamic,force_size=on",
  patch: patchFor("vhd-dynamic-uuid"),
});
