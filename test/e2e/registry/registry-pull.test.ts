/**
 * Pulls from a real registry: Debian's docker-registry on 127.0.0.1 (one
 * open, one behind htpasswd auth). Each image is imported into the engine,
 * pushed, and removed from the engine again, so the build has to pull it:
 * by tag and by `@sha256:` digest, with credentials from a Docker config
 * file. A tag moved on the registry shows as a change in the Image
 * provider's diff and the update builds the new content. A registry that
 * refuses, or a digest it does not have, is an error naming the image and
 * the YAML line.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LinuxKitError } from "../../../components/errors/errors";
import { build } from "../../../components/pipeline/pipeline";
import { parseSpec } from "../../../components/config";
import type { PullProgress } from "../../../components/sources/image-source";
import { imageProvider, type ImageOutputs } from "../../../components/pulumi/image/image-provider";
import type { ImageInputs } from "../../../components/pulumi/image/image-inputs";
import { docker, TestRegistry, writeDockerConfig } from "../../helpers/registry";
import { readTar, tarBuffer } from "../../unit/rootfs/helpers/tar";

const USER = "lk-user";
const PASSWORD = "s3cret-pass";

let work: string;
let open: TestRegistry;
let locked: TestRegistry;
/** A Docker client config folder holding the right credentials for `locked`. */
let goodConfig: string;
const savedDockerConfig = process.env.DOCKER_CONFIG;

/** Every reference this file put into the engine, removed at the end. */
const created: string[] = [];

/** `docker import`s a one-file image as `ref` (content unique to this run); returns its id. */
async function importImage(ref: string, file: string, content: string): Promise<string> {
  created.push(ref);
  const tar = await tarBuffer([
    { name: file, data: content },
    { name: "run-id", data: `${process.pid}-${Date.now()}\n` },
  ]);
  await new Promise<void>((resolve, reject) => {
    const child = spawn("docker", ["import", "-", ref], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(stderr))));
    child.stdin.end(tar);
  });
  return docker(["image", "inspect", "--format", "{{.Id}}", ref]);
}

/** Pushes `ref` and removes it from the engine; returns its `name@sha256:` digest. */
async function pushAndForget(ref: string, configDir?: string): Promise<string> {
  await docker(["push", ref], configDir);
  const digest = await docker(["image", "inspect", "--format", "{{index .RepoDigests 0}}", ref]);
  await docker(["rmi", "-f", ref]);
  return digest;
}

async function inEngine(ref: string): Promise<boolean> {
  return docker(["image", "inspect", ref]).then(
    () => true,
    () => false,
  );
}

/** Builds `yaml` (format tar) and returns the tar's entries by name, with the pull progress seen. */
async function buildYaml(
  yaml: string,
  name: string,
): Promise<{ files: Map<string, string>; progress: PullProgress[] }> {
  const parsed = parseSpec(yaml, `${name}.yml`);
  const progress: PullProgress[] = [];
  const out = path.join(work, name);
  await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: work,
    name,
    outputDir: out,
    formats: ["tar"],
    noCache: true,
    onPullProgress: (p) => progress.push(p),
  });
  const entries = await readTar(await readFile(path.join(out, `${name}.tar`)));
  const files = new Map(
    entries.filter((e) => e.header.type === "file").map((e) => [e.header.name, e.data.toString()]),
  );
  return { files, progress };
}

const onboot = (image: string): string =>
  `# pulled from a test registry\nonboot:\n  - name: app\n    image: ${image}\n    command: ["/bin/true"]\n`;
const LOWER = "containers/onboot/000-app/lower";

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-registry-"));
  open = await TestRegistry.start();
  locked = await TestRegistry.start({ credentials: { username: USER, password: PASSWORD } });
  goodConfig = path.join(work, "docker-good");
  await writeDockerConfig(goodConfig, locked.host, USER, PASSWORD);
});

