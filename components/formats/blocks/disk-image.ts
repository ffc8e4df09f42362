/**
 * Raw disk images: a partition table written in TypeScript around the FAT
 * boot partition of {@link makeBootPartition} —
 *
 * - BIOS: MBR with syslinux's boot code, one active FAT partition at
 *   LBA 2048 (as LinuxKit's mkimage-raw-bios);
 * - EFI: protective MBR + GPT, one EFI system partition at LBA 2048 named
 *   "EFI System" with the legacy-BIOS-bootable attribute, backup GPT at
 *   the end (as LinuxKit's mkimage-raw-efi).
 *
 * The disk is as small as fits (1 MiB before the partition, 1 MiB after)
 * unless a size is asked for; space past the partition stays unallocated.
 * The file is sparse: only the tables and the partition's non-zero blocks
 * are written. Every id (MBR signature, GPT GUIDs, FAT serial) is derived
 * from the boot payload's digest, so the image is reproducible.
 */
import { open, readFile } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { LinuxKitError } from "../../errors/errors";
import {
  makeBootPartition,
  PARTITION_START_LBA,
  requireSyslinuxMbr,
  type BootPartition,
  type Firmware,
} from "./disk-boot";
import { bootPayloadFor } from "./boot-payload";
import { derivedU32, derivedUuid } from "./disk-ids";
import { requireGrubEfi } from "./grub-efi";
import { encodeGpt, GPT_ATTR_LEGACY_BIOS_BOOTABLE, GPT_TYPE_ESP } from "./gpt";
import { encodeMbr, SECTOR_BYTES } from "./mbr";
import type { BootPayload, FormatContext } from "./types";

export const MIB = 1024 * 1024;

/** How a format sizes its disk. */
export interface DiskSizing {
  /** Disk sizes are rounded up to a multiple of this many MiB (1024 for cloud disks sized in GiB). */
  roundMiB: number;
}

/** The size in MiB of the smallest disk holding a `partitionBytes` partition: 1 MiB either side. */
export function minimumDiskMiB(partitionBytes: number): number {
  return 2 + Math.ceil(partitionBytes / MIB);
}

/**
 * The disk size in MiB: `requestedMiB` (the `--size` option) if given,
 * else the minimum; rounded up to `roundMiB`. USAGE error when the
 * requested size is not a positive whole number or too small.
 */
export function planDiskMiB(
  partitionBytes: number,
  requestedMiB: number | undefined,
  sizing: DiskSizing,
): number {
  const minimum = minimumDiskMiB(partitionBytes);
  const roundUp = (mib: number): number => Math.ceil(mib / sizing.roundMiB) * sizing.roundMiB;
  if (requestedMiB === undefined) return roundUp(minimum);
  if (!Number.isInteger(requestedMiB) || requestedMiB <= 0) {
    throw new LinuxKitError(
      "USAGE",
      `disk size ${requestedMiB} MiB is not a positive whole number`,
      {
        field: "diskSizeMiB",
        hint: "give the size like 1024M or 2G",
      },
    );
  }
  if (requestedMiB < minimum) {
    throw new LinuxKitError(
      "USAGE",
      `disk size ${requestedMiB} MiB is too small: kernel, initrd and boot loader need ${minimum} MiB`,
      { field: "diskSizeMiB", hint: `use --size ${roundUp(minimum)}M or more, or leave it out` },
    );
  }
  return roundUp(requestedMiB);
}

/** What went into a raw disk. */
export interface RawDisk {
  firmware: Firmware;
  /** Bytes (a whole number of MiB). */
  size: number;
  boot: BootPayload;
  partition: BootPartition;
}

