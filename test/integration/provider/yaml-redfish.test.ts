/**
 * `linuxkit:redfish:Machine` from a Pulumi YAML program under the real
 * engine, served by the installed plugin, against sushy-tools over a
 * libvirt TCG domain (test/helpers/redfish-lab.ts): `up` powers the
 * domain off, inserts the ISO and powers it on; the password, a secret
 * config value, is only encrypted in the state file; a second `preview`
 * changes nothing; `destroy` ejects and powers the domain off. Readiness is
 * left at "powered on", so no boot is waited for: what the machine boots
 * and when it is ready is redfish-machine.test.ts's subject, this is the
 * plugin path. About 70 s on a loaded 2-core machine (setup 24 s: plugin
 * tarball, lab, ISO; up 22 s, preview 7 s, destroy 12 s).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { installPlugin, pluginStack } from "../../helpers/provider-plugin";
import { domainState } from "../../helpers/redfish-emulator";
import { startRedfishLab, type RedfishLab } from "../../helpers/redfish-lab";

const PROGRAM = `name: lk-yaml-redfish
runtime: yaml
config:
  endpoint:
    type: string
  username:
    type: string
  bmcPassword:
    type: string
    secret: true
  isoUrl:
    type: string
resources:
  machine:
    type: linuxkit:redfish:Machine
    properties:
      endpoint: \${endpoint}
      username: \${username}
      password: \${bmcPassword}
      isoUrl: \${isoUrl}
      powerTimeoutSeconds: 60
outputs:
  systemPath: \${machine.systemPath}
  powerState: \${machine.powerState}
`;

let work: string;
let lab: RedfishLab;
let stack: Stack;
let stateDir: string;
/** Whether the last test destroyed the stack (else `after` does, when a test failed first). */
let destroyed = false;

/** Every file of the local backend's state, as text. */
async function stateText(): Promise<string> {
  const texts: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else texts.push(await readFile(p, "utf8"));
    }
  };
  await walk(stateDir);
  return texts.join("\n");
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-plugin-redfish-"));
  const home = path.join(work, "home");
  const program = path.join(work, "program");
  stateDir = path.join(work, "state");
  await installPlugin(home);
  lab = await startRedfishLab("lk-yrf", ["bios"]);
  const iso = await lab.iso("v1");
  await mkdir(program);
  await writeFile(path.join(program, "Pulumi.yaml"), PROGRAM);
  stack = await pluginStack(program, "dev", stateDir, home);
  await stack.setAllConfig({
    endpoint: { value: lab.sushy.endpoint },
    username: { value: lab.sushy.username },
    bmcPassword: { value: lab.sushy.password, secret: true },
    isoUrl: { value: iso },
  });
});

after(async () => {
  if (!destroyed) await stack?.destroy().catch(() => undefined);
  await lab?.close();
  await rm(work, { recursive: true, force: true });
});

describe("linuxkit:redfish:Machine from YAML (real engine, sushy-tools)", () => {
  it("up inserts the ISO and powers the machine on, the password encrypted in state", async () => {
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.outputs["powerState"]?.value, "On");
    assert.match(String(up.outputs["systemPath"]?.value), /^\/redfish\/v1\/Systems\//);
    assert.equal(await domainState(lab.domains[0]!.name), "running");
    assert.ok(!(await stateText()).includes(lab.sushy.password), "no plain password in state");
    assert.ok(!up.stdout.includes(lab.sushy.password), "no password in the output");
  });

  it("a second preview changes nothing", async () => {
    const p = await stack.preview();
    assert.deepEqual(p.changeSummary, { same: 2 });
  });

  it("destroy ejects the media and powers the machine off", async () => {
    const d = await stack.destroy();
    destroyed = true;
    assert.equal(d.summary.result, "succeeded");
    assert.notEqual(await domainState(lab.domains[0]!.name), "running");
  });
});
