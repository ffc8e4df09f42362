/**
 * The registry source against real registries on loopback, with no Docker
 * engine: DOCKER_HOST points at a socket that does not exist for every
 * build here (the engine is used only beforehand, to read the local test
 * images and to make the reference build). Debian's docker-registry holds
 * the images, pushed by our own push code; a proxy in front of it answers
 * 429 or flips a byte on purpose; a second registry wants htpasswd Basic
 * auth, a third token auth from a token service written from the
 * distribution token spec.
 */
import { parseArch } from "../../../components/arch";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LinuxKitError } from "../../../components/errors/errors";
import { build, type BuildResult } from "../../../components/pipeline/pipeline";
import { loadSpecFiles, parseSpec } from "../../../components/config";
import { imageFields } from "../../../components/config/locations";
import {
  makeConfig,
  pushFromEngine,
  pushImage,
  pushManifest,
  MT,
  type Target,
} from "../../helpers/oci-push";
import { fixture } from "../../helpers/paths";
import { TestRegistry } from "../../helpers/registry";
import { RegistryProxy } from "../../helpers/registry-proxy";
import { TokenRegistry } from "../../helpers/token-registry";
import { readTar, tarBuffer } from "../../helpers/tar-kit";

/** Built from the engine and from the registry, compared byte for byte. */
const FIXTURES = ["nginx-like.yml", "docker-sshd-like.yml"];
const NO_ENGINE = "unix:///nonexistent/pulumi-linuxkit-test/docker.sock";
const USER = "lk-user";
const PASSWORD = "s3cret-pass";

let work: string;
let hub: TestRegistry; // stands in for Docker Hub, as a mirror
let open: TestRegistry;
let proxy: RegistryProxy;
let locked: TestRegistry;
let token: TokenRegistry;
const saved = { ...process.env };

const t = (host: string, headers?: Record<string, string>): Target => ({
  base: `http://${host}`,
  headers,
});
const basic = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` };

async function sha256(file: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

/** A one-layer image with `files`; returns its manifest digest, config digest and layer digest. */
async function pushMadeUp(
  target: Target,
  repo: string,
  tag: string,
  files: Record<string, string>,
  arch = "amd64",
) {
  const layer = await tarBuffer(Object.entries(files).map(([name, data]) => ({ name, data })));
  const pushed = await pushImage(target, repo, tag, makeConfig(arch, [layer]), [layer]);
  return {
    digest: pushed.digest,
    id: pushed.configDigest,
    layer: pushed.layers[0]!.digest,
    desc: pushed,
  };
}

const onboot = (image: string): string =>
  `onboot:\n  - name: app\n    image: ${image}\n    command: ["/bin/true"]\n`;
const LOWER = "containers/onboot/000-app/lower";

/** Builds `yaml` (tar) from the registries only; returns the tar's files. */
async function buildTar(
  yaml: string,
  name: string,
  extra: { arch?: string; cache?: string } = {},
): Promise<Map<string, string>> {
  const parsed = parseSpec(yaml, `${name}.yml`);
  const out = path.join(work, name);
  await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: work,
    name,
    outputDir: out,
    formats: ["tar"],
    noCache: true,
    sourceKind: "registry",
    arch: extra.arch === undefined ? undefined : parseArch(extra.arch),
    ociCacheDir: extra.cache ?? path.join(work, "oci"),
  });
  const entries = await readTar(await readFile(path.join(out, `${name}.tar`)));
  return new Map(
    entries.filter((e) => e.header.type === "file").map((e) => [e.header.name, e.data.toString()]),
  );
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-regsrc-"));
  [hub, open, locked, token] = await Promise.all([
    TestRegistry.start(),
    TestRegistry.start(),
    TestRegistry.start({ credentials: { username: USER, password: PASSWORD } }),
    TokenRegistry.start(USER, PASSWORD),
  ]);
  proxy = await RegistryProxy.start(open.host);
  // Every image of the fixtures, under its own name, on the "hub".
  const refs = new Set<string>();
  for (const f of FIXTURES) {
    const { spec } = await loadSpecFiles([fixture("e2e", f)]);
    for (const [, r] of imageFields(spec)) refs.add(r);
  }
  for (const ref of refs) {
    const [repo, tag] = ref.split(":") as [string, string];
    await pushFromEngine(t(hub.host), ref, repo, tag);
  }
  process.env.PULUMI_LINUXKIT_EXPORT_CACHE = "0"; // no tree shared between the sources: each reads its own
  process.env.PULUMI_LINUXKIT_REGISTRY_MIRRORS = `http://${hub.host}`;
  process.env.DOCKER_CONFIG = path.join(work, "no-docker-config");
});

