/** The gcp format's tar writer, compared byte for byte with GNU tar --format=oldgnu. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  decodeTarNumber12,
  encodeTarNumber12,
  oldGnuHeader,
  singleFileTar,
  TAR_RECORD,
} from "../../../../components/formats/writers/gcp";
import { findOnPath } from "../../../../components/formats/blocks/tools";
import { run } from "../../../helpers/formats/run";
import { pseudoRandom } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";

const MTIME = 1704164645;

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}
const GNU_TAR_ARGS = [
  "--format=oldgnu",
  "--numeric-owner",
  "--owner=0",
  "--group=0",
  "--mode=0644",
  `--mtime=@${MTIME}`,
];

describe("gcp tar", () => {
  it("12-byte numbers: octal below 8 GiB, GNU base-256 from 8 GiB", () => {
    assert.equal(encodeTarNumber12(1024 ** 3).toString("latin1"), "10000000000\0");
    const big = encodeTarNumber12(8 * 1024 ** 3);
    assert.equal(big[0], 0x80);
    assert.equal(big.subarray(1).toString("hex"), "0000000000000200000000");
    for (const v of [0, 1000, 8 ** 11 - 1, 8 ** 11, 10 * 1024 ** 4]) {
      assert.equal(decodeTarNumber12(encodeTarNumber12(v)), v);
    }
    assert.throws(() => encodeTarNumber12(-1), RangeError);
  });

  it("oldgnu header: magic 'ustar  \\0', type 0, checksum; long names refused", () => {
    const h = oldGnuHeader({ name: "disk.raw", size: 1024 ** 3, mode: 0o644, mtime: MTIME });
    assert.equal(h.length, 512);
    assert.equal(h.toString("latin1", 257, 265), "ustar  \0");
    assert.equal(h.toString("latin1", 156, 157), "0");
    assert.equal(decodeTarNumber12(h.subarray(124, 136)), 1024 ** 3);
    const stored = Number.parseInt(h.toString("latin1", 148, 154), 8);
    const copy = Buffer.from(h);
    copy.fill(0x20, 148, 156);
    assert.equal(
      stored,
      copy.reduce((a, b) => a + b, 0),
    );
    assert.throws(
      () => oldGnuHeader({ name: "x".repeat(101), size: 0, mode: 0, mtime: 0 }),
      RangeError,
    );
  });

  it("a small member is byte-identical to GNU tar's archive, record padding included", async (t) => {
    if ((await findOnPath("tar")) === undefined) {
      t.skip("needs GNU tar");
      return;
    }
    await withTmpDir(async (dir) => {
      for (const size of [0, 1000, 512, 10240 - 1536, 30_000]) {
        const src = path.join(dir, "disk.raw");
        await writeFile(src, pseudoRandom(size, `gcp-${size}`));
        const gnu = run("tar", [...GNU_TAR_ARGS, "-cf", "-", "disk.raw"], { cwd: dir });
        const mine = await collect(
          singleFileTar({ name: "disk.raw", size, mode: 0o644, mtime: MTIME }, src),
        );
        assert.equal(mine.length % TAR_RECORD, 0);
        assert.ok(mine.equals(gnu), `size ${size}: ${mine.length} vs GNU ${gnu.length} bytes`);
      }
    });
  });

  it("the header of an 8 GiB member matches GNU tar's (base-256 size)", async (t) => {
    if ((await findOnPath("tar")) === undefined) {
      t.skip("needs GNU tar");
      return;
    }
    await withTmpDir(async (dir) => {
      const src = path.join(dir, "disk.raw");
      await writeFile(src, "");
      await truncate(src, 8 * 1024 ** 3); // sparse
      const r = spawnSync(
        "sh",
        ["-c", `tar ${GNU_TAR_ARGS.join(" ")} -cf - disk.raw | head -c 512`],
        {
          cwd: dir,
          maxBuffer: 1 << 20,
        },
      );
      const gnu = r.stdout;
      assert.equal(gnu.length, 512);
      assert.ok(
        oldGnuHeader({ name: "disk.raw", size: 8 * 1024 ** 3, mode: 0o644, mtime: MTIME }).equals(
          gnu,
        ),
      );
    });
  });
});
