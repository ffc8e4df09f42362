/**
 * Same inputs, same bytes: building the same YAML twice, with the cache
 * off, into different directories, from different working directories,
 * through the library or the command line, gives byte-identical artifacts
 * in every reproducible format (kernel+initrd, tar, tar-kernel-initrd).
 * The time of the build, where the output goes and where a `files[].source`
 * lives (its mtime and mode included) never reach the bytes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { build, type BuildResult } from "../../components/pipeline/pipeline";
import { loadSpecFiles } from "../../components/config";
import { ensureTestImages } from "../helpers/boot";
import { runCli } from "../helpers/cli";
import { fixture } from "../helpers/paths";

const FORMATS = ["kernel+initrd", "tar", "tar-kernel-initrd"];

let work: string;

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-determinism-"));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** File name → sha256 of every artifact file in `dir` (read from disk, not from the manifest). */
async function digests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith(".")) continue; // the build manifest
    out[name] = await sha256(path.join(dir, name));
  }
  return out;
}

async function buildYaml(yml: string, name: string, outputDir: string): Promise<BuildResult> {
  const parsed = await loadSpecFiles([yml]);
  return build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: path.dirname(yml),
    name,
    outputDir,
    formats: FORMATS,
    noCache: true,
  });
}

/** The artifact files every format must have written for `name`. */
const EXPECTED_FILES = (name: string): string[] =>
  [
    `${name}-cmdline`,
    `${name}-initrd.img`,
    `${name}-initrd.tar`,
    `${name}-kernel`,
    `${name}.tar`,
  ].sort();

for (const name of ["nginx-like", "docker-sshd-like"]) {
  describe(`${name}.yml built twice with the cache off`, () => {
    const yml = fixture("e2e", `${name}.yml`);
    let first: BuildResult;
    let firstDigests: Record<string, string>;

    before(async () => {
      first = await buildYaml(yml, name, path.join(work, name, "first"));
      firstDigests = await digests(first.outputDir);
    });

    it("writes every format's artifacts", () => {
      assert.deepEqual(Object.keys(firstDigests), EXPECTED_FILES(name));
      assert.equal(first.cached, false);
    });

    it("into another directory (another name, depth and moment) gives byte-identical artifacts", async () => {
      const second = await buildYaml(
        yml,
        name,
        path.join(work, name, "a-different", "output-folder"),
      );
      assert.equal(second.cached, false, "noCache builds again");
      assert.deepEqual(await digests(second.outputDir), firstDigests);
      assert.deepEqual(
        second.artifacts.map((a) => [a.format, a.file, a.size, a.sha256]),
        first.artifacts.map((a) => [a.format, a.file, a.size, a.sha256]),
        "the manifests agree too",
      );
      assert.equal(
        second.cacheKey,
        first.cacheKey,
        "the content key does not depend on the output directory",
      );
    });

    if (name === "nginx-like") {
      it("through the command line, from another working directory with relative paths, gives the same bytes", async () => {
        const cwd = path.join(work, name, "elsewhere");
        await mkdir(cwd, { recursive: true });
        const r = await runCli(
          [
            "build",
            "--no-cache",
            ...FORMATS.flatMap((f) => ["--format", f]),
            "--dir",
            "out",
            "--name",
            name,
            path.relative(cwd, yml),
          ],
          { cwd },
        );
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await digests(path.join(cwd, "out")), firstDigests);
      });
    }
  });
}

describe("files[].source: only the bytes count", () => {
  const YAML = readFileSync(fixture("builds", "app-conf-source.yml"), "utf8");

  async function project(dir: string, mode: number, mtime: Date): Promise<string> {
    await mkdir(dir, { recursive: true });
    const yml = path.join(dir, "app.yml");
    await writeFile(yml, YAML);
    await writeFile(path.join(dir, "app.conf"), "listen 80\n");
    await chmod(path.join(dir, "app.conf"), mode);
    await utimes(path.join(dir, "app.conf"), mtime, mtime);
    return yml;
  }

  it("the same YAML and source in two folders, with different source mtimes and modes, build the same bytes", async () => {
    const a = await project(path.join(work, "src-a"), 0o644, new Date("2001-02-03T04:05:06Z"));
    const b = await project(
      path.join(work, "somewhere", "else", "src-b"),
      0o600,
      new Date("2024-06-07T08:09:10Z"),
    );
    const ra = await buildYaml(a, "app", path.join(work, "src-a-out"));
    const rb = await buildYaml(b, "app", path.join(work, "src-b-out"));
    const da = await digests(ra.outputDir);
    assert.deepEqual(Object.keys(da), EXPECTED_FILES("app"));
    assert.deepEqual(await digests(rb.outputDir), da);
  });
});
