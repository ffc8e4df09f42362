/**
 * The registry source's OCI cache and the Image's view of registries, with
 * no Docker engine (DOCKER_HOST points at nothing): a pull killed with
 * SIGKILL halfway leaves no blob that a later build would use; `cache ls`,
 * `export`, `import`, `rm` and `prune` through the real command line; a
 * tag moved on the registry is a replace naming the image and both ids in
 * the Image's diff; a registry out of reach during a preview is a warning
 * (the last id kept), and then `up` fails naming it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LinuxKitError } from "../../../components/errors/errors";
import { imageProvider, type ImageOutputs } from "../../../components/pulumi/image/image-provider";
import type { ImageInputs } from "../../../components/pulumi/image/image-inputs";
import { runCli } from "../../helpers/cli";
import { makeConfig, pushImage, type Target } from "../../helpers/oci-push";
import { repoRoot } from "../../helpers/paths";
import { TestRegistry } from "../../helpers/registry";
import { RegistryProxy } from "../../helpers/registry-proxy";
import { readTar, tarBuffer } from "../../helpers/tar-kit";

const NO_ENGINE = "unix:///nonexistent/pulumi-linuxkit-test/docker.sock";
let work: string;
let registry: TestRegistry;
let proxy: RegistryProxy;
let cacheDir: string;
const saved = { ...process.env };

const target = (): Target => ({ base: `http://${registry.host}` });
const onboot = (image: string): string =>
  `onboot:\n  - name: app\n    image: ${image}\n    command: ["/bin/true"]\n`;
const LOWER = "containers/onboot/000-app/lower";

async function pushFiles(repo: string, tag: string, files: Record<string, string | Buffer>) {
  const layer = await tarBuffer(Object.entries(files).map(([name, data]) => ({ name, data })));
  return pushImage(target(), repo, tag, makeConfig("amd64", [layer]), [layer]);
}

const cliEnv = (): NodeJS.ProcessEnv => ({
  DOCKER_HOST: NO_ENGINE,
  PULUMI_LINUXKIT_OCI_CACHE: cacheDir,
  PULUMI_LINUXKIT_EXPORT_CACHE: "0",
  DOCKER_CONFIG: path.join(work, "no-docker-config"),
});

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-regcache-"));
  cacheDir = path.join(work, "oci");
  registry = await TestRegistry.start();
  proxy = await RegistryProxy.start(registry.host);
  Object.assign(process.env, cliEnv());
});

after(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await proxy?.stop().catch(() => undefined);
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("kill -9 in the middle of a pull", { timeout: 180_000 }, () => {
  it("leaves no blob in the cache; the next build pulls cleanly and prune removes the leftover", async () => {
    const big = randomBytes(3 << 20); // incompressible: the gzip'd layer stays ~3 MiB
    const pushed = await pushFiles("lk/big", "v1", { "big.bin": big });
    const layer = pushed.layers[0]!.digest;
    const yml = path.join(work, "big.yml");
    await writeFile(yml, onboot(`${proxy.host}/lk/big:v1`));
    proxy.slow(new RegExp(layer));
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, "bin", "pulumi-linuxkit.js"),
        "build",
        "--source",
        "registry",
        "--format",
        "tar",
        "--dir",
        path.join(work, "big-out"),
        yml,
      ],
      { env: { ...process.env, ...cliEnv() }, stdio: "ignore" },
    );
    const tmp = path.join(cacheDir, "tmp");
    let partial = 0;
    for (let i = 0; i < 600 && partial < 64 << 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      for (const f of await readdir(tmp).catch(() => [] as string[])) {
        if (f.startsWith(layer.slice(7))) partial = (await stat(path.join(tmp, f))).size;
      }
    }
    assert.ok(partial >= 64 << 10, "the layer was being written when killed");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    proxy.slow(undefined);
    const blobs = await readdir(path.join(cacheDir, "blobs", "sha256"));
    assert.ok(!blobs.includes(layer.slice(7)), "the half-written layer is not a blob");
    assert.equal((await readdir(tmp)).length, 1, "its temp file is left, named for a dead process");

    const again = await runCli(
      [
        "build",
        "--source",
        "registry",
        "--format",
        "tar",
        "--dir",
        path.join(work, "big-out"),
        yml,
      ],
      { env: cliEnv() },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Images: from their registries/);
    const entries = await readTar(await readFile(path.join(work, "big-out", "big.tar")));
    const file = entries.find((e) => e.header.name === `${LOWER}/big.bin`);
    assert.ok(file?.data.equals(big), "the rebuilt tree has the whole file");

    const pruned = await runCli(["cache", "prune"], { env: cliEnv() });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(await readdir(tmp), [], "prune removed the dead pull's temp file");
  });
});

describe("cache ls, export, import, rm, prune", { timeout: 120_000 }, () => {
  it("round-trips the cache through a tar and forgets images", async () => {
    const ref = `${proxy.host}/lk/big:v1`;
    const ls = await runCli(["cache", "ls"], { env: cliEnv() });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(
      ls.stdout,
      new RegExp(`${ref.replace(/[.]/g, "\\.")}  sha256:[0-9a-f]{64}  3\\.\\d MB`),
    );
    const tar = path.join(work, "cache.tar");
    const exported = await runCli(["cache", "export", tar, ref], { env: cliEnv() });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Exported 1 image\(s\), 3 blob\(s\)/);
    const other = path.join(work, "oci-imported");
    const imported = await runCli(["cache", "import", "--dir", other, tar], { env: cliEnv() });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, new RegExp(`Imported ${ref.replace(/[.]/g, "\\.")}`));
    const ls2 = await runCli(["cache", "ls", "--dir", other], { env: cliEnv() });
    assert.equal(
      ls2.stdout.trim(),
      ls.stdout
        .trim()
        .split("\n")
        .find((l) => l.startsWith(ref)),
    );

    // a tampered archive is refused and keeps nothing bad
    const bytes = await readFile(tar);
    const at = middleOfLargestBlob(bytes);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    await writeFile(path.join(work, "bad.tar"), bytes);
    const bad = await runCli(
      ["cache", "import", "--dir", path.join(work, "oci-bad"), path.join(work, "bad.tar")],
      { env: cliEnv() },
    );
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /cache import of .*bad\.tar failed: the content of sha256:[0-9a-f]{64} hashes to/,
    );

    const removed = await runCli(["cache", "rm", "--dir", other, ref], { env: cliEnv() });
    assert.equal(removed.code, 0, removed.stderr);
    const pruned = await runCli(["cache", "prune", "--dir", other], { env: cliEnv() });
    assert.match(pruned.stdout, /Pruned 3 blob\(s\)/);
    assert.deepEqual(await readdir(path.join(other, "blobs", "sha256")), []);
    const missing = await runCli(["cache", "rm", "--dir", other, ref], { env: cliEnv() });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /not in the cache/);
  });
});

describe(
  "a tag moved upstream, seen by the Image's diff (registry source)",
  { timeout: 180_000 },
  () => {
    let moving: RegistryProxy;
    let inputs: ImageInputs;
    let first: ImageOutputs;
    let v1: string;
    let v2: string;
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);

    before(async () => {
      moving = await RegistryProxy.start(registry.host);
      v1 = (await pushFiles("lk/moving", "stable", { "version.txt": "v1\n" })).configDigest;
      inputs = {
        configYaml: onboot(`${moving.host}/lk/moving:stable`),
        name: "moving",
        outputDir: path.join(work, "moving-out"),
        formats: ["tar"],
        arch: "amd64",
        source: "registry",
      };
      first = (await imageProvider.create(inputs)).outs;
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof process.stderr.write;
    });

    after(async () => {
      process.stderr.write = write;
      await moving.stop().catch(() => undefined);
    });

    it("create pulled v1; nothing moved: no change, one HEAD per image", async () => {
      const ref = `${moving.host}/lk/moving:stable`;
      assert.equal(first.images[ref], v1);
      const seen = moving.requests.length;
      assert.deepEqual(await imageProvider.diff("moving", first, inputs), { changes: false });
      const asked = moving.requests.slice(seen);
      assert.deepEqual(
        asked.map((r) => `${r.method} ${r.status}`),
        ["HEAD 200"],
      );
    });

    it("v2 pushed under the tag: a replace on images, naming the image and both ids; update builds v2", async () => {
      const ref = `${moving.host}/lk/moving:stable`;
      v2 = (await pushFiles("lk/moving", "stable", { "version.txt": "v2\n" })).configDigest;
      lines.length = 0;
      const diff = await imageProvider.diff("moving", first, inputs);
      assert.deepEqual(diff, { changes: true, replaces: ["images"] });
      assert.ok(
        lines.join("").includes(`Image moving: ${ref} moved: ${v1} → ${v2}`),
        lines.join(""),
      );
      const { outs } = await imageProvider.update("moving", first, inputs);
      assert.equal(outs.images[ref], v2);
      const entries = await readTar(await readFile(path.resolve(outs.artifacts[0]!.path)));
      assert.equal(
        entries.find((e) => e.header.name === `${LOWER}/version.txt`)?.data.toString(),
        "v2\n",
      );
    });

    it("registry out of reach: the preview warns and keeps the last id; the build fails naming the registry", async () => {
      const host = moving.host;
      await moving.stop();
      lines.length = 0;
      assert.deepEqual(await imageProvider.diff("moving", first, { ...inputs, dryRun: true }), {
        changes: false,
      });
      const said = lines.join("");
      assert.match(
        said,
        new RegExp(
          `Image moving: warning: onboot\\[0\\]\\.image: cannot pull ${host.replace(/\./g, "\\.")}/lk/moving:stable: cannot reach ${host.replace(/\./g, "\\.")}.*ECONNREFUSED; keeping the last digest`,
        ),
      );
      assert.ok(said.includes(v1));
      // during `up` (no dry run) the diff itself fails, and so would a build
      for (const attempt of [
        () => imageProvider.diff("moving", first, inputs),
        () => imageProvider.create(inputs),
      ]) {
        await assert.rejects(attempt(), (e: unknown) => {
          // the diff's error carries the hint in its message (Pulumi shows messages only)
          const le = e instanceof LinuxKitError ? e : ((e as Error).cause as LinuxKitError);
          assert.ok(le instanceof LinuxKitError, String(e));
          assert.equal(le.code, "REGISTRY_UNREACHABLE");
          assert.ok((e as Error).message.includes(`cannot reach ${host}`), (e as Error).message);
          assert.match(le.hint ?? "", new RegExp(`check that ${host.replace(/\./g, "\\.")} is up`));
          return true;
        });
      }
    });
  },
);

describe(
  "LinuxKit's cache (~/.linuxkit/cache, an OCI layout) is read too",
  { timeout: 120_000 },
  () => {
    it("with the registry gone, the command line builds a tag from it, says so, and copies nothing", async () => {
      const home = path.join(work, "home");
      await mkdir(path.join(home, ".linuxkit"), { recursive: true });
      await cp(cacheDir, path.join(home, ".linuxkit", "cache"), { recursive: true });
      await proxy.stop();
      const ours = path.join(work, "oci-empty");
      const yml = path.join(work, "big.yml");
      const res = await runCli(
        [
          "build",
          "--source",
          "registry",
          "--format",
          "tar",
          "--dir",
          path.join(work, "lk-out"),
          yml,
        ],
        { env: { ...cliEnv(), HOME: home, PULUMI_LINUXKIT_OCI_CACHE: ours } },
      );
      assert.equal(res.code, 0, res.stderr);
      assert.match(
        res.stdout,
        /warning: cannot reach 127\.0\.0\.1:\d+ .*ECONNREFUSED; using 127\.0\.0\.1:\d+\/lk\/big:v1 as last pulled \(sha256:[0-9a-f]{64}\)/,
      );
      assert.doesNotMatch(res.stdout, /Pull image/);
      const entries = await readTar(await readFile(path.join(work, "lk-out", "big.tar")));
      assert.equal(entries.find((e) => e.header.name === `${LOWER}/big.bin`)?.data.length, 3 << 20);
      const copied = await readdir(path.join(ours, "blobs", "sha256")).catch(() => [] as string[]);
      assert.deepEqual(copied, [], "layers were read in place, not copied");
    });
  },
);

/**
 * The offset of a byte in the middle of the largest `blobs/` member of a
 * ustar archive: flipping it changes a blob's content, never a header or
 * the padding, whatever order the export wrote its members in.
 */
function middleOfLargestBlob(tarBytes: Buffer): number {
  let best = { size: -1, at: -1 };
  for (let off = 0; off + 512 <= tarBytes.length;) {
    const header = tarBytes.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = header.toString("latin1", 0, 100).replace(/\0.*$/s, "");
    const prefix = header.toString("latin1", 345, 500).replace(/\0.*$/s, "");
    const size = parseInt(
      header.toString("latin1", 124, 136).replace(/\0.*$/s, "").trim() || "0",
      8,
    );
    const full = prefix === "" ? name : `${prefix}/${name}`;
    if (full.includes("blobs/") && size > best.size)
      best = { size, at: off + 512 + Math.floor(size / 2) };
    off += 512 + Math.ceil(size / 512) * 512;
  }
  assert.ok(best.at >= 0, "the exported cache holds a blob");
  return best.at;
}
