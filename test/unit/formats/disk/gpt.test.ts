import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import zlib from "node:zlib";
import {
  bytesToGuid,
  crc32,
  encodeGpt,
  GPT_ATTR_LEGACY_BIOS_BOOTABLE,
  GPT_TYPE_ESP,
  guidToBytes,
  parseGptHeader,
  type Gpt,
} from "../../../../components/formats/blocks/gpt";
import { parseMbr } from "../../../../components/formats/blocks/mbr";
import { findOnPath } from "../../../../components/formats/blocks/tools";
import { run } from "../../../helpers/formats/run";
import { pseudoRandom } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";

const SECTORS = 40960; // 20 MiB
const TABLE: Gpt = {
  totalSectors: SECTORS,
  diskGuid: "13e44725-9fb4-4c67-ab20-e7aa0960f19b",
  partitions: [
    {
      typeGuid: GPT_TYPE_ESP,
      guid: "063aa400-84ee-4a94-97bc-527c37f21231",
      firstLba: 2048,
      lastLba: 38911,
      attributes: GPT_ATTR_LEGACY_BIOS_BOOTABLE,
      name: "EFI System",
    },
  ],
};

function diskOf(g: Gpt): Buffer {
  const disk = Buffer.alloc(g.totalSectors * 512);
  const enc = encodeGpt(g);
  enc.head.copy(disk, 0);
  enc.tail.copy(disk, enc.tailOffset);
  return disk;
}

describe("GPT", () => {
  it("crc32 matches the IEEE check value and zlib", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    const data = pseudoRandom(10_000, "crc");
    const z = (zlib as unknown as { crc32?: (d: Buffer) => number }).crc32;
    if (z) assert.equal(crc32(data), z(data));
    assert.equal(crc32(data.subarray(5000), crc32(data.subarray(0, 5000))), crc32(data));
  });

  it("GUIDs are stored mixed-endian (the ESP type GUID's known bytes)", () => {
    assert.equal(guidToBytes(GPT_TYPE_ESP).toString("hex"), "28732ac11ff8d211ba4b00a0c93ec93b");
    assert.equal(bytesToGuid(guidToBytes(GPT_TYPE_ESP)), GPT_TYPE_ESP);
    assert.throws(() => guidToBytes("not-a-guid"), /not a GUID/);
  });

  it("writes protective MBR, primary and backup header and entries that parse back with valid CRCs", () => {
    const disk = diskOf(TABLE);
    assert.deepEqual(parseMbr(disk.subarray(0, 512)).partitions, [
      { bootable: false, type: 0xee, firstLba: 1, sectors: SECTORS - 1 },
    ]);
    const primary = parseGptHeader(disk.subarray(512, 1024), disk.subarray(1024, 1024 + 16384));
    assert.equal(primary.myLba, 1);
    assert.equal(primary.alternateLba, SECTORS - 1);
    assert.equal(primary.firstUsableLba, 34);
    assert.equal(primary.lastUsableLba, SECTORS - 34);
    assert.equal(primary.entriesLba, 2);
    assert.equal(primary.entryCount, 128);
    assert.equal(primary.entryBytes, 128);
    assert.equal(primary.diskGuid, TABLE.diskGuid.toUpperCase());
    assert.deepEqual(primary.partitions, [
      { ...TABLE.partitions[0], guid: TABLE.partitions[0]?.guid.toUpperCase() },
    ]);
    const last = (SECTORS - 1) * 512;
    const backup = parseGptHeader(
      disk.subarray(last, last + 512),
      disk.subarray((SECTORS - 33) * 512, last),
    );
    assert.equal(backup.myLba, SECTORS - 1);
    assert.equal(backup.alternateLba, 1);
    assert.equal(backup.entriesLba, SECTORS - 33);
    assert.deepEqual(backup.partitions, primary.partitions);
  });

  it("detects a corrupted header or entry array", () => {
    const disk = diskOf(TABLE);
    const header = Buffer.from(disk.subarray(512, 1024));
    const entries = Buffer.from(disk.subarray(1024, 1024 + 16384));
    entries[200] = (entries[200] ?? 0) ^ 1;
    assert.throws(() => parseGptHeader(header, entries), /entry array CRC32/);
    header[60] = (header[60] ?? 0) ^ 1;
    assert.throws(() => parseGptHeader(header, disk.subarray(1024, 1024 + 16384)), /header CRC32/);
  });

  it("refuses partitions outside the usable area or overlapping", () => {
    const p = TABLE.partitions[0];
    assert.ok(p);
    assert.throws(() => encodeGpt({ ...TABLE, partitions: [{ ...p, firstLba: 33 }] }), RangeError);
    assert.throws(
      () => encodeGpt({ ...TABLE, partitions: [{ ...p, lastLba: SECTORS - 33 }] }),
      RangeError,
    );
    assert.throws(
      () =>
        encodeGpt({
          ...TABLE,
          partitions: [p, { ...p, firstLba: 38911, lastLba: 39000, guid: TABLE.diskGuid }],
        }),
      /overlap/,
    );
  });

  it("sgdisk finds no problems and sfdisk shows our GUIDs, name and attributes", async (t) => {
    if ((await findOnPath("sgdisk")) === undefined || (await findOnPath("sfdisk")) === undefined) {
      t.skip("needs sgdisk and sfdisk (apt-get install gdisk fdisk)");
      return;
    }
    await withTmpDir(async (dir) => {
      const img = path.join(dir, "gpt.img");
      await writeFile(img, diskOf(TABLE));
      assert.match(run("sgdisk", ["-v", img]).toString(), /No problems found/);
      const dump = run("sfdisk", ["--dump", img]).toString();
      assert.match(dump, /label: gpt/);
      assert.match(dump, /label-id: 13E44725-9FB4-4C67-AB20-E7AA0960F19B/);
      assert.match(
        dump,
        /gpt\.img1 : start=\s+2048, size=\s+36864, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=063AA400-84EE-4A94-97BC-527C37F21231, name="EFI System", attrs="LegacyBIOSBootable"/,
      );
    });
  });
});
