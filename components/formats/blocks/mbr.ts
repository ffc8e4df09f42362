/**
 * The classic PC partition table (master boot record): 440 bytes of boot
 * code, a 32-bit disk signature, four 16-byte partition entries and the
 * 0x55AA signature, in sector 0. Written in TypeScript so a disk image's
 * first sector depends only on its inputs.
 */

/** Bytes per sector on every disk these formats write. */
export const SECTOR_BYTES = 512;

/** Room for boot code at the start of the MBR (before the disk signature). */
export const MBR_BOOT_CODE_BYTES = 440;

/** Partition type bytes used here. */
export const MBR_TYPE = {
  FAT12: 0x01,
  FAT16_LBA: 0x0e,
  FAT32_LBA: 0x0c,
  GPT_PROTECTIVE: 0xee,
} as const;

/** One primary partition. */
export interface MbrPartition {
  /** The "active" flag (0x80) SeaBIOS-era boot code looks for. */
  bootable: boolean;
  /** Partition type byte, e.g. {@link MBR_TYPE}.FAT16_LBA. */
  type: number;
  /** First sector (LBA). */
  firstLba: number;
  /** Length in sectors. */
  sectors: number;
}

/** The contents of sector 0. */
export interface Mbr {
  /** Up to 440 bytes of boot code (zero-filled to 440). */
  bootCode: Buffer;
  /** The disk signature at offset 440 (Linux shows it as the disk identifier). */
  diskSignature: number;
  /** Up to four primary partitions, in slot order. */
  partitions: MbrPartition[];
}

const HEADS = 255;
const SECTORS_PER_TRACK = 63;

/**
 * The 3-byte CHS address of `lba` in the usual 255-head, 63-sector
 * translation; addresses past cylinder 1023 are written as the maximum
 * (FE FF FF), which tells every reader to use the LBA fields.
 */
export function chsAddress(lba: number): Buffer {
  const cylinder = Math.floor(lba / (HEADS * SECTORS_PER_TRACK));
  if (cylinder > 1023) return Buffer.from([0xfe, 0xff, 0xff]);
  const head = Math.floor(lba / SECTORS_PER_TRACK) % HEADS;
  const sector = (lba % SECTORS_PER_TRACK) + 1;
  return Buffer.from([head, ((cylinder >> 2) & 0xc0) | sector, cylinder & 0xff]);
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} ${value} does not fit in 32 bits`);
  }
}

/** The 512 bytes of an MBR. */
export function encodeMbr(mbr: Mbr): Buffer {
  if (mbr.bootCode.length > MBR_BOOT_CODE_BYTES) {
    throw new RangeError(`MBR boot code is ${mbr.bootCode.length} bytes, at most 440 fit`);
  }
  if (mbr.partitions.length > 4) throw new RangeError("an MBR holds at most four partitions");
  checkU32(mbr.diskSignature, "disk signature");
  const sector = Buffer.alloc(SECTOR_BYTES);
  mbr.bootCode.copy(sector, 0);
  sector.writeUInt32LE(mbr.diskSignature, 440);
  mbr.partitions.forEach((p, i) => {
    checkU32(p.firstLba, "partition start");
    checkU32(p.sectors, "partition length");
    if (p.sectors === 0) throw new RangeError("an MBR partition cannot be empty");
    if (!Number.isInteger(p.type) || p.type <= 0 || p.type > 0xff) {
      throw new RangeError(`bad MBR partition type ${p.type}`);
    }
    const at = 446 + 16 * i;
    sector[at] = p.bootable ? 0x80 : 0x00;
    chsAddress(p.firstLba).copy(sector, at + 1);
    sector[at + 4] = p.type;
    chsAddress(p.firstLba + p.sectors - 1).copy(sector, at + 5);
    sector.writeUInt32LE(p.firstLba, at + 8);
    sector.writeUInt32LE(p.sectors, at + 12);
  });
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** Reads an MBR back (empty slots are left out); throws without the 0x55AA signature. */
export function parseMbr(sector: Buffer): Mbr {
  if (sector.length < SECTOR_BYTES || sector[510] !== 0x55 || sector[511] !== 0xaa) {
    throw new Error("no MBR signature (55 AA) in sector 0");
  }
  const partitions: MbrPartition[] = [];
  for (let i = 0; i < 4; i++) {
    const at = 446 + 16 * i;
    const type = sector[at + 4] ?? 0;
    if (type === 0) continue;
    partitions.push({
      bootable: sector[at] === 0x80,
      type,
      firstLba: sector.readUInt32LE(at + 8),
      sectors: sector.readUInt32LE(at + 12),
    });
  }
  return {
    bootCode: Buffer.from(sector.subarray(0, MBR_BOOT_CODE_BYTES)),
    diskSignature: sector.readUInt32LE(440),
    partitions,
  };
}

/**
 * The protective MBR in front of a GPT (UEFI 2.x §5.2.3): one partition of
 * type 0xEE from LBA 1 over the whole disk (capped at 2^32-1 sectors),
 * disk signature 0, no boot code, not active.
 */
export function protectiveMbr(totalSectors: number): Buffer {
  return encodeMbr({
    bootCode: Buffer.alloc(0),
    diskSignature: 0,
    partitions: [
      {
        bootable: false,
        type: MBR_TYPE.GPT_PROTECTIVE,
        firstLba: 1,
        sectors: Math.min(totalSectors - 1, 0xffffffff),
      },
    ],
  });
}
