/**
 * examples/redfish as a user runs it, against a real Redfish service
 * (sushy-tools over one libvirt TCG machine on loopback), so the example
 * cannot rot: with only stack configuration set (endpoint, username, the
 * secret password, systemId, isoBaseUrl and workDir), `pulumi preview`
 * plans the image and the machine; `pulumi up` builds the example's
 * linuxkit.yml as iso-bios, the BMC fetches it from the `serve` file
 * server and the machine boots it (the console shows LinuxKit's init); a
 * second up changes nothing; destroy powers the machine off and ejects the
 * media. The password is nowhere in state, stack settings or output.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { startFileServer, type FileServer } from "../../components/serve/file-server";
import { repoRoot } from "../helpers/paths";
import { folderStack } from "../helpers/pulumi-env";
import { domainState } from "../helpers/redfish-emulator";
import { startRedfishLab, type RedfishLab } from "../helpers/redfish-lab";
import { waitUntil } from "../helpers/wait";

const EXAMPLE = path.join(repoRoot, "examples", "redfish");
const STACK = `rfex${process.pid}`;

let lab: RedfishLab;
let work: string;
let files: FileServer;
let stack: Stack;
const seen: string[] = [];
const record = (l: string): void => void seen.push(l);

/** Requests since `from` that change something on the BMC, the system's path shortened. */
function changes(from: number): string[] {
  const system = `/redfish/v1/Systems/${lab.domains[0]!.uuid}`;
  return lab.sushy
    .requests()
    .slice(from)
    .filter((r) => !r.startsWith("GET "))
    .map((r) => r.replace(system, "<system>"));
}

before(async () => {
  lab = await startRedfishLab("lk-rf-example", ["bios"]);
  work = await mkdtemp(path.join(os.tmpdir(), "lk-redfish-example-"));
  const images = path.join(work, "lk", "images");
  await mkdir(images, { recursive: true });
  files = await startFileServer({ dir: images, port: 0, host: "127.0.0.1" });
  stack = await folderStack(EXAMPLE, STACK, path.join(work, "state"));
  await stack.setAllConfig({
    endpoint: { value: lab.sushy.endpoint },
    username: { value: lab.sushy.username },
    password: { value: lab.sushy.password, secret: true },
    systemId: { value: lab.domains[0]!.uuid },
    isoBaseUrl: { value: files.url },
    workDir: { value: path.join(work, "lk") },
  });
});

after(async () => {
  await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await rm(path.join(EXAMPLE, `Pulumi.${STACK}.yaml`), { force: true });
  await files?.close();
  await lab?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("examples/redfish on sushy-tools + libvirt", { concurrency: false }, () => {
  it("preview plans the image and the machine, and touches nothing", async () => {
    const from = lab.sushy.requests().length;
    const preview = await stack.preview({ onOutput: record });
    assert.equal(preview.changeSummary.create, 3, JSON.stringify(preview.changeSummary));
    assert.deepEqual(changes(from), []);
  });

  it("up builds the ISO, the BMC boots it by virtual media, and the console shows LinuxKit", async () => {
    const t0 = Date.now();
    const result = await stack.up({ onOutput: record });
    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.outputs.powerState?.value, "On");
    assert.equal(result.outputs.systemPath?.value, `/redfish/v1/Systems/${lab.domains[0]!.uuid}`);
    const iso = result.outputs.bootedIso?.value as string;
    assert.match(iso, new RegExp(`^${files.url}/.+\\.iso$`));
    assert.equal((await fetch(iso, { method: "HEAD" })).status, 200);
    assert.deepEqual(changes(0), [
      "POST <system>/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia 204",
      "PATCH <system> 204",
      "POST <system>/Actions/ComputerSystem.Reset 204",
    ]);
    const consoleText = (): Promise<string> =>
      readFile(lab.domains[0]!.consoleLog, "utf8").catch(() => "");
    await waitUntil(async () => (await consoleText()).includes("LINUXKIT-TEST: init started"), {
      what: "the example's image to start LinuxKit's init on the serial console",
      timeoutMs: 180_000,
      everyMs: 500,
    });
    process.stderr.write(
      `# example: up and boot to init took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  });

  it("a second up changes nothing", async () => {
    const from = lab.sushy.requests().length;
    const result = await stack.up({ onOutput: record });
    assert.deepEqual(
      Object.keys(result.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
      [],
    );
    assert.deepEqual(changes(from), []);
  });

  it("destroy powers off and ejects; the password was never stored or printed in plain text", async () => {
    const from = lab.sushy.requests().length;
    await stack.destroy({ onOutput: record });
    assert.deepEqual(changes(from), [
      "POST <system>/Actions/ComputerSystem.Reset 204",
      "POST <system>/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia 204",
    ]);
    assert.equal(await domainState(lab.domains[0]!.name), "shut off");
    const pw = lab.sushy.password;
    for (const e of await readdir(path.join(work, "state"), {
      recursive: true,
      withFileTypes: true,
    })) {
      if (!e.isFile()) continue;
      const file = path.join(e.parentPath, e.name);
      assert.ok(!(await readFile(file, "utf8")).includes(pw), file);
    }
    const settings = await readFile(path.join(EXAMPLE, `Pulumi.${STACK}.yaml`), "utf8");
    assert.ok(!settings.includes(pw), "stack settings hold the password only encrypted");
    assert.ok(!seen.join("").includes(pw), "engine output");
  });
});
