import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdir,
  mkdtemp,
  open,
  readFile,
  rm,
  stat,
  truncate,
  unlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import {
  artifactStamp,
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

  describe("with the stamps recorded at publish time", () => {
    /** sha256File, counting the files it was asked to hash. */
    let hashed: string[] = [];
    const countingHash = (file: string): Promise<string> => {
      hashed.push(path.basename(file));
      return sha256File(file);
    };
    const stamped = async (): Promise<BuildManifest> => ({
      ...manifest,
      artifacts: await Promise.all(
        manifest.artifacts.map(async (a) => ({
          ...a,
          stamp: await artifactStamp(path.join(dir, a.file)),
        })),
      ),
    });
    beforeEach(() => {
      hashed = [];
    });

    it("a cache hit reads no artifact bytes", async () => {
      assert.equal(await artifactsIntact(dir, await stamped(), countingHash), true);
      assert.deepEqual(hashed, [], "no artifact was hashed");
    });

    it("a cache hit on a 4 GiB (sparse) artifact takes no time to read it", async () => {
      const big = path.join(dir, "web-disk.img");
      const size = 4 * 1024 ** 3;
      const fh = await open(big, "w");
      await fh.truncate(size);
      await fh.close();
      const m: BuildManifest = {
        ...manifest,
        artifacts: [
          {
            format: "raw-bios",
            file: "web-disk.img",
            size,
            // The digest of 4 GiB of zeros is not computed here: were the
            // file hashed, this would not match and the check would say false.
            sha256: "0".repeat(64),
            stamp: await artifactStamp(big),
          },
        ],
      };
      const started = process.hrtime.bigint();
      assert.equal(await artifactsIntact(dir, m, countingHash), true);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.deepEqual(hashed, []);
      assert.ok(ms < 1000, `checked in ${ms.toFixed(1)} ms`);
    });

    it("an artifact altered in place (same size, new bytes, new mtime) is hashed and not intact", async () => {
      const m = await stamped();
      const edited = Buffer.from(kernel);
      edited[0] = 0x00;
      await writeFile(path.join(dir, "web-kernel"), edited);
      assert.equal((await stat(path.join(dir, "web-kernel"))).size, kernel.length);
      assert.equal(await artifactsIntact(dir, m, countingHash), false);
      assert.deepEqual(hashed, ["web-kernel"]);
    });

    it("an edit whose mtime was set back is still caught (its ctime moved)", async () => {
      const m = await stamped();
      const file = path.join(dir, "web-kernel");
      const reference = path.join(dir, "reference");
      await writeFile(reference, "");
      execFileSync("touch", ["-m", "-r", file, reference]); // nanosecond mtime kept aside
      const before = await stat(file, { bigint: true });
      const edited = Buffer.from(kernel);
      edited[1] = 0x00;
      await writeFile(file, edited);
      execFileSync("touch", ["-m", "-r", reference, file]);
      assert.equal((await stat(file, { bigint: true })).mtimeNs, before.mtimeNs, "mtime as it was");
      assert.equal(await artifactsIntact(dir, m, countingHash), false);
      assert.deepEqual(hashed, ["web-kernel"]);
    });

    it("a file touched but not changed is hashed once and still intact", async () => {
      const m = await stamped();
      const later = new Date(Date.now() + 60_000);
      await utimes(path.join(dir, "web-initrd.img"), later, later);
      assert.equal(await artifactsIntact(dir, m, countingHash), true);
      assert.deepEqual(hashed, ["web-initrd.img"]);
    });

    it("a file replaced by a copy of the same bytes (another inode) is hashed and intact", async () => {
      const m = await stamped();
      const file = path.join(dir, "web-initrd.img");
      await unlink(file);
      await writeFile(file, initrd);
      assert.equal(await artifactsIntact(dir, m, countingHash), true);
      assert.deepEqual(hashed, ["web-initrd.img"]);
    });

    it("a manifest without stamps (an older build) hashes every artifact", async () => {
      assert.equal(await artifactsIntact(dir, manifest, countingHash), true);
      assert.deepEqual(hashed.sort(), ["web-initrd.img", "web-kernel"]);
    });
  });
});
