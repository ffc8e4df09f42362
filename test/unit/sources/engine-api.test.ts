/**
 * Our Engine API client (engine-api.ts) against a stand-in engine on a
 * unix socket (and once on TCP): inspect, export and pull as the Engine
 * API reference shapes them, the registry credentials header, and what
 * the engine's failures and an engine that is not there turn into.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";

import { EngineReplyError } from "../../../components/sources/docker-errors";
import type { PullEvent } from "../../../components/sources/engine";
import { EngineApiClient } from "../../../components/sources/engine-api";
import { engineAddress } from "../../../components/sources/engine-host";
import { FakeEngine, fakeImage, type FakeImage } from "./helpers/fake-engine";

const ID = `sha256:${"ab".repeat(32)}`;
const AUTH = { username: "lk-user", password: "p?>~~~~", serveraddress: "localhost:5000" };

/** The client DOCKER_HOST=`host` gets. */
function clientFor(host: string): EngineApiClient {
  const address = engineAddress({ DOCKER_HOST: host });
  assert.notEqual(address.kind, "dockerode");
  return new EngineApiClient(address as Exclude<typeof address, { kind: "dockerode" }>);
}

async function bytesOf(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

describe("EngineApiClient (stand-in engine on a unix socket)", () => {
  let engine: FakeEngine;
  let client: EngineApiClient;
  let image: FakeImage;

  before(async () => {
    engine = await FakeEngine.start();
    client = clientFor(engine.dockerHost);
    image = await fakeImage(ID, { "etc/app.conf": "key=value\n" }, { Cmd: ["/app"] });
    engine.add(image, "lk/app:v1");
  });
  after(() => engine.stop());
  beforeEach(() => {
    engine.requests.length = 0;
    engine.pulls.clear();
  });

  it("names its endpoint as DOCKER_HOST does", () => {
    assert.equal(client.endpoint, engine.dockerHost);
    assert.match(client.endpoint, /^unix:\/\/\/\S+\/docker\.sock$/);
  });

  it("inspect of an image the engine has: its JSON, from an unversioned path", async () => {
    assert.deepEqual(await client.inspectImage("lk/app:v1"), image.inspect);
    assert.deepEqual(
      engine.requests.map((r) => `${r.method} ${r.url}`),
      ["GET /images/lk/app:v1/json"],
    );
  });

  it("inspect of an image the engine lacks (404): undefined", async () => {
    assert.equal(await client.inspectImage("lk/other:v1"), undefined);
  });

  it("export streams the engine's archive byte for byte", async () => {
    const got = await bytesOf(await client.exportImage(ID));
    assert.ok(got.equals(image.archive), `${got.length} bytes vs ${image.archive.length}`);
    assert.deepEqual(
      engine.requests.map((r) => `${r.method} ${r.url}`),
      [`GET /images/${ID}/get`],
    );
  });

  it("export of an id the engine lacks: the engine's message and status", async () => {
    await assert.rejects(client.exportImage(`sha256:${"0".repeat(64)}`), (e: unknown) => {
      assert.ok(e instanceof EngineReplyError, String(e));
      assert.equal(e.statusCode, 404);
      assert.equal(e.message, "reference does not exist");
      assert.equal(e.json.message, "reference does not exist");
      return true;
    });
  });

  it("pull reports every progress line in order, whole although they arrive in pieces", async () => {
    const lines = [
      { status: "Pulling from lk/new", id: "v1" },
      { status: "Pulling fs layer", progressDetail: {}, id: "5d20c808ce19" },
      {
        status: "Downloading",
        progressDetail: { current: 1024, total: 2048 },
        progress: "[=========================>                         ]  1.024kB/2.048kB",
        id: "5d20c808ce19",
      },
      { status: "Pull complete", progressDetail: {}, id: "5d20c808ce19" },
      { status: `Digest: sha256:${"c".repeat(64)}` },
      { status: "Status: Downloaded newer image for lk/new:v1" },
    ];
    engine.pulls.set("lk/new", { lines });
    const events: PullEvent[] = [];
    await client.pullImage("lk/new", "v1", undefined, (e) => events.push(e));
    assert.deepEqual(events, lines);
    const [req] = engine.requests;
    assert.equal(req?.method, "POST");
    assert.equal(req?.url, "/images/create?fromImage=lk%2Fnew&tag=v1");
    assert.equal(req?.headers["x-registry-auth"], undefined, "no credentials, no header");
  });

  it("pull for a platform asks the engine for it (docker pull --platform)", async () => {
    engine.pulls.set("lk/multi", { lines: [{ status: "Status: done" }] });
    await client.pullImage("lk/multi", "v1", undefined, undefined, "linux/arm64");
    assert.equal(
      engine.requests[0]?.url,
      "/images/create?fromImage=lk%2Fmulti&tag=v1&platform=linux%2Farm64",
    );
  });

  it("pull with credentials sends them as X-Registry-Auth: base64url JSON with padding", async () => {
    engine.pulls.set("localhost:5000/lk/private", { lines: [{ status: "Status: done" }] });
    await client.pullImage("localhost:5000/lk/private", "v1", AUTH);
    const header = engine.requests[0]?.headers["x-registry-auth"];
    assert.equal(typeof header, "string");
    const value = header as string;
    assert.match(value, /^[A-Za-z0-9_-]+={0,2}$/, "URL alphabet: no + or /");
    assert.equal(value.length % 4, 0, "padded, as Go's base64.URLEncoding wants");
    const standard = Buffer.from(JSON.stringify(AUTH)).toString("base64");
    assert.match(standard, /[+/]/, "the test's password does exercise the URL alphabet");
    assert.deepEqual(JSON.parse(Buffer.from(value, "base64url").toString("utf8")), AUTH);
  });

  it("an error line fails the pull with the engine's words, after the lines before it", async () => {
    engine.pulls.set("lk/broken", {
      lines: [
        { status: "Pulling from lk/broken", id: "v1" },
        {
          errorDetail: { message: "unexpected EOF while reading layer 5d20c808ce19" },
          error: "unexpected EOF",
        },
      ],
    });
    const events: PullEvent[] = [];
    await assert.rejects(
      client.pullImage("lk/broken", "v1", undefined, (e) => events.push(e)),
      (e: unknown) => {
        assert.ok(e instanceof EngineReplyError, String(e));
        assert.equal(e.message, "unexpected EOF while reading layer 5d20c808ce19");
        return true;
      },
    );
    assert.equal(events[0]?.status, "Pulling from lk/broken");
  });

  const refusals: [number, string][] = [
    [
      401,
      'Head "http://localhost:5000/v2/lk/locked/manifests/v1": unauthorized: incorrect username or password',
    ],
    [
      404,
      "pull access denied for lk/locked, repository does not exist or may require 'docker login'",
    ],
  ];
  for (const [status, message] of refusals) {
    it(`a pull the engine refuses with ${status}: that status and the engine's JSON message`, async () => {
      engine.pulls.set("lk/locked", { status, body: JSON.stringify({ message }) });
      await assert.rejects(client.pullImage("lk/locked", "v1", AUTH), (e: unknown) => {
        assert.ok(e instanceof EngineReplyError, String(e));
        assert.equal(e.statusCode, status);
        assert.equal(e.message, message);
        assert.doesNotMatch(e.message, new RegExp(AUTH.password.replace(/[?]/g, "\\?")));
        return true;
      });
    });
  }

  it("an answer that is not the engine's JSON names the endpoint, the call and the status", async () => {
    engine.pulls.set("lk/proxy", { status: 502, body: "<html>Bad Gateway</html>" });
    await assert.rejects(client.pullImage("lk/proxy", "v1", AUTH), (e: unknown) => {
      assert.ok(e instanceof EngineReplyError, String(e));
      assert.equal(e.statusCode, 502);
      assert.equal(
        e.message,
        `${engine.dockerHost} answered POST /images/create with HTTP 502: <html>Bad Gateway</html>`,
      );
      return true;
    });
  });
});

describe("EngineApiClient (stand-in engine on TCP)", () => {
  it("tcp://127.0.0.1:PORT: inspect and export over plain HTTP", async () => {
    const engine = await FakeEngine.start({ tcp: true });
    try {
      const image = await fakeImage(ID, { hello: "tcp\n" });
      engine.add(image, "lk/app:v1");
      const client = clientFor(engine.dockerHost);
      assert.equal(client.endpoint, engine.dockerHost);
      assert.equal((await client.inspectImage("lk/app:v1"))?.Id, ID);
      assert.ok((await bytesOf(await client.exportImage(ID))).equals(image.archive));
    } finally {
      await engine.stop();
    }
  });
});

describe("EngineApiClient (no engine)", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-no-engine-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("a socket path with nothing there: ENOENT, as node reports it", async () => {
    const client = clientFor(`unix://${dir}/missing.sock`);
    await assert.rejects(client.inspectImage("x:1"), { code: "ENOENT" });
  });

  it("a socket nobody listens on: ECONNREFUSED", async () => {
    await writeFile(path.join(dir, "stale.sock"), "");
    const client = clientFor(`unix://${dir}/stale.sock`);
    await assert.rejects(client.exportImage(ID), { code: "ECONNREFUSED" });
  });

  it("a TCP port nobody listens on: ECONNREFUSED", async () => {
    const port = await closedPort();
    await assert.rejects(clientFor(`tcp://127.0.0.1:${port}`).pullImage("a", "b", undefined), {
      code: "ECONNREFUSED",
    });
  });
});

/** A 127.0.0.1 port that was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
