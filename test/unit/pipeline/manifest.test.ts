import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, truncate, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import {
  artifactsIntact,
  manifestPath,
  readManifest,
  removeManifest,
  sha256File,
  writeManifest,
  type BuildManifest,
} from "../../../components/pipeline/manifest";

const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

describe("build manifest", () => {
  let dir = "";
  let manifest: BuildManifest;
  const kernel = Buffer.alloc(3 * 1024 * 1024 + 3, 0x4b);
  const initrd = Buffer.from("initrd bytes");

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-manifest-"));
    await writeFile(path.join(dir, "web-kernel"), kernel);
    await writeFile(path.join(dir, "web-initrd.img"), initrd);
    manifest = {
      version: 1,
      cacheKey: "k".repeat(64),
      name: "web",
      artifacts: [
        { format: "kernel+initrd", file: "web-kernel", size: kernel.length, sha256: sha(kernel) },
        {
          format: "kernel+initrd",
          file: "web-initrd.img",
          size: initrd.length,
          sha256: sha(initrd),
        },
      ],
      images: { "linuxkit/init:v1": `sha256:${"1".repeat(64)}` },
      cmdline: "console=ttyS0",
    };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("sha256File hashes a multi-chunk file like a one-shot hash", async () => {
    assert.equal(await sha256File(path.join(dir, "web-kernel")), sha(kernel));
  });

  it("is written as a hidden file named after the build and read back equal", async () => {
    await writeManifest(dir, manifest);
    assert.equal(manifestPath(dir, "web"), path.join(dir, ".web.linuxkit-build.json"));
    assert.deepEqual(await readManifest(dir, "web"), manifest);
    assert.ok((await readFile(manifestPath(dir, "web"), "utf8")).endsWith("}\n"));
  });

  const unreadable: [string, string | undefined][] = [
    ["absent", undefined],
    ["not JSON", "{ half"],
    [
      "of another version",
      JSON.stringify({ version: 2, cacheKey: "x", name: "web", artifacts: [] }),
    ],
  ];
  for (const [what, text] of unreadable) {
    it(`a manifest that is ${what} reads as undefined`, async () => {
      if (text !== undefined) await writeFile(manifestPath(dir, "web"), text);
      assert.equal(await readManifest(dir, "web"), undefined);
    });
  }

  it("removeManifest removes it, and a second remove is harmless", async () => {
    await writeManifest(dir, manifest);
    await removeManifest(dir, "web");
    await removeManifest(dir, "web");
    await assert.rejects(stat(manifestPath(dir, "web")), { code: "ENOENT" });
  });

  it("artifacts as the manifest recorded them are intact", async () => {
    assert.equal(await artifactsIntact(dir, manifest), true);
  });

  const damage: [string, () => Promise<void>][] = [
    ["missing", () => unlink(path.join(dir, "web-initrd.img"))],
    ["truncated", () => truncate(path.join(dir, "web-kernel"), kernel.length - 1)],
    [
      "grown",
      () => writeFile(path.join(dir, "web-initrd.img"), Buffer.concat([initrd, Buffer.from("!")])),
    ],
    [
      "edited in place to the same size",
      async () => {
        const edited = Buffer.from(kernel);
        edited[kernel.length - 1] = 0x00;
        await writeFile(path.join(dir, "web-kernel"), edited);
      },
    ],
    [
      "replaced by a directory",
      async () => {
        await unlink(path.join(dir, "web-initrd.img"));
        await mkdir(path.join(dir, "web-initrd.img"));
      },
    ],
  ];
  for (const [what, act] of damage) {
    it(`an artifact ${what} makes the build not intact`, async () => {
      await act();
      assert.equal(await artifactsIntact(dir, manifest), false);
    });
  }
});
