/**
 * GUID partition tables (UEFI 2.x chapter 5) written and read in
 * TypeScript: protective MBR, primary header at LBA 1, 128 entries of 128
 * bytes from LBA 2, and the backup entries and header at the end of the
 * disk, with their CRC32s. GUIDs come from the caller (derived from content
 * hashes), so the table is reproducible.
 */
import { protectiveMbr, SECTOR_BYTES } from "./mbr";

/** The EFI system partition type. */
export const GPT_TYPE_ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

/** Attribute bit 2: "legacy BIOS bootable", which LinuxKit's raw-efi sets on its ESP. */
export const GPT_ATTR_LEGACY_BIOS_BOOTABLE = 1n << 2n;

const SIGNATURE = "EFI PART";
const REVISION = 0x00010000;
const HEADER_BYTES = 92;
const ENTRY_COUNT = 128;
const ENTRY_BYTES = 128;
/** Sectors of the entry array: 128 × 128 bytes = 32 sectors. */
export const GPT_ENTRY_SECTORS = (ENTRY_COUNT * ENTRY_BYTES) / SECTOR_BYTES;
/** Sectors at the start (MBR, header, entries) and at the end (entries, header) a GPT takes. */
export const GPT_HEAD_SECTORS = 2 + GPT_ENTRY_SECTORS;
export const GPT_TAIL_SECTORS = 1 + GPT_ENTRY_SECTORS;

/** One partition. */
export interface GptPartition {
  /** Partition type GUID, e.g. {@link GPT_TYPE_ESP}. */
  typeGuid: string;
  /** This partition's unique GUID (its PARTUUID). */
  guid: string;
  firstLba: number;
  /** Last sector, inclusive. */
  lastLba: number;
  attributes: bigint;
  /** Up to 36 UTF-16 code units. */
  name: string;
}

/** A whole table. */
export interface Gpt {
  /** Sectors on the disk: the backup header goes in the last one. */
  totalSectors: number;
  diskGuid: string;
  partitions: GptPartition[];
}

/** The bytes a GPT puts on the disk: `head` at offset 0, `tail` at `tailOffset`. */
export interface EncodedGpt {
  head: Buffer;
  tail: Buffer;
  tailOffset: number;
}

// ---------------------------------------------------------------- CRC32

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 (IEEE 802.3, as zlib and UEFI compute it) of `data`, continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- GUIDs

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A GUID string in the on-disk (mixed-endian) byte order: the first three fields little-endian. */
export function guidToBytes(guid: string): Buffer {
  if (!GUID_RE.test(guid)) throw new Error(`not a GUID: ${guid}`);
  const hex = guid.replace(/-/g, "");
  const b = Buffer.from(hex, "hex");
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8, 16),
  ]);
}

/** The inverse of {@link guidToBytes}, upper case as UEFI tools print it. */
export function bytesToGuid(b: Buffer): string {
  const hex = Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8, 16),
  ]).toString("hex");
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ]
    .join("-")
    .toUpperCase();
}

// ---------------------------------------------------------------- writing

function encodeEntries(partitions: readonly GptPartition[]): Buffer {
  if (partitions.length > ENTRY_COUNT) throw new RangeError("too many GPT partitions");
  const entries = Buffer.alloc(ENTRY_COUNT * ENTRY_BYTES);
  partitions.forEach((p, i) => {
    const at = i * ENTRY_BYTES;
    const name = Buffer.from(p.name, "utf16le");
    if (name.length > 72) throw new RangeError(`GPT partition name too long: ${p.name}`);
    guidToBytes(p.typeGuid).copy(entries, at);
    guidToBytes(p.guid).copy(entries, at + 16);
    entries.writeBigUInt64LE(BigInt(p.firstLba), at + 32);
    entries.writeBigUInt64LE(BigInt(p.lastLba), at + 40);
    entries.writeBigUInt64LE(p.attributes, at + 48);
    name.copy(entries, at + 56);
  });
  return entries;
}

function encodeHeader(
  g: Gpt,
  myLba: number,
  alternateLba: number,
  entriesLba: number,
  entriesCrc: number,
): Buffer {
  const h = Buffer.alloc(SECTOR_BYTES);
  h.write(SIGNATURE, 0, "latin1");
  h.writeUInt32LE(REVISION, 8);
  h.writeUInt32LE(HEADER_BYTES, 12);
  h.writeBigUInt64LE(BigInt(myLba), 24);
  h.writeBigUInt64LE(BigInt(alternateLba), 32);
  h.writeBigUInt64LE(BigInt(GPT_HEAD_SECTORS), 40);
  h.writeBigUInt64LE(BigInt(g.totalSectors - GPT_TAIL_SECTORS - 1), 48);
  guidToBytes(g.diskGuid).copy(h, 56);
  h.writeBigUInt64LE(BigInt(entriesLba), 72);
  h.writeUInt32LE(ENTRY_COUNT, 80);
  h.writeUInt32LE(ENTRY_BYTES, 84);
  h.writeUInt32LE(entriesCrc, 88);
  h.writeUInt32LE(crc32(h.subarray(0, HEADER_BYTES)), 16);
  return h;
}