after(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await proxy?.stop();
  await Promise.all([hub?.stop(), open?.stop(), locked?.stop(), token?.stop()]);
  await rm(work, { recursive: true, force: true });
});

describe(
  "no engine: the fixtures from a registry, byte-identical to the engine's build",
  { timeout: 600_000 },
  () => {
    const engine = new Map<string, BuildResult>();
    const request = async (f: string) => {
      const { spec, locations } = await loadSpecFiles([fixture("e2e", f)]);
      return {
        spec,
        locations,
        baseDir: path.dirname(fixture("e2e", f)),
        name: f.replace(/\.yml$/, ""),
        noCache: true,
      };
    };

    before(async () => {
      for (const f of FIXTURES) {
        engine.set(
          f,
          await build({
            ...(await request(f)),
            outputDir: path.join(work, "engine", f),
            sourceKind: "docker",
          }),
        );
      }
      process.env.DOCKER_HOST = NO_ENGINE;
    });

    for (const f of FIXTURES) {
      it(`${f}: auto finds no engine, says so, pulls through the Docker Hub mirror; every artifact byte-identical`, async () => {
        const logs: string[] = [];
        const want = engine.get(f)!;
        const result = await build({
          ...(await request(f)),
          outputDir: path.join(work, "registry", f),
          ociCacheDir: path.join(work, "oci-fixtures"),
          log: (l) => logs.push(l),
        });
        const said = logs.find((l) => l.startsWith("Images:"));
        assert.match(
          said ?? "",
          /from their registries .*auto: no Docker engine answers at unix:\/\/\/nonexistent/,
        );
        assert.deepEqual(
          result.images,
          want.images,
          "the same image ids (config digests) as the engine's",
        );
        assert.equal(result.cacheKey, want.cacheKey);
        assert.deepEqual(
          result.artifacts.map((a) => a.file).sort(),
          want.artifacts.map((a) => a.file).sort(),
        );
        for (const a of want.artifacts) {
          const b = result.artifacts.find((x) => x.file === a.file)!;
          assert.equal(await sha256(b.path), await sha256(a.path), `${a.file} is byte-identical`);
        }
        const index = JSON.parse(
          await readFile(path.join(work, "oci-fixtures", "index.json"), "utf8"),
        );
        const names = index.manifests.map(
          (m: { annotations: Record<string, string> }) =>
            m.annotations["org.opencontainers.image.ref.name"],
        );
        assert.ok(names.includes("docker.io/linuxkit-test/kernel:test"), names.join(", "));
      });
    }
  },
);

describe("--cache-repo: finished builds shared through a registry", { timeout: 300_000 }, () => {
  it("a build pushes its artifacts; a build from an empty cache pulls them, with no image layer pulled, same bytes", async () => {
    process.env.DOCKER_HOST = NO_ENGINE;
    const f = "nginx-like.yml";
    const { spec, locations } = await loadSpecFiles([fixture("e2e", f)]);
    const req = {
      spec,
      locations,
      baseDir: path.dirname(fixture("e2e", f)),
      name: "nginx-like",
      sourceKind: "registry" as const,
    };
    const cacheRepo = `${open.host}/lk/builds`;
    const logs: string[] = [];
    const first = await build({
      ...req,
      outputDir: path.join(work, "repo-first"),
      ociCacheDir: path.join(work, "oci-repo-1"),
      cacheRepo,
      log: (l) => logs.push(l),
    });
    assert.equal(first.fromCacheRepo, undefined);
    assert.ok(
      logs.some((l) => l.startsWith("Cache repo: no build of this content")),
      logs.join("\n"),
    );
    assert.ok(
      logs.some((l) =>
        /^Pushed 3 artifact\(s\) to cache repo 127\.0\.0\.1:\d+\/lk\/builds:lk-/.test(l),
      ),
      logs.join("\n"),
    );

    const emptyCache = path.join(work, "oci-repo-2");
    const second = await build({
      ...req,
      outputDir: path.join(work, "repo-second"),
      ociCacheDir: emptyCache,
      cacheRepo,
    });
    assert.equal(second.fromCacheRepo, true);
    assert.equal(second.cacheKey, first.cacheKey);
    for (const a of first.artifacts) {
      const b = second.artifacts.find((x) => x.file === a.file)!;
      assert.equal(await sha256(b.path), await sha256(a.path), `${a.file} is byte-identical`);
    }
    // Only documents (manifests, configs: what the content key needs) were fetched, no layer.
    for (const hex of await readdir(path.join(emptyCache, "blobs", "sha256"))) {
      const bytes = await readFile(path.join(emptyCache, "blobs", "sha256", hex));
      assert.doesNotThrow(
        () => JSON.parse(bytes.toString("utf8")),
        `blob ${hex} is a JSON document, not a layer`,
      );
    }
  });
});

