/**
 * The parallel gzip writer: one gzip member that gzip itself reads back to
 * the input, whose bytes do not depend on how the input is chunked or how
 * many blocks are compressed at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  GZIP_BLOCK_BYTES,
  parallelGzipChunks,
} from "../../../../components/formats/blocks/parallel-gzip";
import { crc32 } from "../../../../components/formats/blocks/crc32";
import { run } from "../../../helpers/formats/run";
import { pseudoRandom } from "../../../helpers/formats/tar-fixture";

async function gzipOf(
  input: Buffer,
  level: number,
  chunk: number,
  opts: { blockBytes?: number; concurrency?: number } = {},
): Promise<Buffer> {
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < input.length; i += chunk) yield input.subarray(i, i + chunk);
  }
  const out: Buffer[] = [];
  for await (const c of parallelGzipChunks(source(), level, opts)) out.push(c);
  return Buffer.concat(out);
}

/** Compressible but not trivial: text-like runs mixed with noise. */
function sample(length: number): Buffer {
  const noise = pseudoRandom(length, "gzip");
  const text = Buffer.from("LinuxKit builds images from containers. ".repeat(length / 40 + 1));
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = i % 4096 < 3072 ? text[i]! : noise[i]!;
  return out;
}

describe("parallel gzip", () => {
  const block = 64 * 1024;
  const sizes = [0, 1, block - 1, block, block + 1, Math.floor(3.5 * block)];
  for (const level of [0, 1, 6, 9]) {
    it(`level ${level}: gzip -d reads back every size, at block edges too`, async () => {
      for (const size of sizes) {
        const input = sample(size);
        const gz = await gzipOf(input, level, 10_000, { blockBytes: block });
        assert.ok(run("gzip", ["-dc"], { input: gz }).equals(input), `size ${size}`);
        assert.ok(gunzipSync(gz).equals(input), `size ${size} (zlib)`);
      }
    });
  }

  it("the bytes do not depend on the source's chunking or on the blocks in flight", async () => {
    const input = sample(5 * GZIP_BLOCK_BYTES + 12345);
    const a = await gzipOf(input, 6, 65_536, { concurrency: 1 });
    for (const [chunk, concurrency] of [
      [1_000_003, 4],
      [GZIP_BLOCK_BYTES, 2],
      [7_777, 3],
    ] as const) {
      assert.ok(
        (await gzipOf(input, 6, chunk, { concurrency })).equals(a),
        `chunk ${chunk}, ${concurrency} at once`,
      );
    }
  });

  it("writes the header zlib writes (mtime 0, no name, OS Unix) and the CRC-32 and length of the input", async () => {
    const input = sample(300_000);
    for (const [level, xfl] of [
      [1, 4],
      [6, 0],
      [9, 2],
    ] as const) {
      const gz = await gzipOf(input, level, 4096, { blockBytes: block });
      assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
      assert.equal(gz.readUInt32LE(gz.length - 8), crc32(input));
      assert.equal(gz.readUInt32LE(gz.length - 4), input.length);
    }
  });

  it("compresses as well as single-stream zlib, within 0.5%", async () => {
    const input = sample(4 * GZIP_BLOCK_BYTES);
    const parallel = await gzipOf(input, 6, 65_536);
    const single = run("gzip", ["-6", "-n", "-c"], { input });
    assert.ok(
      parallel.length <= single.length * 1.005,
      `${parallel.length} vs gzip -6 ${single.length}`,
    );
  });

  it("stops with an AbortError when aborted", async () => {
    const ac = new AbortController();
    async function* source(): AsyncGenerator<Buffer> {
      yield sample(GZIP_BLOCK_BYTES * 2);
      ac.abort();
      yield sample(10);
    }
    await assert.rejects(
      async () => {
        for await (const c of parallelGzipChunks(source(), 6, { signal: ac.signal })) void c;
      },
      { name: "AbortError" },
    );
  });
});
