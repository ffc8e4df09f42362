/**
 * DockerImageSource against the real Docker engine on this machine. Each
 * run imports its own small image (so the expected config is known), and
 * reads linuxkit-test/busybox:test, which the test image setup provides.
 * Image trees come from the engine's image export (layers), never a container.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import Docker from "dockerode";

import { LinuxKitError } from "../../../components/errors/errors";
import { DockerImageSource } from "../../../components/sources/docker-image-source";
import { readTar, tarBuffer } from "../../unit/rootfs/helpers/tar";
import { waitUntil } from "../../helpers/wait";

const run = promisify(execFile);

const REPO = "pulumi-linuxkit-unit/source";
const TAG = `t${process.pid}`;
const REF = `${REPO}:${TAG}`;
const BUSYBOX = "linuxkit-test/busybox:test";
const MOBY_CONFIG = '{"capabilities":["CAP_NET_ADMIN"],"binds":["/run:/run"]}';

/** `docker import`s `tar` as `ref` with Dockerfile-style config changes. */
async function dockerImport(tar: Buffer, ref: string, changes: string[]): Promise<void> {
  const args = ["import", ...changes.flatMap((c) => ["--change", c]), "-", ref];
  await new Promise<void>((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`docker import: ${stderr}`)),
    );
    child.stdin.end(tar);
  });
}

async function inspectId(ref: string): Promise<string> {
  return (await run("docker", ["image", "inspect", "--format", "{{.Id}}", ref])).stdout.trim();
}

/** Ids of the containers made from image `id` (there should never be any). */
async function containersOf(id: string): Promise<string[]> {
  const { stdout } = await run("docker", [
    "ps",
    "-a",
    "-q",
    "--no-trunc",
    "--filter",
    `ancestor=${id}`,
  ]);
  return stdout.split("\n").filter((l) => l !== "");
}

