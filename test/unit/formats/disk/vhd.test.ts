/**
 * The VHD footer/dynamic-header codec and the patch that makes qemu-img's
 * VHDs reproducible, on real qemu-img output.
 */
import assert from "node:assert/strict";
import { open, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { qemuImgConvert } from "../../../../components/formats/blocks/disk-format";
import { findOnPath } from "../../../../components/formats/blocks/tools";
import {
  makeVhdReproducible,
  parseVhdDynamicHeader,
  parseVhdFooter,
  patchVhdFooter,
  VHD_DISK_TYPE,
  vhdChecksum,
} from "../../../../components/formats/writers/vhd";
import { run } from "../../../helpers/formats/run";
import { pseudoRandom } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { toolClockSkipReason, withToolClock } from "../../../helpers/formats/tool-clock";

const MIB = 1024 * 1024;
const UUID = Buffer.from("0123456789abcdef0123456789abcdef", "hex");

/** A 6 MiB raw image with data in a few places and holes elsewhere. */
async function sampleRaw(file: string): Promise<Buffer> {
  const raw = Buffer.alloc(6 * MIB);
  pseudoRandom(300_000, "vhd-a").copy(raw, 4096);
  pseudoRandom(100_000, "vhd-b").copy(raw, 4 * MIB + 12345);
  await writeFile(file, raw);
  return raw;
}

async function tail512(file: string, at?: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    const b = Buffer.alloc(512);
    await fh.read(b, 0, 512, at ?? size - 512);
    return b;
  } finally {
    await fh.close();
  }
}

/** `qemu-img info` with the format given: a fixed VHD starts with raw data, so probing says "raw". */
function qemuInfo(file: string): { format: string; "virtual-size": number } {
  return JSON.parse(run("qemu-img", ["info", "-f", "vpc", "--output=json", file]).toString()) as {
    format: string;
    "virtual-size": number;
  };
}

describe("VHD footer", () => {
  it("checksum is the one's complement of the byte sum without the checksum field", () => {
    const b = Buffer.alloc(512);
    b.write("conectix", 0, "latin1");
    b[100] = 7;
    b.writeUInt32BE(0xffffffff, 64); // ignored
    const sum = [...b.subarray(0, 64), ...b.subarray(68)].reduce((a, x) => a + x, 0);
    assert.equal(vhdChecksum(b, 64), ~sum >>> 0);
  });

  it("patching sets time and UUID, keeps everything else, and fixes the checksum", () => {
    const b = Buffer.alloc(512);
    b.write("conectix", 0, "latin1");
    b.writeUInt32BE(VHD_DISK_TYPE.FIXED, 60);
    b.writeUInt32BE(123456, 24);
    b.writeUInt32BE(vhdChecksum(b, 64), 64);
    const before = parseVhdFooter(b);
    patchVhdFooter(b, 0, UUID);
    const after = parseVhdFooter(b);
    assert.equal(after.timestamp, 0);
    assert.equal(after.uuid, UUID.toString("hex"));
    assert.deepEqual(
      { ...after, timestamp: 0, uuid: "", checksum: 0 },
      {
        ...before,
        timestamp: 0,
        uuid: "",
        checksum: 0,
      },
    );
    b[300] = 1;
    assert.throws(() => parseVhdFooter(b), /checksum mismatch/);
  });

  for (const subformat of ["fixed", "dynamic"] as const) {
    it(`qemu-img ${subformat} VHD: patched footers are identical across runs, valid, and the data unchanged`, async (t) => {
      if ((await findOnPath("qemu-img")) === undefined) {
        t.skip("needs qemu-img (apt-get install qemu-utils)");
        return;
      }
      const noClock = await toolClockSkipReason();
      if (noClock !== undefined) return t.skip(noClock);
      await withTmpDir(async (dir) => {
        const raw = path.join(dir, "disk.raw");
        await sampleRaw(raw);
        const outs: Buffer[] = [];
        for (const n of [1, 2]) {
          const vhd = path.join(dir, `${n}.vhd`);
          const convert = (): Promise<unknown> =>
            qemuImgConvert(raw, vhd, "vpc", `subformat=${subformat},force_size=on`);
          // the second run's qemu-img stamps another creation time
          if (n === 2) await withToolClock("2011-06-15 12:34:56", ["qemu-img"], dir, convert);
          else await convert();
          await makeVhdReproducible(vhd, UUID);
          outs.push(await readFile(vhd));
          const footer = parseVhdFooter(await tail512(vhd));
          assert.equal(footer.timestamp, 0);
          assert.equal(footer.uuid, UUID.toString("hex"));
          assert.equal(footer.currentSize, BigInt(6 * MIB));
          assert.equal(footer.creatorApp, "qem2", "force_size: readers use the footer size");
          assert.equal(
            footer.diskType,
            subformat === "fixed" ? VHD_DISK_TYPE.FIXED : VHD_DISK_TYPE.DYNAMIC,
          );
          if (subformat === "dynamic") {
            assert.deepEqual(await tail512(vhd, 0), await tail512(vhd), "footer copy at 0");
            const fh = await open(vhd, "r");
            const hdr = Buffer.alloc(1024);
            await fh.read(hdr, 0, 1024, Number(footer.dataOffset));
            await fh.close();
            const dyn = parseVhdDynamicHeader(hdr);
            assert.equal(dyn.parentUuid, "0".repeat(32));
            assert.equal(dyn.parentTimestamp, 0);
            assert.equal(dyn.blockSize, 2 * MIB);
          } else {
            assert.equal(footer.dataOffset, 0xffffffffffffffffn);
          }
          const info = qemuInfo(vhd);
          assert.equal(info.format, "vpc");
          assert.equal(info["virtual-size"], 6 * MIB);
          run("qemu-img", ["compare", "-f", "raw", "-F", "vpc", raw, vhd]);
        }
        assert.ok(outs[0]?.equals(outs[1] as Buffer), "byte-identical after patching");
      });
    });
  }

  it("refuses a file that is not a VHD", async () => {
    await withTmpDir(async (dir) => {
      const f = path.join(dir, "x.vhd");
      await writeFile(f, Buffer.alloc(4096));
      await assert.rejects(makeVhdReproducible(f, UUID), /no VHD footer/);
    });
  });
});
