/**
 * The whole-build cache: a rebuild with nothing changed does no work
 * (nothing exported from the engine, artifacts and manifest untouched),
 * and everything that changes the bytes is a miss: `files` contents, the
 * bytes of a `files[].source`, an image tag moved to other content, an
 * artifact edited, truncated or deleted by hand, other formats or another
 * name. Real pipeline, real Docker engine, the local `linuxkit-test/*`
 * images; the tag this file moves is its own and is removed afterwards.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  mkdir,
  mkdtemp,
  readdir,
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
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import {
  build,
  planBuild,
  type BuildRequest,
  type BuildResult,
} from "../../components/pipeline/pipeline";
import { sha256File } from "../../components/pipeline/manifest";
import { loadSpecFiles } from "../../components/config";
import {
  DockerImageSource,
  type ImageSource,
  type ResolvedImage,
  type ResolveOptions,
} from "../../components/sources";
import { ensureTestImages } from "../helpers/boot";
import { fixture } from "../helpers/paths";

const execFileAsync = promisify(execFile);

/** A tag only this test process uses, moved between two test images. */
const PROBE = `linuxkit-test/cache-probe:t${process.pid}`;

/** The fixture with its service on {@link PROBE}, the tag the tests move. */
const YAML = readFileSync(fixture("builds", "cache-probe.yml"), "utf8").replace(
  "linuxkit-test/cache-probe:test",
  PROBE,
);

let work: string;
let projects = 0;

async function docker(...args: string[]): Promise<string> {
  return (await execFileAsync("docker", args)).stdout.trim();
}

before(async () => {
  await ensureTestImages();
  await docker("tag", "linuxkit-test/busybox:test", PROBE);
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-cache-"));
});

after(async () => {
  await docker("image", "rm", PROBE).catch(() => undefined); // untags only: the image keeps its :test tag
  await rm(work, { recursive: true, force: true });
});

/** Counts what the pipeline asks of the engine. */
class CountingSource implements ImageSource {
  resolves = 0;
  exports = 0;
  private readonly inner = new DockerImageSource();
  resolve(ref: string, options?: ResolveOptions): Promise<ResolvedImage> {
    this.resolves++;
    return this.inner.resolve(ref, options);
  }
  exportRootfs(image: ResolvedImage): Promise<Readable> {
    this.exports++;
    return this.inner.exportRootfs(image);
  }
}

/** A fresh folder with the YAML and its `app.conf`, and a request building it into `<folder>/out`. */
class Project {
  readonly dir: string;
  readonly yml: string;
  readonly conf: string;
  readonly outputDir: string;
  constructor() {
    this.dir = path.join(work, `p${++projects}`);
    this.yml = path.join(this.dir, "app.yml");
    this.conf = path.join(this.dir, "app.conf");
    this.outputDir = path.join(this.dir, "out");
  }
  async create(yaml = YAML): Promise<this> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.yml, yaml);
    await writeFile(this.conf, "listen 80\n");
    return this;
  }
  async request(extra: Partial<BuildRequest> = {}): Promise<BuildRequest> {
    const parsed = await loadSpecFiles([this.yml]);
    return {
      spec: parsed.spec,
      locations: parsed.locations,
      baseDir: this.dir,
      name: "app",
      outputDir: this.outputDir,
      ...extra,
    };
  }
  async build(
    extra: Partial<BuildRequest> = {},
  ): Promise<BuildResult & { source: CountingSource }> {
    const source = new CountingSource();
    return { ...(await build(await this.request({ source, ...extra }))), source };
  }
  async key(extra: Partial<BuildRequest> = {}): Promise<string> {
    return (await planBuild(await this.request(extra), { offline: true })).cacheKey;
  }
}

interface FileState {
  ino: number;
  mtimeMs: number;
  size: number;
}

/** Every entry of `dir` (manifest included) with inode, mtime and size. */
async function snapshot(dir: string): Promise<Record<string, FileState>> {
  const out: Record<string, FileState> = {};
  for (const name of (await readdir(dir)).sort()) {
    const s = await stat(path.join(dir, name));
    out[name] = { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size };
  }
  return out;
}

function artifactSha(r: BuildResult, file: string): string {
  const a = r.artifacts.find((x) => x.file === file);
  assert.ok(a, `${file} is an artifact`);
  return a.sha256;
}

