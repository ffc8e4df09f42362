import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  chsAddress,
  encodeMbr,
  MBR_TYPE,
  parseMbr,
  protectiveMbr,
} from "../../../../components/formats/blocks/mbr";
import { findOnPath } from "../../../../components/formats/blocks/tools";
import { run } from "../../../helpers/formats/run";
import { withTmpDir } from "../../../helpers/formats/tmp";

describe("MBR", () => {
  it("CHS addresses: 255 heads, 63 sectors, capped past cylinder 1023", () => {
    assert.deepEqual([...chsAddress(0)], [0, 1, 0]);
    assert.deepEqual([...chsAddress(2048)], [32, 33, 0]); // the usual 1 MiB start: 0/32/33
    assert.deepEqual([...chsAddress(255 * 63)], [0, 1, 1]);
    // cylinder 256: the top two bits of the 10-bit cylinder live in the sector byte
    assert.deepEqual([...chsAddress(256 * 255 * 63)], [0, 0x41, 0]);
    assert.deepEqual([...chsAddress(1024 * 255 * 63)], [0xfe, 0xff, 0xff]);
  });

  it("encodes boot code, signature, an active partition and 55AA; parses back", () => {
    const bootCode = Buffer.alloc(440, 0xcc);
    const sector = encodeMbr({
      bootCode,
      diskSignature: 0x12345678,
      partitions: [{ bootable: true, type: MBR_TYPE.FAT16_LBA, firstLba: 2048, sectors: 36864 }],
    });
    assert.equal(sector.length, 512);
    assert.deepEqual(sector.subarray(0, 440), bootCode);
    assert.equal(sector.readUInt32LE(440), 0x12345678);
    assert.equal(sector[446], 0x80);
    assert.equal(sector[450], 0x0e);
    assert.equal(sector.readUInt32LE(454), 2048);
    assert.equal(sector.readUInt32LE(458), 36864);
    assert.deepEqual(sector.subarray(462, 510), Buffer.alloc(48), "other slots empty");
    assert.deepEqual([sector[510], sector[511]], [0x55, 0xaa]);
    const parsed = parseMbr(sector);
    assert.equal(parsed.diskSignature, 0x12345678);
    assert.deepEqual(parsed.partitions, [
      { bootable: true, type: 0x0e, firstLba: 2048, sectors: 36864 },
    ]);
  });

  it("rejects what does not fit", () => {
    const base = { bootCode: Buffer.alloc(0), diskSignature: 0, partitions: [] };
    assert.throws(() => encodeMbr({ ...base, bootCode: Buffer.alloc(441) }), RangeError);
    assert.throws(() => encodeMbr({ ...base, diskSignature: 2 ** 32 }), RangeError);
    const p = { bootable: false, type: 0x83, firstLba: 1, sectors: 1 };
    assert.throws(() => encodeMbr({ ...base, partitions: [p, p, p, p, p] }), RangeError);
    assert.throws(() => encodeMbr({ ...base, partitions: [{ ...p, sectors: 0 }] }), RangeError);
    assert.throws(
      () => encodeMbr({ ...base, partitions: [{ ...p, firstLba: 2 ** 32 }] }),
      RangeError,
    );
    assert.throws(() => parseMbr(Buffer.alloc(512)), /no MBR signature/);
  });

  it("protective MBR: one 0xEE partition from LBA 1, capped at 2^32-1 sectors", () => {
    const small = parseMbr(protectiveMbr(40960));
    assert.equal(small.diskSignature, 0);
    assert.deepEqual(small.partitions, [
      { bootable: false, type: 0xee, firstLba: 1, sectors: 40959 },
    ]);
    const big = parseMbr(protectiveMbr(2 ** 33));
    assert.equal(big.partitions[0]?.sectors, 0xffffffff);
    assert.deepEqual([...protectiveMbr(40960).subarray(447, 450)], [0x00, 0x02, 0x00]);
  });

  it("sfdisk reads the table as written", async (t) => {
    if ((await findOnPath("sfdisk")) === undefined) {
      t.skip("needs sfdisk (apt-get install fdisk)");
      return;
    }
    await withTmpDir(async (dir) => {
      const img = path.join(dir, "mbr.img");
      const disk = Buffer.alloc(20 * 1024 * 1024);
      encodeMbr({
        bootCode: Buffer.alloc(0),
        diskSignature: 0xdeadbeef,
        partitions: [{ bootable: true, type: MBR_TYPE.FAT32_LBA, firstLba: 2048, sectors: 10240 }],
      }).copy(disk);
      await writeFile(img, disk);
      const dump = run("sfdisk", ["--dump", img]).toString();
      assert.match(dump, /label: dos/);
      assert.match(dump, /label-id: 0xdeadbeef/);
      assert.match(dump, /mbr\.img1 : start=\s+2048, size=\s+10240, type=c, bootable/);
    });
  });
});