/**
 * The protective MBR, primary header and entries (`head`, for offset 0)
 * and the backup entries and header (`tail`, for the last 33 sectors).
 * Partitions must lie inside the usable area and not overlap.
 */
export function encodeGpt(g: Gpt): EncodedGpt {
  const last = g.totalSectors - 1;
  const firstUsable = GPT_HEAD_SECTORS;
  const lastUsable = g.totalSectors - GPT_TAIL_SECTORS - 1;
  if (lastUsable < firstUsable)
    throw new RangeError(`a ${g.totalSectors}-sector disk is too small for a GPT`);
  const sorted = [...g.partitions].sort((a, b) => a.firstLba - b.firstLba);
  sorted.forEach((p, i) => {
    if (p.firstLba < firstUsable || p.lastLba > lastUsable || p.lastLba < p.firstLba) {
      throw new RangeError(
        `GPT partition ${p.name} (${p.firstLba}-${p.lastLba}) is outside ${firstUsable}-${lastUsable}`,
      );
    }
    const prev = sorted[i - 1];
    if (prev !== undefined && prev.lastLba >= p.firstLba)
      throw new RangeError("GPT partitions overlap");
  });
  const entries = encodeEntries(g.partitions);
  const entriesCrc = crc32(entries);
  const primary = encodeHeader(g, 1, last, 2, entriesCrc);
  const backup = encodeHeader(g, last, 1, last - GPT_ENTRY_SECTORS, entriesCrc);
  return {
    head: Buffer.concat([protectiveMbr(g.totalSectors), primary, entries]),
    tail: Buffer.concat([entries, backup]),
    tailOffset: (last - GPT_ENTRY_SECTORS) * SECTOR_BYTES,
  };
}

// ---------------------------------------------------------------- reading

/** A header as read back, with its CRCs checked. */
export interface GptHeader {
  myLba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entryBytes: number;
  partitions: GptPartition[];
}

/**
 * Parses the header in `headerSector` and its entry array `entries`;
 * throws when a signature, size or CRC32 is wrong. Empty entries are left out.
 */
export function parseGptHeader(headerSector: Buffer, entries: Buffer): GptHeader {
  if (headerSector.toString("latin1", 0, 8) !== SIGNATURE) throw new Error("no GPT signature");
  const size = headerSector.readUInt32LE(12);
  if (size !== HEADER_BYTES || headerSector.readUInt32LE(8) !== REVISION) {
    throw new Error(`unexpected GPT header size ${size} or revision`);
  }
  const copy = Buffer.from(headerSector.subarray(0, size));
  const stored = copy.readUInt32LE(16);
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== stored) throw new Error("GPT header CRC32 mismatch");
  const entryCount = headerSector.readUInt32LE(80);
  const entryBytes = headerSector.readUInt32LE(84);
  const array = entries.subarray(0, entryCount * entryBytes);
  if (array.length !== entryCount * entryBytes) throw new Error("GPT entry array truncated");
  if (crc32(array) !== headerSector.readUInt32LE(88))
    throw new Error("GPT entry array CRC32 mismatch");
  const partitions: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    const e = array.subarray(i * entryBytes, (i + 1) * entryBytes);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    partitions.push({
      typeGuid: bytesToGuid(e.subarray(0, 16)),
      guid: bytesToGuid(e.subarray(16, 32)),
      firstLba: Number(e.readBigUInt64LE(32)),
      lastLba: Number(e.readBigUInt64LE(40)),
      attributes: e.readBigUInt64LE(48),
      name: e.toString("utf16le", 56, 128).replace(/\0+$/, ""),
    });
  }
  return {
    myLba: Number(headerSector.readBigUInt64LE(24)),
    alternateLba: Number(headerSector.readBigUInt64LE(32)),
    firstUsableLba: Number(headerSector.readBigUInt64LE(40)),
    lastUsableLba: Number(headerSector.readBigUInt64LE(48)),
    diskGuid: bytesToGuid(headerSector.subarray(56, 72)),
    entriesLba: Number(headerSector.readBigUInt64LE(72)),
    entryCount,
    entryBytes,
    partitions,
  };
}