/** The sector-0 (BIOS) or head/tail (EFI) table bytes for a disk of `totalBytes`. */
export async function partitionTable(
  firmware: Firmware,
  partition: BootPartition,
  contentHash: string,
  totalBytes: number,
): Promise<{ head: Buffer; tail?: { offset: number; bytes: Buffer } }> {
  const sectors = partition.bytes / SECTOR_BYTES;
  if (firmware === "bios") {
    const bootCode = (await readFile(await requireSyslinuxMbr())).subarray(0, 440);
    return {
      head: encodeMbr({
        bootCode,
        diskSignature: derivedU32(contentHash, "mbr-disk-signature"),
        partitions: [
          { bootable: true, type: partition.mbrType, firstLba: PARTITION_START_LBA, sectors },
        ],
      }),
    };
  }
  const gpt = encodeGpt({
    totalSectors: totalBytes / SECTOR_BYTES,
    diskGuid: derivedUuid(contentHash, "gpt-disk-guid"),
    partitions: [
      {
        typeGuid: GPT_TYPE_ESP,
        guid: derivedUuid(contentHash, "gpt-esp-guid"),
        firstLba: PARTITION_START_LBA,
        lastLba: PARTITION_START_LBA + sectors - 1,
        attributes: GPT_ATTR_LEGACY_BIOS_BOOTABLE,
        name: "EFI System",
      },
    ],
  });
  return { head: gpt.head, tail: { offset: gpt.tailOffset, bytes: gpt.tail } };
}

const COPY_BLOCK = 64 * 1024;

function allZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += 8) {
    if (b.length - i >= 8) {
      if (b.readBigUInt64LE(i) !== 0n) return false;
    } else {
      for (let j = i; j < b.length; j++) if (b[j] !== 0) return false;
    }
  }
  return true;
}

/**
 * Writes the disk `dest` (a new sparse file of `totalBytes`): the table,
 * then the partition image at LBA 2048, skipping all-zero 64 KiB blocks.
 */
export async function writeRawDisk(
  dest: string,
  firmware: Firmware,
  partition: BootPartition,
  contentHash: string,
  totalBytes: number,
  signal?: AbortSignal,
): Promise<void> {
  const table = await partitionTable(firmware, partition, contentHash, totalBytes);
  const fh = await open(dest, "w", 0o644);
  try {
    await fh.truncate(totalBytes);
    await fh.write(table.head, 0, table.head.length, 0);
    let position = PARTITION_START_LBA * SECTOR_BYTES;
    for await (const chunk of createReadStream(partition.path, {
      highWaterMark: 16 * COPY_BLOCK,
      signal,
    })) {
      const buf = chunk as Buffer;
      for (let off = 0; off < buf.length; off += COPY_BLOCK) {
        const block = buf.subarray(off, off + COPY_BLOCK);
        if (!allZero(block)) await fh.write(block, 0, block.length, position + off);
      }
      position += buf.length;
    }
    if (table.tail !== undefined) {
      await fh.write(table.tail.bytes, 0, table.tail.bytes.length, table.tail.offset);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Builds the whole raw disk for `firmware` at `dest` from the context's
 * root filesystem, using `scratch` for the intermediate files.
 */
export async function buildRawDisk(
  ctx: FormatContext,
  scratch: string,
  dest: string,
  firmware: Firmware,
  sizing: DiskSizing,
): Promise<RawDisk> {
  const { signal } = ctx;
  // Files (not commands) the loaders need: fail before any work when missing.
  if (firmware === "bios") await requireSyslinuxMbr();
  else await requireGrubEfi();
  const boot = await bootPayloadFor(ctx, scratch);
  signal?.throwIfAborted();
  const partition = await makeBootPartition(firmware, boot, scratch, signal);
  const sizeMiB = planDiskMiB(partition.bytes, ctx.options.diskSizeMiB, sizing);
  if (ctx.options.diskSizeMiB !== undefined && sizeMiB !== ctx.options.diskSizeMiB) {
    ctx.log?.(`  disk size ${ctx.options.diskSizeMiB} MiB rounded up to ${sizeMiB} MiB`);
  }
  const size = sizeMiB * MIB;
  await writeRawDisk(dest, firmware, partition, boot.digest, size, signal);
  ctx.log?.(
    `  ${firmware} disk: ${sizeMiB} MiB, boot partition ${(partition.bytes / MIB).toFixed(0)} MiB`,
  );
  return { firmware, size, boot, partition };
}
