/**
 * The Packet / Equinix Metal boot, proven under qemu the way the bare
 * metal boots: nginx-like.yml (plus test/fixtures/e2e/metal.yml, which
 * leaves the console to the iPXE script) is built as kernel+initrd,
 * MetalArtifacts' provider lays out kernel, initrd and LinuxKit's x86 iPXE
 * script in a version folder, `pulumi-linuxkit serve`'s file server serves
 * it on loopback, and MetalDevice's provider creates the device on the fake
 * Metal API. A diskless qemu whose DHCP hands out the device's script URL
 * boots it through qemu's iPXE ROM; the console on ttyS1 (a second serial
 * port, as on Metal) must show the fixture's onboot and service markers.
 * Then the in-place update: a changed image gets a new version folder and
 * script URL, MetalDevice's update PUTs it and reboots the device, and the
 * same machine, booting through the platform's chain to the device's
 * current script, comes up with the new image.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { loadSpecFiles } from "../../components/config";
import { build } from "../../components/pipeline/pipeline";
import {
  metalArtifactsProvider,
  type MetalArtifactsOutputs,
} from "../../components/pulumi/metal/metal-artifacts-provider";
import type { MetalDeviceInputs } from "../../components/pulumi/metal/metal-device-inputs";
import { metalDeviceProvider } from "../../components/pulumi/metal/metal-device-provider";
import { startFileServer, type FileServer } from "../../components/serve/file-server";
import { ensureTestImages } from "../helpers/boot";
import { startFakeMetalApi, type FakeMetalApi } from "../helpers/fake-metal-api";
import { bootFromNetwork, type NetworkBootResult } from "../helpers/ipxe-boot";
import { fixture } from "../helpers/paths";
import { checkConsole, loadExpectations } from "../images/expect";

const NAME = "nginx-like";
const V2_MARKER = "LINUXKIT-TEST: metal image version 2";
const expect = loadExpectations(fixture("e2e", "nginx-like.expect.json"));
/** The fixture's own boot budget plus the iPXE downloads over slirp. */
const BOOT_TIMEOUT_MS = (expect.timeoutSeconds + 120) * 1000;

let work: string;
let served: string;
let files: FileServer;
let api: FakeMetalApi;
const httpLog: string[] = [];

interface Built {
  kernel: string;
  initrd: string;
  cmdline: string;
  contentHash: string;
}

async function buildImage(overlays: string[], outDir: string): Promise<Built> {
  const ymls = [fixture("e2e", `${NAME}.yml`), ...overlays.map((o) => fixture("e2e", o))];
  const parsed = await loadSpecFiles(ymls);
  const result = await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: path.dirname(ymls[0]!),
    name: NAME,
    outputDir: outDir,
    formats: ["kernel+initrd"],
  });
  const file = (suffix: string): string => {
    const a = result.artifacts.find((x) => x.file === `${NAME}${suffix}`);
    assert.ok(a, `the build wrote ${NAME}${suffix}`);
    return a.path;
  };
  return {
    kernel: file("-kernel"),
    initrd: file("-initrd.img"),
    cmdline: result.cmdline,
    contentHash: result.cacheKey,
  };
}

/** MetalArtifacts' provider: the version folder under `served`, URLs as the guest sees them. */
async function publish(image: Built): Promise<MetalArtifactsOutputs> {
  const { inputs } = await metalArtifactsProvider.check(
    {},
    {
      name: NAME,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: image.cmdline,
      arch: "x86_64",
      baseUrl: `http://10.0.2.2:${files.port}`,
      dir: served,
      contentHash: image.contentHash,
    },
  );
  return (await metalArtifactsProvider.create(inputs)).outs;
}

function explain(boot: NetworkBootResult, problems: string[]): string {
  return `${problems.join("\n")}\n(qemu ${boot.timedOut ? "timed out" : `exit ${boot.code}`} after ${boot.seconds} s)\n--- ttyS1 tail ---\n${boot.console.split("\n").slice(-40).join("\n")}\n--- http ---\n${httpLog.join("\n")}`;
}

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-ipxe-"));
  served = path.join(work, "served");
  await mkdir(served, { recursive: true });
  files = await startFileServer({
    dir: served,
    port: 0,
    host: "127.0.0.1",
    log: (l) => httpLog.push(l),
  });
  api = await startFakeMetalApi({ stepMs: 20 });
});

after(async () => {
  await files?.close();
  await api?.close();
  await rm(work, { recursive: true, force: true });
});

