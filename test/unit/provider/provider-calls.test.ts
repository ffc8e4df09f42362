/**
 * The plugin's provider object, called as main() calls it: input checks
 * against the schema (unknown, mistyped and missing properties), names
 * defaulted from the URN, secrets kept wrapped, and detailed diffs saying
 * which property updates and which replaces. The implementations are the
 * real ones (a Vm's check looks at real files).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { linuxkitProvider } from "../../../components/pulumi/provider/linuxkit-provider";
import { DiffKind } from "../../../components/pulumi/provider/detailed-diff";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const urn = (type: string, name: string): string => `urn:pulumi:dev::proj::${type}::${name}`;

let dir: string;
let kernel: string;
let initrd: string;
const served = linuxkitProvider("0.0.0-test");
const p = served.provider;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lk-provider-"));
  kernel = path.join(dir, "k");
  initrd = path.join(dir, "i");
  await writeFile(kernel, "kernel");
  await writeFile(initrd, "initrd");
});
after(() => rm(dir, { recursive: true, force: true }));

describe("linuxkit provider: check", () => {
  it("names an unknown property and the one meant", async () => {
    const r = await p.check!(urn("linuxkit:index:Image", "img"), {}, { configFile: ["a.yml"] });
    assert.deepEqual(
      r.failures?.map((f) => [f.property, f.reason]),
      [["configFile", 'unknown property "configFile"; did you mean "configFiles"?']],
    );
  });

  it("names a property of the wrong type, nested ones with their path", async () => {
    const r = await p.check!(
      urn("linuxkit:qemu:Vm", "vm"),
      {},
      { kernel, initrd, memoryMiB: "lots", forwards: [{ hostPort: "8080", guestPort: 80 }] },
    );
    assert.deepEqual(
      r.failures?.map((f) => f.reason),
      [
        'memoryMiB must be an integer, got string "lots"',
        'forwards[0].hostPort must be an integer, got string "8080"',
      ],
    );
  });

  it("names a missing required property", async () => {
    const r = await p.check!(
      urn("linuxkit:qemu:Fleet", "f"),
      {},
      { kernel, initrd, imageHash: "x", health: {} },
    );
    assert.deepEqual(
      r.failures?.map((f) => f.reason),
      ['missing required property "size"'],
    );
  });

  it("defaults the name to the resource's and passes the implementation's own failures on", async () => {
    const ok = await p.check!(urn("linuxkit:qemu:Vm", "web"), {}, { kernel, initrd });
    assert.deepEqual(ok.failures, []);
    assert.equal((ok.inputs as { name: string }).name, "web");
    const bad = await p.check!(urn("linuxkit:qemu:Vm", "web"), {}, { kernel, initrd, cpus: 0 });
    assert.deepEqual(
      bad.failures?.map((f) => f.property),
      ["cpus"],
    );
  });

  it("keeps a secret input secret", async () => {
    const r = await p.check!(
      urn("linuxkit:metal:Device", "m"),
      {},
      {
        projectId: "p",
        plan: "c3.small.x86",
        metro: "da",
        ipxeScriptUrl: "http://x/a.ipxe",
        authToken: { [SIG]: SECRET, value: "tok" },
      },
    );
    assert.deepEqual(r.failures, []);
    assert.deepEqual((r.inputs as Record<string, unknown>)["authToken"], {
      [SIG]: SECRET,
      value: "tok",
    });
    assert.equal((r.inputs as Record<string, unknown>)["hostname"], "m");
  });
});

describe("linuxkit provider: diff", () => {
  it("says which property replaces and which updates", async () => {
    const u = urn("linuxkit:qemu:Vm", "vm");
    const olds = (await p.check!(u, {}, { kernel, initrd })).inputs as Record<string, unknown>;
    const news = (
      await p.check!(u, olds, {
        kernel,
        initrd,
        memoryMiB: 512,
        readiness: { consolePattern: "up" },
      })
    ).inputs as Record<string, unknown>;
    const r = await p.diff!("id", u, { ...olds, status: "running" }, news);
    assert.deepEqual(r.replaces, ["memoryMiB"]);
    assert.deepEqual(served.takeDetailedDiff(u), {
      memoryMiB: { kind: DiffKind.UPDATE_REPLACE, inputDiff: true },
      readiness: { kind: DiffKind.UPDATE, inputDiff: true },
    });
    const same = await p.diff!("id", u, { ...olds, status: "running" }, olds);
    assert.equal(same.changes, false);
    assert.deepEqual(served.takeDetailedDiff(u), {});
  });
});
