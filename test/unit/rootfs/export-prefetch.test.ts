import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";

import { plannedExports, PrefetchingSource } from "../../../components/rootfs/export-prefetch";
import type { ImageSource, ResolvedImage } from "../../../components/sources/image-source";

const img = (id: string): ResolvedImage => ({ ref: `r/${id}`, id, labels: {} });

/** A source that records when each export starts and hands out streams it can inspect. */
function recordingSource(failing = new Set<string>()): {
  source: ImageSource;
  starts: string[];
  streams: Map<string, Readable[]>;
} {
  const starts: string[] = [];
  const streams = new Map<string, Readable[]>();
  const source: ImageSource = {
    resolve: (ref) => Promise.resolve(img(ref)),
    exportRootfs: async (image) => {
      starts.push(image.id);
      if (failing.has(image.id)) throw new Error(`export of ${image.id} failed`);
      const s = Readable.from([Buffer.from(image.id)]);
      streams.set(image.id, [...(streams.get(image.id) ?? []), s]);
      return s;
    },
  };
  return { source, starts, streams };
}

async function text(r: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe("PrefetchingSource", () => {
  it("starts the next planned exports while one is used, never more than `ahead`", async () => {
    const { source, starts } = recordingSource();
    const plan = ["a", "b", "c", "d"].map(img);
    const p = new PrefetchingSource(source, plan, 2);
    assert.deepEqual(starts, [], "nothing before the first request");
    assert.equal(await text(await p.exportRootfs(img("a"))), "a");
    assert.deepEqual(starts, ["a", "b", "c"]);
    assert.equal(await text(await p.exportRootfs(img("b"))), "b");
    assert.deepEqual(starts, ["a", "b", "c", "d"]);
    assert.equal(await text(await p.exportRootfs(img("c"))), "c");
    assert.equal(await text(await p.exportRootfs(img("d"))), "d");
    assert.deepEqual(starts, ["a", "b", "c", "d"], "each exported once");
    await p.close();
  });

  it("an image asked for again is exported again; one asked out of plan still works", async () => {
    const { source, starts } = recordingSource();
    const p = new PrefetchingSource(source, ["a", "b"].map(img), 1);
    assert.equal(await text(await p.exportRootfs(img("a"))), "a");
    assert.equal(await text(await p.exportRootfs(img("a"))), "a");
    assert.equal(await text(await p.exportRootfs(img("z"))), "z");
    assert.equal(await text(await p.exportRootfs(img("b"))), "b");
    assert.deepEqual(starts, ["a", "b", "a", "z"]);
    await p.close();
  });

  it("a failed prefetch is reported when its turn comes, not before", async () => {
    const { source } = recordingSource(new Set(["b"]));
    const p = new PrefetchingSource(source, ["a", "b"].map(img), 2);
    assert.equal(await text(await p.exportRootfs(img("a"))), "a");
    await assert.rejects(p.exportRootfs(img("b")), /export of b failed/);
    await p.close();
  });

  it("close destroys every export not taken, and starts no more", async () => {
    const { source, starts, streams } = recordingSource(new Set(["c"]));
    const p = new PrefetchingSource(source, ["a", "b", "c", "d"].map(img), 2);
    await (await p.exportRootfs(img("a"))).toArray();
    await p.close();
    assert.deepEqual(starts, ["a", "b", "c"]);
    assert.equal(streams.get("b")?.[0]?.destroyed, true, "b's prefetched tree was destroyed");
  });

  it("plans each image id once, in order of first use", () => {
    assert.deepEqual(
      plannedExports([img("k"), undefined, img("i"), img("k"), img("s"), img("i")]).map(
        (i) => i.id,
      ),
      ["k", "i", "s"],
    );
  });
});
