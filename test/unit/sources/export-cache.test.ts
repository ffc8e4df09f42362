/**
 * The export cache: a second export of the same image id is served from
 * disk with the same bytes, a failed or abandoned export never enters the
 * cache, and the size budget drops the least recently used exports.
 * `idle()` is awaited where a test looks at the cache folder: the copy is
 * finished in the background after the consumer has read the last byte.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import tar from "tar-stream";

import type { ImageSource, ResolvedImage } from "../../../components/sources/image-source";
import { ExportCachingSource } from "../../../components/sources/export-cache";

class FakeSource implements ImageSource {
  exports = 0;
  constructor(private readonly body: (id: string) => Readable) {}
  async resolve(ref: string): Promise<ResolvedImage> {
    return { ref, id: `sha256:${ref}`, labels: {} };
  }
  async exportRootfs(image: ResolvedImage): Promise<Readable> {
    this.exports++;
    return this.body(image.id);
  }
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lk-export-cache-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ExportCachingSource", () => {
  it("exports once per image id and serves the same bytes from disk afterwards", async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    const inner = new FakeSource(() =>
      Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
    );
    const cache = new ExportCachingSource(inner, path.join(dir, "a"));
    const image = await cache.resolve("one");
    assert.deepEqual(await readAll(await cache.exportRootfs(image)), bytes);
    await cache.idle();
    assert.deepEqual(await readAll(await cache.exportRootfs(image)), bytes);
    assert.equal(inner.exports, 1);
    assert.deepEqual(await readdir(path.join(dir, "a")), ["one.layers.tar"]);
  });

  it("caches every byte of a source that is not a Node stream (a streamx tar pack)", async () => {
    const bodies = [Buffer.alloc(3_000_000, 0x41), Buffer.alloc(1234, 0x42)];
    const inner = new FakeSource(() => {
      const pack = tar.pack();
      bodies.forEach((b, i) => pack.entry({ name: `f${i}`, size: b.length }, b));
      pack.finalize();
      return pack as unknown as Readable;
    });
    const cache = new ExportCachingSource(inner, path.join(dir, "x"));
    const image = await cache.resolve("pack");
    const live = await readAll(await cache.exportRootfs(image));
    await cache.idle();
    const cached = await readAll(await cache.exportRootfs(image));
    assert.equal(inner.exports, 1, "the second read came from the cache");
    assert.equal(cached.length, live.length);
    assert.ok(cached.equals(live), "the cached copy is the whole stream");
  });

  it("an export that fails midway reaches the consumer as an error and is not cached", async () => {
    const inner = new FakeSource(
      () =>
        new Readable({
          read() {
            this.push(Buffer.from("partial"));
            this.destroy(new Error("engine went away"));
          },
        }),
    );
    const cache = new ExportCachingSource(inner, path.join(dir, "b"));
    await assert.rejects(
      readAll(await cache.exportRootfs(await cache.resolve("two"))),
      /engine went away/,
    );
    await cache.idle();
    assert.deepEqual(
      (await readdir(path.join(dir, "b"))).filter((f) => f.endsWith(".tar")),
      [],
    );
  });

  it("an export the consumer abandons is not cached", async () => {
    const inner = new FakeSource(() =>
      Readable.from(
        (function* () {
          for (let i = 0; i < 1000; i++) yield Buffer.alloc(65536, i % 256);
        })(),
      ),
    );
    const cache = new ExportCachingSource(inner, path.join(dir, "c"));
    const stream = await cache.exportRootfs(await cache.resolve("three"));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    await cache.idle();
    assert.deepEqual(
      (await readdir(path.join(dir, "c"))).filter((f) => f.endsWith(".tar")),
      [],
    );
  });

  it("keeps the most recently used exports within the size budget", async () => {
    const inner = new FakeSource(() => Readable.from([Buffer.alloc(1000, 1)]));
    const cache = new ExportCachingSource(inner, path.join(dir, "d"), 2500);
    for (const [i, ref] of ["old", "mid", "new"].entries()) {
      await readAll(await cache.exportRootfs(await cache.resolve(ref)));
      await cache.idle();
      const t = new Date(Date.now() - (3 - i) * 60_000);
      await utimes(path.join(dir, "d", `${ref}.layers.tar`), t, t).catch(() => undefined);
    }
    await cache.prune();
    assert.deepEqual((await readdir(path.join(dir, "d"))).sort(), [
      "mid.layers.tar",
      "new.layers.tar",
    ]);
  });
});
