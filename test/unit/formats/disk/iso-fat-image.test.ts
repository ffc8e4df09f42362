/**
 * makeFatImage: FAT images made with mtools, no mounts, the same bytes
 * for the same inputs whatever the clock or the source files' mtimes.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isLinuxKitError } from "../../../../components/errors/errors";
import {
  fatSerialFromHash,
  fatSizeFor,
  makeFatImage,
} from "../../../../components/formats/blocks/fat-image";
import { fatFile, fatInfo, fatListing } from "../../../helpers/formats/iso-inspect";
import { pseudoRandom } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { toolClockSkipReason, withToolClock } from "../../../helpers/formats/tool-clock";

async function sources(dir: string): Promise<{ big: string; small: string; cfg: string }> {
  await mkdir(dir, { recursive: true });
  const big = path.join(dir, "big.bin");
  const small = path.join(dir, "small.txt");
  const cfg = path.join(dir, "grub.cfg");
  await writeFile(big, pseudoRandom(300_000, "fat-big"));
  await writeFile(small, "small\n");
  await writeFile(cfg, "set timeout=0\n");
  return { big, small, cfg };
}

describe("makeFatImage", () => {
  it("is reproducible: same bytes across runs, file orders, source mtimes and wall clocks", async (t) => {
    const noClock = await toolClockSkipReason();
    if (noClock !== undefined) return t.skip(noClock);
    await withTmpDir(async (dir) => {
      const s = await sources(path.join(dir, "src"));
      const files = [
        { dest: "EFI/BOOT/BOOTX64.EFI", src: s.big },
        { dest: "EFI/BOOT/grub.cfg", src: s.cfg },
        { dest: "readme-long-name.txt", src: s.small },
      ];
      const a = await makeFatImage(path.join(dir, "a.img"), 2048, files, { serial: 0x1234abcd });
      await utimes(s.big, new Date(), new Date(Date.now() - 86_400_000));
      // mtools runs under another wall clock the second time
      const b = await withToolClock("2011-06-15 12:34:56", ["mformat", "mmd", "mcopy"], dir, () =>
        makeFatImage(path.join(dir, "b.img"), 2048, [...files].reverse(), { serial: 0x1234abcd }),
      );
      assert.equal(a.sha256, b.sha256);
      assert.equal(a.size, 2048 * 1024);
      assert.deepEqual(
        await readFile(path.join(dir, "a.img")),
        await readFile(path.join(dir, "b.img")),
      );
      const c = await makeFatImage(path.join(dir, "c.img"), 2048, files, { serial: 0x1234abce });
      assert.notEqual(c.sha256, a.sha256, "the serial is in the image");
    });
  });

  it("holds the files, directories, serial and label, every date 1980-01-01", async () => {
    await withTmpDir(async (dir) => {
      const s = await sources(path.join(dir, "src"));
      const img = path.join(dir, "efi.img");
      await makeFatImage(
        img,
        1024,
        [
          { dest: "EFI/BOOT/BOOTX64.EFI", src: s.big },
          { dest: "EFI/BOOT/grub.cfg", src: s.cfg },
        ],
        { serial: 0xdeadbeef, label: "EFIBOOT" },
      );
      const listing = fatListing(img);
      assert.match(listing, /Volume in drive : is EFIBOOT/);
      assert.match(listing, /Volume Serial Number is DEAD-BEEF/);
      assert.match(listing, /BOOTX64\s+EFI\s+300000 1980-01-01/);
      assert.match(listing, /grub\s+cfg\s+14 1980-01-01/);
      const dates = listing.match(/\d{4}-\d\d-\d\d/g) ?? [];
      assert.ok(dates.length >= 6);
      assert.ok(
        dates.every((d) => d === "1980-01-01"),
        `all dates fixed: ${listing}`,
      );
      assert.deepEqual(fatFile(img, "/EFI/BOOT/BOOTX64.EFI"), await readFile(s.big));
      assert.match(fatInfo(img), /serial number: DEADBEEF/);
      assert.equal((await stat(img)).size, 1024 * 1024);
    });
  });

  it("makes FAT32 when asked and records hidden sectors", async () => {
    await withTmpDir(async (dir) => {
      const s = await sources(path.join(dir, "src"));
      const img = path.join(dir, "esp.img");
      await makeFatImage(img, 64 * 1024, [{ dest: "EFI/BOOT/grub.cfg", src: s.cfg }], {
        serial: 1,
        fat32: true,
        hiddenSectors: 2048,
      });
      assert.match(fatInfo(img), /hidden sectors: 2048/);
      const bpb = (await readFile(img)).subarray(0, 512);
      assert.equal(bpb.toString("latin1", 82, 90), "FAT32   ", "FAT32 file system type");
      assert.equal(bpb.readUInt32LE(28), 2048, "BPB hidden sectors");
      assert.equal(bpb.readUInt32LE(67), 1, "FAT32 volume serial");
      assert.equal(bpb.readUInt16LE(510), 0xaa55);
    });
  });

  it("fails with a BUILD error when the files do not fit, and rejects bad paths", async () => {
    await withTmpDir(async (dir) => {
      const s = await sources(path.join(dir, "src"));
      await assert.rejects(
        makeFatImage(path.join(dir, "x.img"), 128, [{ dest: "big.bin", src: s.big }], {
          serial: 1,
        }),
        (e: unknown) => isLinuxKitError(e) && e.code === "BUILD",
      );
      for (const dest of ["/abs", "a/../b", "a//b", "c:d"]) {
        await assert.rejects(
          makeFatImage(path.join(dir, "y.img"), 1024, [{ dest, src: s.small }], { serial: 1 }),
          /bad FAT image path/,
        );
      }
      await assert.rejects(
        makeFatImage(path.join(dir, "z.img"), 1024, [], { serial: 2 ** 32 }),
        /bad FAT serial/,
      );
    });
  });

  it("names the Debian package when mtools is missing", async () => {
    await withTmpDir(async (dir) => {
      const saved = process.env.PATH;
      process.env.PATH = path.join(dir, "empty-bin");
      try {
        await assert.rejects(
          makeFatImage(path.join(dir, "x.img"), 1024, [], { serial: 1 }),
          (e: unknown) =>
            isLinuxKitError(e) &&
            e.code === "TOOL_MISSING" &&
            /apt-get install mtools/.test(e.message),
        );
      } finally {
        process.env.PATH = saved;
      }
    });
  });

  it("fatSerialFromHash and fatSizeFor", () => {
    assert.equal(fatSerialFromHash("deadbeef0123"), 0xdeadbeef);
    assert.throws(() => fatSerialFromHash("xyz"));
    assert.equal(fatSizeFor(0, 0), 1024);
    const kib = fatSizeFor(10 * 1024 * 1024, 3);
    assert.ok(kib >= 10 * 1024 + 1024 && kib % 1024 === 0, String(kib));
  });
});