describe("a Metal machine iPXE-boots the image and is updated in place (qemu TCG)", () => {
  let v1: MetalArtifactsOutputs;
  let deviceInputs: MetalDeviceInputs;
  let deviceId: string;
  let firstConsole: string;

  it("the device's x86 script, handed out by DHCP, boots the image with its console on ttyS1", async () => {
    const image = await buildImage(["metal.yml"], path.join(work, "v1"));
    v1 = await publish(image);
    assert.match(v1.ipxeScript, /console=ttyS1,115200 page_poison=1 linuxkit\.test\.poweroff=1/);
    const { inputs } = await metalDeviceProvider.check(
      {},
      {
        projectId: "7d5f0000-0000-4000-8000-000000000e2e",
        plan: "c3.small.x86",
        metro: "da",
        hostname: "ipxe-e2e",
        ipxeScriptUrl: v1.ipxeScriptUrl,
        apiUrl: api.apiUrl,
        authToken: api.token,
        timeoutSeconds: 10,
        pollSeconds: 0.02,
      },
    );
    deviceInputs = inputs;
    const created = await metalDeviceProvider.create(inputs);
    deviceId = created.id;
    assert.equal(created.outs.state, "active");
    const device = api.devices.get(deviceId)!;
    assert.equal(device.operating_system.slug, "custom_ipxe");
    assert.equal(device.always_pxe, true);

    const boot = await bootFromNetwork(
      {
        bootfile: device.ipxe_script_url!,
        ttyS0File: path.join(work, "v1.ttyS0.log"),
        consoleFile: path.join(work, "v1.ttyS1.log"),
      },
      BOOT_TIMEOUT_MS,
    );
    firstConsole = boot.console;
    process.stderr.write(`v1 network boot to poweroff: ${boot.seconds} s\n`);
    assert.equal(boot.timedOut, false, explain(boot, ["the guest never powered off"]));
    const problems = checkConsole(expect, boot.console);
    assert.deepEqual(problems, [], explain(boot, problems));
    assert.match(
      boot.console,
      /Kernel command line: ip=dhcp nomodeset ro serial console=ttyS1,115200 page_poison=1/,
      "the kernel got the script's parameters",
    );
    assert.ok(!boot.console.includes(V2_MARKER));
    for (const f of [
      "nginx-like-equinixmetal.ipxe",
      "nginx-like-kernel",
      "nginx-like-initrd.img",
    ]) {
      assert.ok(
        httpLog.includes(`GET /${v1.version}/${f} 200`),
        `the machine fetched ${f}: ${httpLog.join(", ")}`,
      );
    }
  });

  it("a new image is a new script URL, PUT and reboot: the same machine boots it", async () => {
    assert.ok(firstConsole, "the first boot ran");
    const image = await buildImage(["metal.yml", "metal-v2.yml"], path.join(work, "v2"));
    const v2 = await publish(image);
    assert.notEqual(v2.version, v1.version);
    assert.notEqual(v2.ipxeScriptUrl, v1.ipxeScriptUrl);

    const from = api.requests.length;
    const olds = (await metalDeviceProvider.read(deviceId, {
      ...deviceInputs,
      deviceId,
      state: "active",
    })) as { props: Parameters<typeof metalDeviceProvider.update>[1] };
    const updated = await metalDeviceProvider.update(deviceId, olds.props, {
      ...deviceInputs,
      ipxeScriptUrl: v2.ipxeScriptUrl,
    });
    assert.equal(updated.outs.deviceId, deviceId);
    const calls = api.requests.slice(from).filter((r) => r.method !== "GET");
    assert.deepEqual(
      calls.map((r) => `${r.method} ${r.path}`),
      [`PUT /devices/${deviceId}`, `POST /devices/${deviceId}/actions`],
    );
    assert.deepEqual(calls[0]?.body, { ipxe_script_url: v2.ipxeScriptUrl, always_pxe: true });
    assert.deepEqual(calls[1]?.body, { type: "reboot" });

    // The reboot: the same machine (same MAC) PXE-boots again; with
    // always_pxe the platform's boot script chains to the device's
    // current ipxe_script_url.
    const boot = await bootFromNetwork(
      {
        bootfile: `http://10.0.2.2:${api.port}${api.chainPath(deviceId)}`,
        ttyS0File: path.join(work, "v2.ttyS0.log"),
        consoleFile: path.join(work, "v2.ttyS1.log"),
      },
      BOOT_TIMEOUT_MS,
    );
    process.stderr.write(`v2 network boot to poweroff: ${boot.seconds} s\n`);
    assert.equal(boot.timedOut, false, explain(boot, ["the guest never powered off"]));
    const problems = checkConsole(expect, boot.console);
    assert.deepEqual(problems, [], explain(boot, problems));
    assert.ok(boot.console.includes(V2_MARKER), explain(boot, ["no v2 marker"]));
    assert.ok(httpLog.includes(`GET /${v2.version}/nginx-like-initrd.img 200`));
    assert.ok(
      api.requests.some((r) => r.path === api.chainPath(deviceId) && r.status === 200),
      "the machine booted through the device's chain script",
    );
  });
});