after(async () => {
  if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = savedDockerConfig;
  for (const ref of created) await docker(["rmi", "-f", ref]).catch(() => undefined);
  // and what the builds pulled (superseded tags and digests stay as untagged images)
  for (const host of [open?.host, locked?.host]) {
    if (host === undefined) continue;
    const ids = await docker(["images", "-q", "--filter", `reference=${host}/*/*`]).catch(() => "");
    for (const id of new Set(ids.split("\n").filter((l) => l !== ""))) {
      await docker(["rmi", "-f", id]).catch(() => undefined);
    }
  }
  await open?.stop();
  await locked?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("pulls from an open registry", { timeout: 120_000 }, () => {
  it("by tag: the build pulls the image it does not have, reports progress, and uses its content", async () => {
    const ref = `${open.host}/lk/app:v1-${process.pid}`;
    await importImage(ref, "hello.txt", "from the registry, by tag\n");
    await pushAndForget(ref);
    assert.equal(await inEngine(ref), false, "the engine no longer has it");

    const { files, progress } = await buildYaml(onboot(ref), "by-tag");
    assert.equal(files.get(`${LOWER}/hello.txt`), "from the registry, by tag\n");
    assert.ok(await inEngine(ref), "the build pulled it into the engine");
    const statuses = progress.map((p) => p.status).join("\n");
    assert.ok(
      progress.every((p) => p.ref === ref),
      "progress names the image",
    );
    assert.match(statuses, /Pulling from lk\/app/, statuses);
    assert.match(statuses, /Downloaded newer image for/, statuses);
  });

  it("by @sha256 digest: the build pulls exactly that manifest", async () => {
    const ref = `${open.host}/lk/app:digest-${process.pid}`;
    await importImage(ref, "hello.txt", "from the registry, by digest\n");
    const digest = await pushAndForget(ref);
    assert.match(digest, /^127\.0\.0\.1:\d+\/lk\/app@sha256:[0-9a-f]{64}$/);

    created.push(digest);
    const { files, progress } = await buildYaml(onboot(digest), "by-digest");
    assert.equal(files.get(`${LOWER}/hello.txt`), "from the registry, by digest\n");
    assert.ok(progress.length > 0, "a pull was reported");
    assert.ok(await inEngine(digest));
  });

  it("a digest the registry does not have: IMAGE_NOT_FOUND naming the image and the YAML line", async () => {
    const missing = `${open.host}/lk/app@sha256:${"1".repeat(64)}`;
    await assert.rejects(buildYaml(onboot(missing), "no-such-digest"), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError, String(e));
      assert.equal(e.code, "IMAGE_NOT_FOUND", e.message);
      assert.equal(e.image, missing);
      assert.equal(e.file, "no-such-digest.yml");
      assert.equal(e.line, 4, "the line of `image:` in the YAML");
      assert.match(e.message, /onboot\[0\]\.image/);
      assert.match(e.message, new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      return true;
    });
  });
});

describe("a tag moved on the registry, through the Image provider", { timeout: 180_000 }, () => {
  const ref = (): string => `${open.host}/lk/moving:stable-${process.pid}`;
  let inputs: ImageInputs;
  let first: ImageOutputs;
  let v1: string;
  let v2: string;

  before(async () => {
    v1 = await importImage(ref(), "version.txt", "v1\n");
    await pushAndForget(ref());
    inputs = {
      configYaml: onboot(ref()),
      name: "moving",
      outputDir: path.join(work, "moving-out"),
      formats: ["tar"],
      arch: "amd64",
    };
    first = (await imageProvider.create(inputs)).outs;
  });

  it("create pulled v1", () => {
    assert.equal(first.images[ref()], v1);
  });

  it("with nothing moved, diff reports no change", async () => {
    assert.deepEqual(await imageProvider.diff("moving", first, inputs), { changes: false });
  });

  it("after v2 is pushed under the same tag, diff reports a change of images, and update builds v2", async () => {
    v2 = await importImage(ref(), "version.txt", "v2\n");
    assert.notEqual(v2, v1);
    await pushAndForget(ref());
    const diff = await imageProvider.diff("moving", first, inputs);
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, ["images"]);

    const { outs } = await imageProvider.update("moving", first, inputs);
    assert.equal(outs.images[ref()], v2, "the update pulled the moved tag");
    assert.notEqual(outs.contentHash, first.contentHash);
    const tar = path.resolve(outs.artifacts.find((a) => a.format === "tar")!.path);
    const entries = await readTar(await readFile(tar));
    const version = entries.find((e) => e.header.name === `${LOWER}/version.txt`);
    assert.equal(version?.data.toString(), "v2\n");
    assert.deepEqual(await imageProvider.diff("moving", outs, inputs), { changes: false });
  });
});

describe("pulls from a registry with htpasswd auth", { timeout: 120_000 }, () => {
  let ref: string;

  before(async () => {
    ref = `${locked.host}/lk/private:v1-${process.pid}`;
    await importImage(ref, "secret.txt", "behind auth\n");
    await pushAndForget(ref, goodConfig);
  });

  it("the registry refuses anonymous reads (the auth is real)", async () => {
    assert.equal(await locked.status("/v2/"), 401);
  });

  it("with credentials from the Docker config file (DOCKER_CONFIG), the build pulls", async () => {
    process.env.DOCKER_CONFIG = goodConfig;
    try {
      const { files } = await buildYaml(onboot(ref), "auth-good");
      assert.equal(files.get(`${LOWER}/secret.txt`), "behind auth\n");
    } finally {
      await docker(["rmi", "-f", ref]).catch(() => undefined);
      delete process.env.DOCKER_CONFIG;
    }
  });

  for (const [what, password] of [
    ["wrong credentials", "not-the-password"],
    ["no credentials", undefined],
  ] as const) {
    it(`with ${what}: IMAGE_PULL naming the image, the YAML line and what to do`, async () => {
      const dir = path.join(work, `docker-${password ?? "none"}`);
      if (password !== undefined) await writeDockerConfig(dir, locked.host, USER, password);
      process.env.DOCKER_CONFIG = dir;
      try {
        await assert.rejects(buildYaml(onboot(ref), "auth-bad"), (e: unknown) => {
          assert.ok(e instanceof LinuxKitError, String(e));
          assert.equal(e.code, "IMAGE_PULL", e.message);
          assert.equal(e.image, ref);
          assert.equal(e.file, "auth-bad.yml");
          assert.equal(e.line, 4);
          assert.match(e.message, /onboot\[0\]\.image/);
          assert.match(e.message, /unauthorized|authentication required|no basic auth/i);
          assert.match(e.hint ?? "", /credentials|docker login/);
          assert.doesNotMatch(`${e.message} ${e.hint}`, new RegExp(PASSWORD));
          return true;
        });
      } finally {
        delete process.env.DOCKER_CONFIG;
      }
    });
  }
});