describe("build cache", () => {
  it("an unchanged rebuild does no work: cached, nothing exported, artifacts and manifest untouched", async () => {
    const p = await new Project().create();
    const first = await p.build();
    assert.equal(first.cached, false);
    assert.ok(first.source.exports > 0, "the first build exported images");
    const before = await snapshot(p.outputDir);
    const lines: string[] = [];
    const second = await p.build({ log: (l) => lines.push(l) });
    assert.equal(second.cached, true);
    assert.equal(second.source.exports, 0, "no image was exported");
    assert.equal(second.cacheKey, first.cacheKey);
    assert.deepEqual(second.artifacts, first.artifacts);
    assert.deepEqual(
      await snapshot(p.outputDir),
      before,
      "same files, inodes, mtimes and sizes; no scratch left",
    );
    assert.match(lines.join("\n"), /Up to date/);
  });

  it("rewriting a files[].source with the same bytes (a new mtime) is still cached", async () => {
    const p = await new Project().create();
    const first = await p.build();
    const later = new Date(Date.now() + 60_000);
    await writeFile(p.conf, "listen 80\n");
    await utimes(p.conf, later, later);
    const second = await p.build();
    assert.equal(second.cached, true);
    assert.equal(second.cacheKey, first.cacheKey);
  });

  it("a change to a files entry's contents rebuilds, and the initrd changes", async () => {
    const p = await new Project().create();
    const first = await p.build();
    await writeFile(p.yml, YAML.replace('contents: "hello"', 'contents: "hello, again"'));
    const second = await p.build();
    assert.notEqual(second.cacheKey, first.cacheKey);
    assert.equal(second.cached, false);
    assert.ok(second.source.exports > 0, "images were exported again");
    assert.notEqual(artifactSha(second, "app-initrd.img"), artifactSha(first, "app-initrd.img"));
    assert.equal(
      artifactSha(second, "app-kernel"),
      artifactSha(first, "app-kernel"),
      "the kernel is the same bytes",
    );
  });

  it("a change to a files[].source file's bytes rebuilds", async () => {
    const p = await new Project().create();
    const first = await p.build();
    await writeFile(p.conf, "listen 8080\n");
    const second = await p.build();
    assert.notEqual(second.cacheKey, first.cacheKey);
    assert.equal(second.cached, false);
    assert.notEqual(artifactSha(second, "app-initrd.img"), artifactSha(first, "app-initrd.img"));
  });

  it("moving an image tag the YAML uses onto other content changes planBuild's key and rebuilds", async () => {
    const p = await new Project().create();
    const first = await p.build();
    const busyboxId = await docker(
      "image",
      "inspect",
      "--format",
      "{{.Id}}",
      "linuxkit-test/busybox:test",
    );
    const httpdId = await docker(
      "image",
      "inspect",
      "--format",
      "{{.Id}}",
      "linuxkit-test/httpd:test",
    );
    assert.notEqual(busyboxId, httpdId, "the two test images differ");
    assert.equal(first.images[PROBE], busyboxId);
    try {
      await docker("tag", "linuxkit-test/httpd:test", PROBE);
      const plan = await planBuild(await p.request(), { offline: true });
      assert.notEqual(plan.cacheKey, first.cacheKey, "the key follows the image id, not the tag");
      assert.equal(plan.imageIds[PROBE], httpdId);
      const second = await p.build();
      assert.equal(second.cached, false);
      assert.equal(second.cacheKey, plan.cacheKey);
      assert.equal(second.images[PROBE], httpdId);
      assert.notEqual(artifactSha(second, "app-initrd.img"), artifactSha(first, "app-initrd.img"));
    } finally {
      await docker("tag", "linuxkit-test/busybox:test", PROBE);
    }
    const back = await p.build();
    assert.equal(back.cacheKey, first.cacheKey, "moved back, the key is the first one again");
    assert.equal(
      back.cached,
      false,
      "the output folder holds the httpd build, so this builds again",
    );
    assert.equal(
      artifactSha(back, "app-initrd.img"),
      artifactSha(first, "app-initrd.img"),
      "and writes the first bytes",
    );
  });

  for (const [what, damage] of [
    ["truncated", (f: string) => truncate(f, 1000)],
    [
      "edited in place (same size)",
      async (f: string) => {
        const bytes = await readFile(f);
        bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
        await writeFile(f, bytes);
      },
    ],
    ["deleted", (f: string) => unlink(f)],
  ] as const) {
    it(`an artifact ${what} by hand forces a rebuild that restores it`, async () => {
      const p = await new Project().create();
      const first = await p.build();
      const initrd = path.join(p.outputDir, "app-initrd.img");
      await damage(initrd);
      const second = await p.build();
      assert.equal(second.cached, false);
      assert.equal(second.cacheKey, first.cacheKey);
      assert.equal(
        await sha256File(initrd),
        artifactSha(first, "app-initrd.img"),
        "the initrd has its recorded bytes again",
      );
      const third = await p.build();
      assert.equal(third.cached, true, "and the next build is cached again");
    });
  }

  it("formats and name are part of the key; the order of formats is not", async () => {
    const p = await new Project().create();
    const base = await p.key();
    assert.equal(base, await p.key({ formats: ["kernel+initrd"] }), "kernel+initrd is the default");
    const withTar = await p.key({ formats: ["kernel+initrd", "tar"] });
    assert.notEqual(withTar, base);
    assert.equal(await p.key({ formats: ["tar", "kernel+initrd"] }), withTar);
    assert.equal(await p.key({ formats: ["tar", "kernel+initrd", "tar"] }), withTar);
    assert.notEqual(await p.key({ formats: ["tar"] }), base);
    assert.notEqual(await p.key({ formats: ["tar"] }), withTar);
    assert.notEqual(await p.key({ name: "other" }), base);

    const first = await p.build();
    assert.equal(first.cacheKey, base);
    const second = await p.build({ formats: ["kernel+initrd", "tar"] });
    assert.equal(second.cached, false, "another set of formats into the same folder builds");
    assert.equal(second.cacheKey, withTar);
    assert.deepEqual(second.artifacts.map((a) => a.file).sort(), [
      "app-cmdline",
      "app-initrd.img",
      "app-kernel",
      "app.tar",
    ]);
    const third = await p.build({ formats: ["tar", "kernel+initrd"] });
    assert.equal(third.cached, true, "the same formats in another order are cached");
  });
});
