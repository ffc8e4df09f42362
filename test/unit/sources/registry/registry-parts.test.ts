/**
 * The registry source's small parts: WWW-Authenticate parsing, platform
 * choice in an index, Retry-After, endpoints (mirrors, HTTPS, loopback and
 * insecure HTTP), the concurrency limit, and Docker credentials looked up
 * as the docker CLI does (credHelpers, then credsStore, then auths) through
 * real helper programs on PATH.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { registryAuthFor } from "../../../../components/sources/docker-auth";
import { Limiter } from "../../../../components/sources/registry/limiter";
import { selectPlatform, platformFor } from "../../../../components/sources/registry/platform";
import { retryAfterMs } from "../../../../components/sources/registry/registry-client";
import {
  endpointsFor,
  isLoopbackHost,
} from "../../../../components/sources/registry/registry-endpoints";
import { parseChallenges } from "../../../../components/sources/registry/www-authenticate";

describe("parseChallenges", () => {
  it("reads Docker Hub's Bearer challenge", () => {
    assert.deepEqual(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
      ),
      [
        {
          scheme: "bearer",
          params: {
            realm: "https://auth.docker.io/token",
            service: "registry.docker.io",
            scope: "repository:library/alpine:pull",
          },
        },
      ],
    );
  });
  it("reads several challenges, escapes and unquoted values", () => {
    assert.deepEqual(
      parseChallenges(
        'Basic realm="a \\"b\\"", Bearer realm=https://x/t, error="insufficient_scope"',
      ),
      [
        { scheme: "basic", params: { realm: 'a "b"' } },
        { scheme: "bearer", params: { realm: "https://x/t", error: "insufficient_scope" } },
      ],
    );
  });
});

describe("selectPlatform", () => {
  const d = (architecture: string, variant?: string, os = "linux") => ({
    mediaType: "m",
    digest: `sha256:${architecture}${variant ?? ""}${os}`,
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const list = [d("unknown", undefined, "unknown"), d("arm", "v7"), d("arm64", "v8"), d("amd64")];
  it("amd64 by default; arm64 prefers v8 and takes an entry without variant", () => {
    assert.equal(selectPlatform(list, platformFor("amd64"))?.digest, "sha256:amd64linux");
    assert.equal(selectPlatform(list, platformFor("arm64"))?.digest, "sha256:arm64v8linux");
    assert.equal(selectPlatform([d("arm64")], platformFor("arm64"))?.digest, "sha256:arm64linux");
    assert.equal(selectPlatform(list, platformFor("s390x")), undefined);
  });
});

describe("retryAfterMs", () => {
  it("seconds, an HTTP date, or nothing", () => {
    assert.equal(retryAfterMs("3"), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
  });
});

describe("endpointsFor", () => {
  it("Docker Hub's API host after its mirrors; HTTP only for loopback or listed registries", () => {
    const settings = {
      mirrors: ["https://mirror.example", "http://127.0.0.1:5000", "http://plain.example"],
      insecure: ["lan.example:5000"],
    };
    assert.deepEqual(
      endpointsFor("docker.io", settings).map((e) => e.base),
      ["https://mirror.example", "http://127.0.0.1:5000", "https://registry-1.docker.io"],
    );
    assert.equal(endpointsFor("ghcr.io", settings)[0]!.base, "https://ghcr.io");
    assert.equal(endpointsFor("ghcr.io", settings).length, 1, "mirrors are for Docker Hub only");
    assert.equal(endpointsFor("lan.example:5000", settings)[0]!.base, "http://lan.example:5000");
    assert.equal(endpointsFor("localhost:5000", settings)[0]!.base, "http://localhost:5000");
    assert.ok(
      isLoopbackHost("127.0.0.2:80") &&
        isLoopbackHost("[::1]:5000") &&
        !isLoopbackHost("10.0.0.1:5000"),
    );
  });
});

describe("Limiter", () => {
  it("never runs more than its limit at once", async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 7 }, () =>
        limiter.run(async () => {
          most = Math.max(most, ++running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    assert.equal(most, 2);
  });
});

describe("registryAuthFor with credential helpers", () => {
  let dir: string;
  const saved = { PATH: process.env.PATH, DOCKER_CONFIG: process.env.DOCKER_CONFIG };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-credhelpers-"));
    await mkdir(path.join(dir, "bin"));
    for (const [name, user] of [
      ["one", "helper-one"],
      ["store", "<token>"],
    ] as const) {
      await writeFile(
        path.join(dir, "bin", `docker-credential-${name}`),
        `#!/bin/sh\nread server\necho "$server" >> ${dir}/${name}.calls\ncase "$server" in *nothing*) echo "credentials not found in native keychain"; exit 1;; esac\n` +
          `printf '{"ServerURL":"%s","Username":"${user}","Secret":"secret-of-${name}"}' "$server"\n`,
      );
      await chmod(path.join(dir, "bin", `docker-credential-${name}`), 0o755);
    }
    process.env.PATH = `${path.join(dir, "bin")}:${saved.PATH}`;
    process.env.DOCKER_CONFIG = dir;
    await writeFile(
      path.join(dir, "config.json"),
      JSON.stringify({
        credsStore: "store",
        credHelpers: { "ghcr.io": "one", "broken.example": "absent" },
        auths: {
          "nothing.example": { auth: Buffer.from("file-user:file-pass").toString("base64") },
        },
      }),
    );
  });
  after(async () => {
    process.env.PATH = saved.PATH;
    if (saved.DOCKER_CONFIG === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved.DOCKER_CONFIG;
    await rm(dir, { recursive: true, force: true });
  });

  it("a credHelpers entry wins; the store answers the rest; Docker Hub is asked as the CLI names it", async () => {
    assert.deepEqual(await registryAuthFor("ghcr.io"), {
      serveraddress: "ghcr.io",
      username: "helper-one",
      password: "secret-of-one",
    });
    assert.deepEqual(await registryAuthFor("docker.io"), {
      serveraddress: "https://index.docker.io/v1/",
      identitytoken: "secret-of-store",
    });
    assert.equal(
      (await readFile(path.join(dir, "store.calls"), "utf8")).trim(),
      "https://index.docker.io/v1/",
    );
  });
  it("a store that knows nothing falls back to auths; a missing helper gives no credentials", async () => {
    assert.deepEqual(await registryAuthFor("nothing.example"), {
      serveraddress: "nothing.example",
      username: "file-user",
      password: "file-pass",
    });
    assert.equal(await registryAuthFor("broken.example"), undefined);
  });
});
