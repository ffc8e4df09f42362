/**
 * The plugin's provider object for the Redfish and Metal artifact tokens,
 * called as main() calls it: schema checks (unknown, mistyped, missing
 * properties with their paths), the BMC password a secret whether or not
 * the program marked it, kept wrapped through create, read and update
 * against a fake BMC (and never in an error), detailed diffs (re-image in
 * place vs replace), and the ArtifactFiles child laying out real files.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { DiffKind } from "../../../components/pulumi/provider/detailed-diff";
import { linuxkitProvider } from "../../../components/pulumi/provider/linuxkit-provider";
import { startFakeBmc, type FakeBmc } from "../../helpers/fake-redfish-bmc";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const PASSWORD = "correct-horse-battery";
const urn = (type: string, name: string): string => `urn:pulumi:dev::proj::${type}::${name}`;
const secret = (value: unknown) => ({ [SIG]: SECRET, value });
type Props = Record<string, unknown>;

const served = linuxkitProvider("0.0.0-test");
const p = served.provider;
let bmc: FakeBmc;
let dir: string;

before(async () => {
  bmc = await startFakeBmc({ username: "admin", password: PASSWORD });
  dir = await mkdtemp(path.join(os.tmpdir(), "lk-provider-rf-"));
});
after(async () => {
  await bmc.close();
  await rm(dir, { recursive: true, force: true });
});

const MACHINE = "linuxkit:redfish:Machine";
const machineInputs = (more: Props = {}): Props => ({
  endpoint: bmc.endpoint,
  username: "admin",
  password: PASSWORD,
  isoUrl: "http://images.example/v1.iso",
  powerTimeoutSeconds: 5,
  ...more,
});

describe("linuxkit:redfish:Machine through the plugin", () => {
  it("names an unknown property, a mistyped one and a missing one", async () => {
    const r = await p.check!(
      urn(MACHINE, "m"),
      {},
      {
        username: "admin",
        pasword: "x",
        powerTimeoutSeconds: "60",
        readiness: { tcpPort: "22" },
      },
    );
    assert.deepEqual(
      r.failures?.map((f) => [f.property, f.reason]),
      [
        ["pasword", 'unknown property "pasword"; did you mean "password"?'],
        ["powerTimeoutSeconds", 'powerTimeoutSeconds must be a number, got string "60"'],
        ["readiness.tcpPort", 'readiness.tcpPort must be an integer, got string "22"'],
        ["password", 'missing required property "password"'],
        ["endpoint", 'missing required property "endpoint"'],
      ],
    );
  });

  it("makes the password secret even when the program did not", async () => {
    const r = await p.check!(urn(MACHINE, "m"), {}, machineInputs());
    assert.deepEqual(r.failures, []);
    assert.deepEqual((r.inputs as Props)["password"], secret(PASSWORD));
    assert.equal((r.inputs as Props)["username"], "admin", "other inputs stay plain");
  });

  it("keeps the password wrapped through create, read and update, and out of errors", async () => {
    const u = urn(MACHINE, "m");
    const checked = (await p.check!(u, {}, machineInputs())).inputs as Props;
    const created = await p.create!(u, checked);
    const outs = created.outs as Props;
    assert.deepEqual(outs["password"], secret(PASSWORD));
    assert.equal(outs["powerState"], "On");
    assert.equal(outs["systemPath"], "/redfish/v1/Systems/1");
    assert.ok(!JSON.stringify({ ...outs, password: null }).includes(PASSWORD));

    const read = await p.read!(created.id, u, outs);
    assert.deepEqual((read.props as Props)["password"], secret(PASSWORD));

    const news = (
      await p.check!(u, checked, machineInputs({ isoUrl: "http://images.example/v2.iso" }))
    ).inputs as Props;
    const d = await p.diff!(created.id, u, outs, news);
    assert.deepEqual(d.replaces, [], "a new image is the same machine, re-imaged");
    assert.deepEqual(served.takeDetailedDiff(u), {
      isoUrl: { kind: DiffKind.UPDATE, inputDiff: true },
    });
    const updated = await p.update!(created.id, u, outs, news);
    assert.deepEqual((updated.outs as Props)["password"], secret(PASSWORD));
    assert.equal(bmc.systems.get("1")?.image, "http://images.example/v2.iso");

    const wrong = (await p.check!(u, {}, machineInputs({ password: secret("not-it-at-all") })))
      .inputs as Props;
    await assert.rejects(p.create!(urn(MACHINE, "w"), wrong), (e: Error) => {
      assert.match(e.message, new RegExp(bmc.endpoint.replace(/[.]/g, "\\.")));
      assert.ok(!e.message.includes("not-it-at-all"), "the password is not in the error");
      return true;
    });
    await p.delete!(created.id, u, (updated.outs ?? outs) as Props);
    assert.equal(bmc.systems.get("1")?.power, "Off");
  });

  it("a new endpoint replaces the machine", async () => {
    const u = urn(MACHINE, "m2");
    const olds = (await p.check!(u, {}, machineInputs())).inputs as Props;
    const news = (
      await p.check!(u, olds, machineInputs({ endpoint: "https://other-bmc.example:8443" }))
    ).inputs as Props;
    const d = await p.diff!("id", u, { ...olds, powerState: "On", ready: true }, news);
    assert.deepEqual(d.replaces, ["endpoint"]);
    assert.deepEqual(served.takeDetailedDiff(u), {
      endpoint: { kind: DiffKind.UPDATE_REPLACE, inputDiff: true },
    });
  });
});

describe("linuxkit:redfish:Fleet through the plugin", () => {
  const FLEET = "linuxkit:redfish:Fleet";

  it("names a mistyped machine with its path, and keeps the password secret", async () => {
    const bad = await p.check!(
      urn(FLEET, "f"),
      {},
      { username: "admin", password: secret(PASSWORD), machines: [{ endpoint: 443 }] },
    );
    assert.deepEqual(
      bad.failures?.map((f) => f.reason),
      ["machines[0].endpoint must be a string, got number 443"],
    );
    const ok = await p.check!(
      urn(FLEET, "f"),
      {},
      {
        username: "admin",
        password: secret(PASSWORD),
        isoUrl: "http://images.example/v1.iso",
        machines: [{ endpoint: bmc.endpoint }],
      },
    );
    assert.deepEqual(ok.failures, []);
    const inputs = ok.inputs as Props;
    assert.deepEqual(inputs["password"], secret(PASSWORD));
    assert.equal(inputs["name"], "f", "the name defaults to the resource's");
  });
});

describe("linuxkit:metal:ArtifactFiles through the plugin", () => {
  const FILES = "linuxkit:metal:ArtifactFiles";

  it("checks against the schema, then lays out the version with the resource's name", async () => {
    const kernel = path.join(dir, "k");
    const initrd = path.join(dir, "i");
    await writeFile(kernel, "kernel");
    await writeFile(initrd, "initrd");
    const u = urn(FILES, "boot");
    const bad = await p.check!(u, {}, { kernel, initrd, baseUrl: "http://x", arch: 64 });
    assert.deepEqual(
      bad.failures?.map((f) => f.reason),
      ["arch must be a string, got number 64"],
    );
    const inputs = (
      await p.check!(
        u,
        {},
        { kernel, initrd, baseUrl: "http://10.0.0.1/m", dir: path.join(dir, "metal") },
      )
    ).inputs as Props;
    assert.equal(inputs["name"], "boot");
    const created = await p.create!(u, inputs);
    const outs = created.outs as Props;
    assert.match(String(outs["ipxeScriptUrl"]), /^http:\/\/10\.0\.0\.1\/m\/[0-9a-f]{16}\/boot-/);
    assert.equal(await readFile(String(outs["kernelFile"]), "utf8"), "kernel");
    assert.match(await readFile(String(outs["scriptFile"]), "utf8"), /^#!ipxe/);
  });
});
