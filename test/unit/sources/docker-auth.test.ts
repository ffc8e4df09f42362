import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { registryAuthFor } from "../../../components/sources/docker-auth";

const b64 = (s: string): string => Buffer.from(s).toString("base64");

describe("registryAuthFor", () => {
  let dir = "";
  let saved: string | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-docker-config-"));
    saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
  });

  afterEach(async () => {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    await rm(dir, { recursive: true, force: true });
  });

  const config = {
    auths: {
      "https://index.docker.io/v1/": { auth: b64("hubuser:pa:ss:word") },
      "localhost:5000": { identitytoken: "token-123" },
      "https://ghcr.io": { auth: b64("gh:ghp_secret") },
      "registry.example.com": { username: "plain", password: "fields" },
      "broken.example.com": { auth: b64("no-colon-here") },
    },
  };

  const cases: [string, unknown][] = [
    [
      "docker.io",
      { serveraddress: "https://index.docker.io/v1/", username: "hubuser", password: "pa:ss:word" },
    ],
    ["localhost:5000", { serveraddress: "localhost:5000", identitytoken: "token-123" }],
    ["ghcr.io", { serveraddress: "https://ghcr.io", username: "gh", password: "ghp_secret" }],
    [
      "registry.example.com",
      { serveraddress: "registry.example.com", username: "plain", password: "fields" },
    ],
    ["broken.example.com", undefined],
    ["quay.io", undefined],
  ];
  for (const [domain, expected] of cases) {
    it(`${domain} → ${expected === undefined ? "no credentials" : JSON.stringify(expected)}`, async () => {
      await writeFile(path.join(dir, "config.json"), JSON.stringify(config));
      assert.deepEqual(await registryAuthFor(domain), expected);
    });
  }

  it("finds Docker Hub credentials stored under the bare host name too", async () => {
    await writeFile(
      path.join(dir, "config.json"),
      JSON.stringify({ auths: { "index.docker.io": { auth: b64("u:p") } } }),
    );
    assert.deepEqual(await registryAuthFor("docker.io"), {
      serveraddress: "index.docker.io",
      username: "u",
      password: "p",
    });
  });

  it("no config.json means no credentials", async () => {
    assert.equal(await registryAuthFor("docker.io"), undefined);
  });

  it("a config.json that is not JSON means no credentials (not a crash)", async () => {
    await writeFile(path.join(dir, "config.json"), "{ not json");
    assert.equal(await registryAuthFor("docker.io"), undefined);
  });

  it("a config with only a credential helper means no credentials", async () => {
    await writeFile(path.join(dir, "config.json"), JSON.stringify({ credsStore: "desktop" }));
    assert.equal(await registryAuthFor("docker.io"), undefined);
  });
});