describe("pulls from a registry without engine", { timeout: 180_000 }, () => {
  before(() => {
    process.env.DOCKER_HOST = NO_ENGINE;
  });

  it("by tag and by digest", async () => {
    const img = await pushMadeUp(t(open.host), "lk/app", "v1", {
      "hello.txt": "by tag and digest\n",
    });
    const byTag = await buildTar(onboot(`${open.host}/lk/app:v1`), "by-tag");
    assert.equal(byTag.get(`${LOWER}/hello.txt`), "by tag and digest\n");
    const byDigest = await buildTar(onboot(`${open.host}/lk/app@${img.digest}`), "by-digest", {
      cache: path.join(work, "oci-digest"),
    });
    assert.equal(byDigest.get(`${LOWER}/hello.txt`), "by tag and digest\n");
  });

  it("a multi-platform index: amd64 by default, arm64 when asked", async () => {
    const amd = await pushMadeUp(t(open.host), "lk/multi", "amd64-only", { "arch.txt": "amd64\n" });
    const arm = await pushMadeUp(
      t(open.host),
      "lk/multi",
      "arm64-only",
      { "arch.txt": "arm64\n" },
      "arm64",
    );
    await pushManifest(
      t(open.host),
      "lk/multi",
      "v1",
      {
        schemaVersion: 2,
        mediaType: MT.ociIndex,
        manifests: [
          {
            mediaType: MT.manifest,
            digest: arm.digest,
            size: arm.desc.size,
            platform: { os: "linux", architecture: "arm64", variant: "v8" },
          },
          {
            mediaType: MT.manifest,
            digest: amd.digest,
            size: amd.desc.size,
            platform: { os: "linux", architecture: "amd64" },
          },
        ],
      },
      MT.ociIndex,
    );
    const files = await buildTar(onboot(`${open.host}/lk/multi:v1`), "multi");
    assert.equal(files.get(`${LOWER}/arch.txt`), "amd64\n");
    const armFiles = await buildTar(onboot(`${open.host}/lk/multi:v1`), "multi-arm", {
      arch: "arm64",
    });
    assert.equal(armFiles.get(`${LOWER}/arch.txt`), "arm64\n");
    await assert.rejects(
      buildTar(onboot(`${open.host}/lk/multi:v1`), "multi-s390", { arch: "s390x" }),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError);
        // An architecture the build cannot make is refused before any pull
        // (a missing variant of a supported one is selectPlatform's unit test).
        assert.match(e.message, /unknown architecture "s390x"/);
        return true;
      },
    );
  });

  it("a tampered blob: an error naming the image and the digest, and nothing cached", async () => {
    const img = await pushMadeUp(t(open.host), "lk/tampered", "v1", {
      "data.bin": "x".repeat(100_000),
    });
    proxy.tamper(img.layer);
    const cache = path.join(work, "oci-tamper");
    const ref = `${proxy.host}/lk/tampered:v1`;
    try {
      await assert.rejects(buildTar(onboot(ref), "tampered", { cache }), (e: unknown) => {
        assert.ok(e instanceof LinuxKitError, String(e));
        assert.equal(e.code, "IMAGE_PULL");
        assert.equal(e.image, ref);
        assert.ok(e.message.includes(ref), e.message);
        assert.ok(e.message.includes(img.layer), e.message);
        assert.match(e.message, /does not match its digest.*nothing was cached/);
        return true;
      });
    } finally {
      proxy.untamper();
    }
    const blobs = await readdir(path.join(cache, "blobs", "sha256"));
    assert.ok(!blobs.includes(img.layer.slice(7)), "the bad layer is not in the cache");
    assert.deepEqual(await readdir(path.join(cache, "tmp")), [], "no temp file left");
    const index = await readFile(path.join(cache, "index.json"), "utf8").catch(() => "");
    assert.ok(!index.includes("lk/tampered"), "the image is not named in the cache");
    // and with honest bytes, the same cache builds
    const files = await buildTar(onboot(ref), "untampered", { cache });
    assert.equal(files.get(`${LOWER}/data.bin`)?.length, 100_000);
  });

  it("429 with Retry-After, then success", async () => {
    await pushMadeUp(t(open.host), "lk/busy", "v1", { "ok.txt": "after 429\n" });
    proxy.fail(/\/v2\/lk\/busy\/manifests\/v1$/, 429, 2, "1");
    const started = Date.now();
    const files = await buildTar(onboot(`${proxy.host}/lk/busy:v1`), "busy", {
      cache: path.join(work, "oci-busy"),
    });
    assert.equal(files.get(`${LOWER}/ok.txt`), "after 429\n");
    const seen = proxy.requests
      .filter((r) => r.path === "/v2/lk/busy/manifests/v1")
      .map((r) => r.status);
    assert.deepEqual(seen.slice(0, 3), [429, 429, 200]);
    assert.ok(Date.now() - started >= 2000, "Retry-After: 1 was waited twice");
  });

  it("401: an error naming the registry and how to log in", async () => {
    await pushMadeUp(t(locked.host, basic), "lk/private", "v1", { "secret.txt": "behind auth\n" });
    const ref = `${locked.host}/lk/private:v1`;
    await assert.rejects(buildTar(onboot(ref), "denied"), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError, String(e));
      assert.equal(e.code, "IMAGE_PULL");
      assert.equal(e.line, 3, "the line of `image:` in the YAML");
      assert.ok(e.message.includes(`${locked.host} refused to let ${ref} be pulled`), e.message);
      assert.ok(e.hint?.includes(`docker login ${locked.host}`), e.hint);
      return true;
    });
  });

  it("credentials from a credential helper on PATH (credHelpers)", async () => {
    const bin = path.join(work, "bin");
    await mkdir(bin, { recursive: true });
    const calls = path.join(work, "helper-calls");
    await writeFile(
      path.join(bin, "docker-credential-lktest"),
      `#!/bin/sh\nread server\necho "$1 $server" >> ${calls}\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"\n`,
    );
    await chmod(path.join(bin, "docker-credential-lktest"), 0o755);
    const config = path.join(work, "docker-helper");
    await mkdir(config, { recursive: true });
    await writeFile(
      path.join(config, "config.json"),
      JSON.stringify({ credHelpers: { [locked.host]: "lktest" } }),
    );
    process.env.DOCKER_CONFIG = config;
    process.env.PATH = `${bin}:${saved.PATH}`;
    try {
      const files = await buildTar(onboot(`${locked.host}/lk/private:v1`), "helper", {
        cache: path.join(work, "oci-helper"),
      });
      assert.equal(files.get(`${LOWER}/secret.txt`), "behind auth\n");
      assert.equal((await readFile(calls, "utf8")).trim(), `get ${locked.host}`);
    } finally {
      process.env.DOCKER_CONFIG = path.join(work, "no-docker-config");
      process.env.PATH = saved.PATH;
    }
  });

  it("token auth: a Bearer token from the registry's token service, with credentials from the Docker config", async () => {
    const repo = "lk/tokened";
    await pushMadeUp(t(token.host, await token.pushHeaders(repo, USER, PASSWORD)), repo, "v1", {
      "t.txt": "token auth\n",
    });
    const config = path.join(work, "docker-token");
    await mkdir(config, { recursive: true });
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
    await writeFile(
      path.join(config, "config.json"),
      JSON.stringify({ auths: { [token.host]: { auth } } }),
    );
    process.env.DOCKER_CONFIG = config;
    try {
      const before = token.tokenRequests.length;
      const files = await buildTar(onboot(`${token.host}/${repo}:v1`), "tokened", {
        cache: path.join(work, "oci-token"),
      });
      assert.equal(files.get(`${LOWER}/t.txt`), "token auth\n");
      const asked = token.tokenRequests.slice(before);
      assert.ok(
        asked.some((r) => r.authorized && r.scope === `repository:${repo}:pull`),
        JSON.stringify(asked),
      );
    } finally {
      process.env.DOCKER_CONFIG = path.join(work, "no-docker-config");
    }
    // without credentials the token grants nothing, and the registry refuses
    await assert.rejects(
      buildTar(onboot(`${token.host}/${repo}:v1`), "tokened-anon", {
        cache: path.join(work, "oci-token2"),
      }),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError && e.code === "IMAGE_PULL", String(e));
        assert.ok(e.hint?.includes(`docker login ${token.host}`));
        return true;
      },
    );
  });
});
