/**
 * Importing the Docker image source, and resolving and exporting an image
 * through a local (unix socket) engine, loads none of dockerode's weight:
 * not dockerode, not @grpc/grpc-js or protobufjs (its buildkit session),
 * not ssh2 (docker-modem's). Only an engine that needs dockerode (TLS
 * here) loads it. Each check runs in a fresh node process.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { FakeEngine, fakeImage } from "./helpers/fake-engine";

const run = promisify(execFile);
const SOURCE = path.resolve(
  __dirname,
  "..",
  "..",
  "..",
  "components",
  "sources",
  "docker-image-source.js",
);
const WATCHED = ["dockerode", "@grpc/grpc-js", "protobufjs", "ssh2"];
const ID = `sha256:${"ee".repeat(32)}`;

/** Which watched packages are loaded after `script` runs (awaited) in a fresh node with `env`. */
async function loadedAfter(script: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const program = `
    const source = require(${JSON.stringify(SOURCE)});
    (async () => {
      ${script}
      const loaded = Object.keys(require.cache);
      const watched = ${JSON.stringify(WATCHED)};
      console.log(JSON.stringify(watched.filter((p) => loaded.some((k) => k.includes("/node_modules/" + p + "/")))));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout } = await run(process.execPath, ["-e", program], {
    env: { ...process.env, DOCKER_TLS_VERIFY: "", DOCKER_CERT_PATH: "", ...env },
    encoding: "utf8",
  });
  return JSON.parse(stdout.trim()) as string[];
}

describe("what the Docker image source loads", () => {
  let engine: FakeEngine;
  before(async () => {
    engine = await FakeEngine.start();
    engine.add(await fakeImage(ID, { "etc/motd": "hi\n" }), "lk/app:v1");
  });
  after(() => engine.stop());

  it("importing it loads no dockerode, gRPC, protobufjs or ssh2", async () => {
    assert.deepEqual(await loadedAfter("", { DOCKER_HOST: engine.dockerHost }), []);
  });

  it("resolving and exporting an image through a unix socket loads none of them either", async () => {
    const script = `
      const s = new source.DockerImageSource();
      const image = await s.resolve("lk/app:v1", { offline: true });
      if (image.id !== ${JSON.stringify(ID)}) throw new Error("resolved " + image.id);
      let bytes = 0;
      for await (const chunk of await s.exportRootfs(image)) bytes += chunk.length;
      if (bytes === 0) throw new Error("empty export");`;
    assert.deepEqual(await loadedAfter(script, { DOCKER_HOST: engine.dockerHost }), []);
    assert.ok(
      engine.requests.some((r) => r.url.endsWith("/get")),
      "the export did reach the engine",
    );
  });

  it("a TLS engine (DOCKER_TLS_VERIFY=1) is what loads dockerode", async () => {
    const loaded = await loadedAfter("new source.DockerImageSource();", {
      DOCKER_HOST: "tcp://127.0.0.1:2376",
      DOCKER_TLS_VERIFY: "1",
    });
    assert.ok(loaded.includes("dockerode"), JSON.stringify(loaded));
  });
});
