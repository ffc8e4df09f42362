import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { buildCacheKey, type CacheKeyInput } from "../../../components/pipeline/cache-key";
import type { ResolvedImage } from "../../../components/sources/image-source";
import type { LinuxKitSpec } from "../../../components/config/types";

const ID_A = `sha256:${"a".repeat(64)}`;
const ID_B = `sha256:${"b".repeat(64)}`;

function spec(files: LinuxKitSpec["files"]): LinuxKitSpec {
  return {
    kernel: { image: "linuxkit/kernel:6.6", cmdline: "console=ttyS0" },
    init: ["linuxkit/init:v1"],
    onboot: [],
    onshutdown: [],
    services: [],
    files,
    volumes: [],
  };
}

function image(ref: string, id: string): ResolvedImage {
  return { ref, id, labels: {} };
}

describe("buildCacheKey", () => {
  let dir = "";

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-cache-key-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh baseline input whose source file holds `bytes`. */
  async function baseline(bytes = "secret-v1"): Promise<CacheKeyInput> {
    await writeFile(path.join(dir, "key.pem"), bytes);
    return {
      specHash: "spec-hash-1",
      spec: spec([
        { path: "etc/key.pem", source: "key.pem" },
        { path: "etc/motd", contents: "hi" },
      ]),
      images: new Map([
        ["linuxkit/kernel:6.6", image("linuxkit/kernel:6.6", ID_A)],
        ["linuxkit/init:v1", image("linuxkit/init:v1", ID_B)],
      ]),
      name: "web",
      formats: ["kernel+initrd", "iso-bios"],
      options: { diskSizeMiB: null },
      baseDir: dir,
    };
  }

  it("is a sha256 hex digest, equal for equal inputs", async () => {
    const a = await buildCacheKey(await baseline());
    const b = await buildCacheKey(await baseline());
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(a, b);
  });

  it("does not depend on the order of images, formats or options, nor on repeated formats", async () => {
    const base = await baseline();
    const reordered: CacheKeyInput = {
      ...base,
      images: new Map([...base.images].reverse()),
      formats: ["iso-bios", "kernel+initrd", "iso-bios"],
      options: { diskSizeMiB: null },
    };
    assert.equal(await buildCacheKey(reordered), await buildCacheKey(base));
    const twoOptions = { ...base, options: { a: 1, b: 2 } };
    assert.equal(
      await buildCacheKey(twoOptions),
      await buildCacheKey({ ...base, options: { b: 2, a: 1 } }),
    );
  });

  const changes: [string, (i: CacheKeyInput) => Promise<CacheKeyInput> | CacheKeyInput][] = [
    ["the spec hash", (i) => ({ ...i, specHash: "spec-hash-2" })],
    [
      "an image id (a tag that moved)",
      (i) => ({
        ...i,
        images: new Map(
          [...i.images].map(([r, img]) => [
            r,
            r === "linuxkit/init:v1" ? image(r, `sha256:${"c".repeat(64)}`) : img,
          ]),
        ),
      }),
    ],
    ["the set of image references", (i) => ({ ...i, images: new Map([...i.images].slice(1)) })],
    [
      "a source file's bytes (same size)",
      async (i) => (await writeFile(path.join(dir, "key.pem"), "secret-v2"), i),
    ],
    ["a source file going missing", async (i) => (await rm(path.join(dir, "key.pem")), i)],
    ["the formats", (i) => ({ ...i, formats: ["kernel+initrd"] })],
    ["an option's value", (i) => ({ ...i, options: { diskSizeMiB: 2048 } })],
    ["the name", (i) => ({ ...i, name: "web2" })],
  ];
  for (const [what, change] of changes) {
    it(`changes when ${what} changes`, async () => {
      const before = await buildCacheKey(await baseline());
      const after = await buildCacheKey(await change(await baseline()));
      assert.notEqual(after, before);
    });
  }

  it("does not change when the same source bytes sit in another folder (another checkout)", async () => {
    const before = await buildCacheKey(await baseline());
    const other = path.join(dir, "other-checkout");
    await rm(other, { recursive: true, force: true });
    await mkdir(other);
    await writeFile(path.join(other, "key.pem"), "secret-v1");
    const after = await buildCacheKey({ ...(await baseline()), baseDir: other });
    assert.equal(after, before);
  });

  it("files without a source do not touch the disk", async () => {
    const base = await baseline();
    const noSources = {
      ...base,
      spec: spec([{ path: "etc/motd", contents: "hi" }]),
      baseDir: path.join(dir, "does-not-exist"),
    };
    assert.match(await buildCacheKey(noSources), /^[0-9a-f]{64}$/);
  });
});
