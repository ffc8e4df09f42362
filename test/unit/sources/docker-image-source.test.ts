/**
 * DockerImageSource over a stand-in engine on a unix socket (DOCKER_HOST):
 * what the build sees of inspect, pull and export through our own client,
 * the errors it gets when the engine refuses or is not there, and the same
 * calls through an injected dockerode client.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { after, before, beforeEach, describe, it } from "node:test";
import Docker from "dockerode";

import { LinuxKitError } from "../../../components/errors/errors";
import { DockerImageSource, endpointOf } from "../../../components/sources/docker-image-source";
import type { PullProgress } from "../../../components/sources/image-source";
import { readTar } from "../rootfs/helpers/tar";
import { FakeEngine, fakeImage } from "./helpers/fake-engine";

const ID1 = `sha256:${"11".repeat(32)}`;
const ID2 = `sha256:${"22".repeat(32)}`;
const PASSWORD = "p?>~~~~secret";

const saved = { host: process.env.DOCKER_HOST, config: process.env.DOCKER_CONFIG };
function restoreEnv(): void {
  for (const [name, value] of [
    ["DOCKER_HOST", saved.host],
    ["DOCKER_CONFIG", saved.config],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

describe("DockerImageSource through our client (stand-in engine)", () => {
  let engine: FakeEngine;
  let configDir = "";
  let source: DockerImageSource;

  before(async () => {
    engine = await FakeEngine.start();
    engine.add(
      await fakeImage(ID1, { "bin/app": "#!/bin/sh\n" }, { Entrypoint: "/bin/app" }),
      "lk/app:v1",
    );
    configDir = await mkdtemp(path.join(os.tmpdir(), "lk-docker-config-"));
    const auth = Buffer.from(`lk-user:${PASSWORD}`).toString("base64");
    await writeFile(
      path.join(configDir, "config.json"),
      JSON.stringify({ auths: { "localhost:5000": { auth } } }),
    );
    process.env.DOCKER_HOST = engine.dockerHost;
    process.env.DOCKER_CONFIG = configDir;
    source = new DockerImageSource();
  });
  after(async () => {
    restoreEnv();
    await engine.stop();
    await rm(configDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    engine.requests.length = 0;
  });

  it("uses the socket DOCKER_HOST names, without dockerode", () => {
    assert.equal(endpointOf((source as unknown as { engine: never }).engine), engine.dockerHost);
  });

  it("resolve reads a present image's config; exportRootfs its files", async () => {
    const image = await source.resolve("lk/app:v1", { offline: true });
    assert.equal(image.id, ID1);
    assert.deepEqual(image.entrypoint, ["/bin/app"]);
    assert.deepEqual(image.cmd, ["/bin/sh"]);
    assert.equal(image.env, undefined);
    assert.deepEqual(image.labels, {});
    const entries = await readTar(await source.exportRootfs(image));
    assert.deepEqual(
      entries.map((e) => [e.header.name, e.header.type, e.data.toString()]),
      [
        ["bin", "directory", ""],
        ["bin/app", "file", "#!/bin/sh\n"],
      ],
    );
  });

  it("a missing image is pulled with progress, by name and tag, then inspected", async () => {
    engine.pulls.set("lk/new", {
      lines: [
        { status: "Pulling from lk/new", id: "v2" },
        { status: "Downloading", progress: "[==>   ] 1kB/2kB", id: "5d20c808ce19" },
        { status: "Status: Downloaded newer image for lk/new:v2" },
      ],
      gives: await fakeImage(ID2, { new: "yes\n" }),
    });
    const progress: PullProgress[] = [];
    const image = await source.resolve("lk/new:v2", { onProgress: (p) => progress.push(p) });
    assert.equal(image.id, ID2);
    assert.deepEqual(progress, [
      { ref: "lk/new:v2", status: "v2: Pulling from lk/new", detail: undefined },
      { ref: "lk/new:v2", status: "5d20c808ce19: Downloading", detail: "[==>   ] 1kB/2kB" },
      {
        ref: "lk/new:v2",
        status: "Status: Downloaded newer image for lk/new:v2",
        detail: undefined,
      },
    ]);
    assert.deepEqual(
      engine.requests.map((r) => `${r.method} ${r.url}`),
      [
        "GET /images/lk/new:v2/json",
        "POST /images/create?fromImage=lk%2Fnew&tag=v2",
        "GET /images/lk/new:v2/json",
      ],
    );
  });

  it("a digest reference is pulled as fromImage=name, tag=digest", async () => {
    const digest = `sha256:${"d".repeat(64)}`;
    engine.pulls.set("lk/pinned", { lines: [{ status: "Status: done" }] });
    await assert.rejects(source.resolve(`lk/pinned@${digest}`), /still missing after a pull/);
    assert.equal(
      engine.requests[1]?.url,
      `/images/create?fromImage=lk%2Fpinned&tag=${encodeURIComponent(digest)}`,
    );
  });

  it("a registry that refuses the credentials (401): IMAGE_PULL naming the registry, no password shown", async () => {
    engine.pulls.set("localhost:5000/lk/locked", {
      status: 401,
      body: JSON.stringify({
        message:
          'Head "http://localhost:5000/v2/lk/locked/manifests/v1": unauthorized: incorrect username or password',
      }),
    });
    await assert.rejects(source.resolve("localhost:5000/lk/locked:v1"), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError, String(e));
      assert.equal(e.code, "IMAGE_PULL");
      assert.equal(e.image, "localhost:5000/lk/locked:v1");
      assert.match(
        e.message,
        /localhost:5000 refused to let localhost:5000\/lk\/locked:v1 be pulled/,
      );
      assert.match(e.message, /incorrect username or password/);
      assert.match(e.hint ?? "", /docker login localhost:5000/);
      assert.ok(
        !inspect(e, { depth: 10 }).includes(PASSWORD),
        "the password is nowhere in the error",
      );
      return true;
    });
    const header = engine.requests.find((r) => r.method === "POST")?.headers["x-registry-auth"];
    assert.ok(typeof header === "string" && header.length > 0, "the credentials were sent");
  });

  it("a repository the registry does not have (404): IMAGE_NOT_FOUND with the engine's words", async () => {
    await assert.rejects(source.resolve("lk/nowhere:v1"), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError, String(e));
      assert.equal(e.code, "IMAGE_NOT_FOUND");
      assert.equal(
        e.message,
        "image lk/nowhere:v1 is not in the Docker engine and pulling docker.io/lk/nowhere:v1 failed: " +
          "pull access denied for lk/nowhere, repository does not exist or may require 'docker login'",
      );
      assert.match(e.hint ?? "", /check the name and tag/);
      return true;
    });
  });

  it("an error line in the progress: IMAGE_PULL with the engine's words", async () => {
    engine.pulls.set("lk/flaky", {
      lines: [
        { status: "Pulling from lk/flaky", id: "v1" },
        { errorDetail: { message: "read tcp: connection reset by peer" }, error: "reset" },
      ],
    });
    await assert.rejects(source.resolve("lk/flaky:v1"), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError, String(e));
      assert.equal(e.code, "IMAGE_PULL");
      assert.match(
        e.message,
        /pulling docker\.io\/lk\/flaky:v1 failed: read tcp: connection reset by peer$/,
      );
      assert.match(e.hint ?? "", /network access to the registry/);
      return true;
    });
  });

  it("exportRootfs of an id the engine lacks names the image and the engine's words", async () => {
    const ghost = { ref: "ghost:1", id: `sha256:${"0".repeat(64)}`, labels: {} };
    await assert.rejects(
      source.exportRootfs(ghost),
      /^LinuxKitError: could not read the layers of image ghost:1: reference does not exist$/,
    );
  });

  it("an injected dockerode client reaches the same engine and gives the same answers", async () => {
    const socketPath = engine.dockerHost.slice("unix://".length);
    const viaDockerode = new DockerImageSource(new Docker({ socketPath }));
    assert.equal(endpointOf(new Docker({ socketPath })), engine.dockerHost);
    const image = await viaDockerode.resolve("lk/app:v1", { offline: true });
    assert.equal(image.id, ID1);
    const entries = await readTar(await viaDockerode.exportRootfs(image));
    assert.deepEqual(
      entries.map((e) => e.header.name),
      ["bin", "bin/app"],
    );
    engine.pulls.set("lk/via-dockerode", {
      lines: [
        { status: "Pulling from lk/via-dockerode", id: "v1" },
        { errorDetail: { message: "no space left on device" }, error: "no space" },
      ],
    });
    await assert.rejects(
      viaDockerode.resolve("lk/via-dockerode:v1"),
      /failed: no space left on device$/,
    );
  });
});

describe("DockerImageSource through our client (no engine)", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-no-engine-"));
    await writeFile(path.join(dir, "stale.sock"), "");
  });
  after(async () => {
    restoreEnv();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [what, file, code] of [
    ["a socket path with nothing there", "missing.sock", "ENOENT"],
    ["a socket nobody listens on", "stale.sock", "ECONNREFUSED"],
  ] as const) {
    it(`${what} (${code}): DOCKER_UNREACHABLE naming the socket, with how to start the engine`, async () => {
      process.env.DOCKER_HOST = `unix://${dir}/${file}`;
      const source = new DockerImageSource();
      for (const call of [
        () => source.resolve("nginx:alpine", { offline: true }),
        () => source.resolve("nginx:alpine", { pull: true }),
        () => source.exportRootfs({ ref: "nginx:alpine", id: "sha256:abc", labels: {} }),
      ]) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(e instanceof LinuxKitError, String(e));
          assert.equal(e.code, "DOCKER_UNREACHABLE");
          assert.equal(
            e.message,
            `cannot reach the Docker engine at unix://${dir}/${file}: connect ${code} ${dir}/${file}`,
          );
          assert.match(e.hint ?? "", /^start it \(`dockerd &` or `systemctl start docker`\)/);
          assert.match(e.hint ?? "", /DOCKER_HOST/);
          return true;
        });
      }
    });
  }
});
