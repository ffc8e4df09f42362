/**
 * The provider plugin from a Pulumi YAML program, under the real engine:
 * an Image built from LinuxKit YAML feeds a `linuxkit:qemu:Vm` with a port
 * forward and readiness. `up` boots it and HTTP answers through the
 * forward (the plugin's progress lines show in the output), a second
 * `preview` changes nothing, an edit to the LinuxKit YAML replaces image
 * and VM, `refresh` changes nothing, and `destroy` leaves no qemu process
 * and no folder. Then the LocalMachine component from YAML, and the
 * errors a user meets: a mistyped, unknown or missing property, and a
 * plugin that is not installed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../../components/qemu/process-identity";
import { repoRoot } from "../../helpers/paths";
import { freePort, httpGet, installPlugin, pluginStack } from "../../helpers/provider-plugin";

const LINUXKIT_YAML = path.join(repoRoot, "examples", "qemu-local", "linuxkit.yml");
const READY = 'consolePattern: "LINUXKIT-TEST: boot complete", tcpPort: 80, timeoutSeconds: 300';

const IMAGE_AND_VM = `name: lk-yaml
runtime: yaml
config:
  httpPort:
    type: integer
resources:
  image:
    type: linuxkit:index:Image
    properties:
      configFiles: [linuxkit.yml]
  vm:
    type: linuxkit:qemu:Vm
    properties:
      kernel: \${image.kernel}
      initrd: \${image.initrd}
      cmdline: \${image.cmdline}
      imageHash: \${image.contentHash}
      memoryMiB: 512
      forwards:
        - hostPort: \${httpPort}
          guestPort: 80
      readiness: { ${READY} }
outputs:
  pid: \${vm.pid}
  contentHash: \${image.contentHash}
  vmDir: \${vm.vmDir}
`;

let work: string;
let home: string;
let program: string;
let stack: Stack;
let port: number;

const running = (pid: number): boolean => processStartTime(pid) !== undefined;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-plugin-yaml-"));
  home = path.join(work, "home");
  program = path.join(work, "program");
  await installPlugin(home);
  await rm(program, { recursive: true, force: true });
  await mkdir(program);
  await writeFile(path.join(program, "Pulumi.yaml"), IMAGE_AND_VM);
  await copyFile(LINUXKIT_YAML, path.join(program, "linuxkit.yml"));
  port = await freePort();
  stack = await pluginStack(program, "dev", path.join(work, "state"), home);
  await stack.setConfig("httpPort", { value: String(port) });
});

after(async () => {
  await stack?.destroy().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe("linuxkit plugin from a YAML program", { concurrency: false }, () => {
  let firstPid: number;

  it("up builds the image, boots the VM, and HTTP answers through the forward", async () => {
    let out = "";
    const r = await stack.up({ onOutput: (s) => (out += s) });
    assert.equal(r.summary.result, "succeeded");
    firstPid = r.outputs["pid"]?.value as number;
    assert.ok(running(firstPid), "qemu runs after up");
    assert.match(await httpGet(port), /\S/);
    // Progress from the plugin, as it worked.
    assert.match(out, /waiting for readiness: console \/LINUXKIT-TEST: boot complete\//);
    assert.match(out, /VM vm is ready/);
  });

  it("a second preview changes nothing", async () => {
    const r = await stack.preview();
    assert.deepEqual(r.changeSummary, { same: 3 });
  });

  it("an edit to the LinuxKit YAML replaces image and VM", async () => {
    const file = path.join(program, "linuxkit.yml");
    await writeFile(
      file,
      (await readFile(file, "utf8")).replace('{"debug": true}', '{"debug": false}'),
    );
    const pv = await stack.preview({ diff: true });
    assert.equal(pv.changeSummary["replace"], 2, JSON.stringify(pv.changeSummary));
    const r = await stack.up();
    assert.equal(r.summary.resourceChanges?.["replace"], 2);
    const pid = r.outputs["pid"]?.value as number;
    assert.notEqual(pid, firstPid);
    assert.ok(running(pid));
    assert.ok(!running(firstPid), "the old VM stopped");
    assert.match(await httpGet(port), /\S/);
  });

  it("refresh changes nothing", async () => {
    const r = await stack.refresh();
    assert.equal(r.summary.resourceChanges?.["update"], undefined);
    assert.equal(r.summary.resourceChanges?.["delete"], undefined);
  });

  it("destroy leaves no process and no folder", async () => {
    const pid = (await stack.outputs())["pid"]?.value as number;
    await stack.destroy();
    assert.ok(!running(pid));
    const left = existsSync(path.join(program, ".linuxkit"))
      ? await readdir(path.join(program, ".linuxkit"), { recursive: true })
      : [];
    assert.deepEqual(left, []);
  });
});

describe("linuxkit plugin: LocalMachine from YAML", { concurrency: false }, () => {
  it("builds and boots through construct, then destroys", async () => {
    const dir = path.join(work, "local-machine");
    await mkdir(dir);
    await copyFile(LINUXKIT_YAML, path.join(dir, "linuxkit.yml"));
    const p = await freePort();
    await writeFile(
      path.join(dir, "Pulumi.yaml"),
      `name: lk-yaml-machine
runtime: yaml
resources:
  web:
    type: linuxkit:qemu:LocalMachine
    properties:
      image: { configFiles: [linuxkit.yml] }
      memoryMiB: 512
      forwards: [{ hostPort: ${p}, guestPort: 80 }]
      readiness: { ${READY} }
outputs:
  pid: \${web.pid}
  contentHash: \${web.contentHash}
`,
    );
    const s = await pluginStack(dir, "dev", path.join(work, "state"), home);
    try {
      const r = await s.up();
      const pid = r.outputs["pid"]?.value as number;
      assert.ok(running(pid));
      assert.match(r.outputs["contentHash"]?.value as string, /^[0-9a-f]{64}$/);
      assert.match(await httpGet(p), /\S/);
      const pv = await s.preview();
      assert.deepEqual(pv.changeSummary, { same: 4 });
      await s.destroy();
      assert.ok(!running(pid));
    } finally {
      await s.destroy().catch(() => undefined);
    }
  });
});

describe("linuxkit plugin: errors from YAML", { concurrency: false }, () => {
  async function previewError(
    name: string,
    vmProperties: string,
    pulumiHome = home,
  ): Promise<string> {
    const dir = path.join(work, name);
    await mkdir(dir);
    await writeFile(path.join(dir, "k"), "kernel");
    await writeFile(
      path.join(dir, "Pulumi.yaml"),
      `name: ${name}\nruntime: yaml\nresources:\n  vm:\n    type: linuxkit:qemu:Vm\n    properties:\n${vmProperties}`,
    );
    const s = await pluginStack(dir, "dev", path.join(work, "state"), pulumiHome);
    try {
      await s.preview();
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail("preview succeeded");
  }

  it("a property of the wrong type is named", async () => {
    const msg = await previewError(
      "wrongtype",
      "      kernel: k\n      initrd: k\n      memoryMiB: lots\n",
    );
    assert.match(msg, /memoryMiB/);
  });

  it("an unknown property is named", async () => {
    const msg = await previewError(
      "unknownprop",
      "      kernel: k\n      initrd: k\n      memory: 512\n",
    );
    assert.match(msg, /memory/);
  });

  it("a missing required property is named", async () => {
    const dir = path.join(work, "missing");
    await mkdir(dir);
    await writeFile(
      path.join(dir, "Pulumi.yaml"),
      `name: missing\nruntime: yaml\nresources:\n  f:\n    type: linuxkit:qemu:Fleet\n    properties:\n      kernel: k\n      initrd: k\n      imageHash: x\n      health: {}\n`,
    );
    const s = await pluginStack(dir, "dev", path.join(work, "state"), home);
    await assert.rejects(s.preview(), /size/);
  });

  it("a plugin that is not installed names the install command", async () => {
    // With the version given (as the generated SDKs always give it), the
    // engine names the command. Without one, pulumi-yaml asks the release
    // server for the latest version first and reports that it could not.
    const pinned = await previewError(
      "noplugin",
      "      kernel: k\n      initrd: k\n    options:\n      version: 0.1.0\n",
      path.join(work, "empty-home"),
    );
    assert.match(pinned, /pulumi plugin install resource linuxkit v0\.1\.0/);
    const unpinned = await previewError(
      "noplugin-latest",
      "      kernel: k\n      initrd: k\n",
      path.join(work, "empty-home"),
    );
    assert.match(unpinned, /provider linuxkit/);
  });
});