async function timed<T>(what: string, limitMs: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} took more than ${limitMs} ms`)),
          limitMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("DockerImageSource (real engine)", { timeout: 20_000 }, () => {
  const source = new DockerImageSource();

  before(async () => {
    const rootfs = await tarBuffer([
      { name: "bin/", type: "directory" },
      { name: "bin/app", mode: 0o755, data: "#!/bin/sh\necho app\n" },
      { name: "etc/", type: "directory" },
      { name: "etc/app.conf", data: "key=value\n" },
    ]);
    await dockerImport(rootfs, REF, [
      'ENTRYPOINT ["/bin/app", "--serve"]',
      'CMD ["--port", "8080"]',
      "ENV APP_MODE=test APP_HOME=/srv",
      "WORKDIR /srv",
      `LABEL org.mobyproject.config='${MOBY_CONFIG}'`,
    ]);
  });

  after(async () => {
    await run("docker", ["rmi", "-f", REF]).catch(() => undefined);
  });

  it("resolve reads the id, entrypoint, cmd, env, working dir and labels of a local image", async () => {
    const image = await source.resolve(REF, { offline: true });
    assert.equal(image.ref, REF);
    assert.equal(image.id, await inspectId(REF));
    assert.match(image.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(image.entrypoint, ["/bin/app", "--serve"]);
    assert.deepEqual(image.cmd, ["--port", "8080"]);
    assert.deepEqual(image.env, ["APP_MODE=test", "APP_HOME=/srv"]);
    assert.equal(image.workingDir, "/srv");
    assert.equal(image.labels["org.mobyproject.config"], MOBY_CONFIG);
    assert.equal(image.architecture, "amd64");
  });

  it("the fully qualified reference finds the same image", async () => {
    const full = await source.resolve(`docker.io/${REF}`, { offline: true });
    assert.equal(full.id, await inspectId(REF));
    assert.equal(full.ref, `docker.io/${REF}`, "ref stays as the YAML wrote it");
  });

  it("an image without entrypoint, env or labels resolves them as absent, not as null", async () => {
    const image = await source.resolve(BUSYBOX, { offline: true });
    assert.equal(image.entrypoint, undefined);
    assert.deepEqual(image.cmd, ["/bin/sh"]);
    assert.equal(image.env, undefined);
    assert.equal(image.workingDir, undefined);
    assert.equal(typeof image.labels, "object");
  });

  it("exportRootfs reads the image's layers: its files and nothing of Docker's init layer, no container", async () => {
    const image = await source.resolve(REF, { offline: true });
    const before = await containersOf(image.id);
    const entries = await readTar(await source.exportRootfs(image));
    const files = new Map(entries.map((e) => [e.header.name.replace(/\/$/, ""), e]));
    assert.equal(files.get("bin/app")?.data.toString(), "#!/bin/sh\necho app\n");
    assert.equal((files.get("bin/app")?.header.mode ?? 0) & 0o7777, 0o755);
    assert.equal(files.get("etc/app.conf")?.data.toString(), "key=value\n");
    assert.deepEqual(
      [...files.keys()].sort(),
      ["bin", "bin/app", "etc", "etc/app.conf"],
      "exactly the imported tree: no .dockerenv, etc/hosts, etc/resolv.conf, etc/hostname, dev/*",
    );
    assert.deepEqual(await containersOf(image.id), before, "no container was created");
  });

  it(`exportRootfs of ${BUSYBOX} holds bin/busybox`, async () => {
    const image = await source.resolve(BUSYBOX, { offline: true });
    const entries = await readTar(await source.exportRootfs(image));
    const busybox = entries.find((e) => e.header.name === "bin/busybox");
    assert.ok(busybox !== undefined, "bin/busybox is in the export");
    assert.equal(busybox.header.type, "file");
    assert.ok(busybox.data.length > 100_000, `busybox is ${busybox.data.length} bytes`);
    assert.equal(busybox.data.subarray(0, 4).toString("latin1"), "\x7fELF");
  });

  it("a consumer that gives up early still gets the scratch files removed", async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), "lk-source-scratch-"));
    try {
      const own = new DockerImageSource(undefined, scratch);
      const image = await own.resolve(BUSYBOX, { offline: true });
      const stream = await own.exportRootfs(image);
      await new Promise<void>((resolve) => stream.once("data", () => resolve()));
      stream.destroy();
      // the scratch files are removed in the background once the stream is gone
      await waitUntil(async () => (await readdir(scratch)).length === 0, {
        what: `${scratch} to be empty`,
      }).catch(() => undefined);
      assert.deepEqual(await readdir(scratch), []);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("offline resolve of a missing image is IMAGE_NOT_FOUND naming it", async () => {
    const missing = `${REPO}:missing-${process.pid}`;
    await assert.rejects(source.resolve(missing, { offline: true }), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError);
      assert.equal(e.code, "IMAGE_NOT_FOUND");
      assert.equal(e.image, missing);
      assert.match(e.message, new RegExp(missing));
      return true;
    });
  });

  it("an invalid reference is SPEC_INVALID before the engine is asked", async () => {
    await assert.rejects(source.resolve("Not/A:Valid:Ref"), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError);
      assert.equal(e.code, "SPEC_INVALID");
      assert.equal(e.image, "Not/A:Valid:Ref");
      return true;
    });
  });

  it("pulling an image no registry has fails quickly with IMAGE_NOT_FOUND or IMAGE_PULL naming it", async () => {
    const missing = `${REPO}:never-pushed-${process.pid}`;
    const progress: string[] = [];
    await assert.rejects(
      timed(
        "the failed pull",
        30_000,
        source.resolve(missing, { onProgress: (p) => progress.push(p.status) }),
      ),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError, String(e));
        assert.ok(e.code === "IMAGE_NOT_FOUND" || e.code === "IMAGE_PULL", e.code);
        assert.equal(e.image, missing);
        assert.match(
          e.message,
          /pulling docker\.io\/pulumi-linuxkit-unit\/source:never-pushed-\d+ failed/,
        );
        assert.ok(e.hint !== undefined);
        return true;
      },
    );
  });

  it("a private registry that is not listening fails quickly with IMAGE_PULL", async () => {
    const ref = "localhost:1/nothing/here:x";
    await assert.rejects(timed("the failed pull", 30_000, source.resolve(ref)), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError, String(e));
      assert.equal(e.code, "IMAGE_PULL");
      assert.match(e.message, /localhost:1/);
      return true;
    });
  });

  it("exportRootfs of an image id the engine does not have is an error naming the image", async () => {
    const ghost = { ref: "ghost:1", id: `sha256:${"0".repeat(64)}`, labels: {} };
    await assert.rejects(source.exportRootfs(ghost), (e: unknown) => {
      assert.ok(e instanceof LinuxKitError);
      assert.equal(e.image, "ghost:1");
      assert.match(e.message, /could not read the layers of image ghost:1/);
      return true;
    });
  });
});

describe("DockerImageSource (no engine)", () => {
  const clients: [string, () => DockerImageSource][] = [
    [
      "our client (DOCKER_HOST)",
      () => {
        const saved = process.env.DOCKER_HOST;
        process.env.DOCKER_HOST = "unix:///nonexistent.sock";
        try {
          return new DockerImageSource();
        } finally {
          if (saved === undefined) delete process.env.DOCKER_HOST;
          else process.env.DOCKER_HOST = saved;
        }
      },
    ],
    [
      "an injected dockerode client",
      () => new DockerImageSource(new Docker({ socketPath: "/nonexistent.sock" })),
    ],
  ];
  for (const [client, make] of clients) {
    const unreachable = make();
    const calls: [string, () => Promise<unknown>][] = [
      ["resolve", () => unreachable.resolve("nginx:alpine", { offline: true })],
      ["resolve with pull", () => unreachable.resolve("nginx:alpine", { pull: true })],
      [
        "exportRootfs",
        () => unreachable.exportRootfs({ ref: "nginx:alpine", id: "sha256:abc", labels: {} }),
      ],
    ];
    for (const [what, call] of calls) {
      it(`${what} against a missing socket, through ${client}, is DOCKER_UNREACHABLE with the endpoint and a hint`, async () => {
        await assert.rejects(timed(what, 10_000, call()), (e: unknown) => {
          assert.ok(e instanceof LinuxKitError, String(e));
          assert.equal(e.code, "DOCKER_UNREACHABLE");
          assert.match(e.message, /unix:\/\/\/nonexistent\.sock/);
          assert.match(e.hint ?? "", /DOCKER_HOST/);
          return true;
        });
      });
    }
  }
});
