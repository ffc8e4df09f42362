/**
 * GcpImage, GcpMachine and GcpFleet under Pulumi's mocks: every child's
 * exact type, name, parent and inputs; the wiring object URL →
 * rawDisk.source → image self link → template sourceImage → group version;
 * names from content hashes (same content, same names; new content, new
 * names); a secret userData still secret in the inputs the engine gets;
 * the regional rollout check and the `gcp` format check.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordingOutputs, recordResources, unwrap } from "../../../helpers/pulumi-mocks";

import type * as GcpModule from "../../../../components/pulumi/gcp";
import type { Image as ImageClass } from "../../../../components/pulumi/image/image";

const T = {
  image: "pulumi-nodejs:dynamic/linuxkit:Image",
  gcpImage: "linuxkit:gcp:GcpImage",
  machine: "linuxkit:gcp:GcpMachine",
  fleet: "linuxkit:gcp:GcpFleet",
  object: "gcp:storage/bucketObject:BucketObject",
  computeImage: "gcp:compute/image:Image",
  instance: "gcp:compute/instance:Instance",
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
  healthCheck: "gcp:compute/healthCheck:HealthCheck",
  firewall: "gcp:compute/firewall:Firewall",
  group: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
};
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const PROJECT_URL = "https://www.googleapis.com/compute/v1/projects/p";

/**
 * The value of a secret as the engine receives it. A secret inside an
 * object makes the SDK send the whole object as one secret.
 */
function secretValue(v: unknown): Record<string, unknown> {
  assert.ok(v !== null && typeof v === "object", "an object");
  const o = v as Record<string, unknown>;
  assert.equal(o[SIG_KEY], SECRET_SIG, "sent to the engine as a secret");
  return o.value as Record<string, unknown>;
}

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

/** What the mocked engine saw registered, in order. */
let registered: MockResourceArgs[] = [];

/** The mocked engine's state for each new resource: inputs plus what GCP would add. */
function mockState(args: MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const state: Record<string, unknown> = { ...inputs };
  switch (args.type) {
    case T.image: {
      // The "build": artifacts named and hashed from the YAML, as the real Image reports them.
      const yaml = String(inputs.configYaml);
      const dir = `.linuxkit/images/${sha(yaml).slice(0, 16)}`;
      const formats = inputs.formats as string[];
      return Object.assign(state, {
        contentHash: sha(yaml),
        artifacts: formats.map((f) => ({
          format: f,
          path: `${dir}/${String(inputs.name)}${f === "gcp" ? ".img.tar.gz" : `-${f}`}`,
          sha256: sha(`${f}:${yaml}`),
          size: 1000,
        })),
      });
    }
    case T.computeImage:
      return Object.assign(state, {
        selfLink: `${PROJECT_URL}/global/images/${String(inputs.name)}`,
      });
    case T.instance:
      return Object.assign(state, {
        name: `${args.name}-1a2b3c`,
        selfLink: `${PROJECT_URL}/zones/${String(inputs.zone)}/instances/${args.name}-1a2b3c`,
        networkInterfaces: [{ networkIp: "10.132.0.2", accessConfigs: [{ natIp: "34.1.2.3" }] }],
      });
    case T.template:
      return Object.assign(state, {
        selfLink: `${PROJECT_URL}/global/instanceTemplates/${args.name}-4d5e6f`,
      });
    case T.healthCheck:
      return Object.assign(state, {
        selfLink: `${PROJECT_URL}/global/healthChecks/${args.name}-777`,
      });
    case T.group:
      return Object.assign(state, {
        selfLink: `${PROJECT_URL}/regions/${String(inputs.region)}/instanceGroupManagers/x`,
      });
    default:
      return state;
  }
}

let gcpm: typeof GcpModule;
let Image: typeof ImageClass;

before(async () => {
  registered = await recordResources((args) => mockState(args));
  gcpm = await import("../../../../components/pulumi/gcp");
  ({ Image } = await import("../../../../components/pulumi/image/image"));
});

/** Registered resources from index `from` on whose name starts with `prefix`. */
function since(from: number, prefix: string): MockResourceArgs[] {
  return registered.slice(from).filter((r) => r.name.startsWith(prefix));
}

function one(list: MockResourceArgs[], type: string): MockResourceArgs {
  const found = list.filter((r) => r.type === type);
  assert.equal(found.length, 1, `exactly one ${type}`);
  return found[0]!;
}

/** An Image and a GcpImage over it, all registered and resolved. */
async function gcpImage(
  name: string,
  yaml: string,
  extra: Partial<GcpModule.GcpImageArgs> = {},
): Promise<{ img: GcpModule.GcpImage; added: MockResourceArgs[] }> {
  const from = registered.length;
  const image = new Image(`${name}-lk`, { configYaml: yaml, formats: ["gcp"], name });
  const img = new gcpm.GcpImage(name, { image, bucket: "my-bucket", ...extra });
  await unwrap(img.imageSelfLink);
  await unwrap(img.urn);
  return { img, added: since(from, name) };
}

describe("GcpImage", () => {
  let img: GcpModule.GcpImage;
  let added: MockResourceArgs[];
  const YAML = "kernel: {image: k}\n";
  const artifactSha = sha(`gcp:${YAML}`);

  before(async () => {
    ({ img, added } = await gcpImage("web", YAML, {
      family: "linuxkit-web",
      labels: { app: "web" },
    }));
  });

  it("registers the component, a BucketObject and a compute Image, in that order, named after it", () => {
    assert.deepEqual(
      added.filter((r) => r.type !== T.image).map((r) => [r.type, r.name]),
      [
        [T.gcpImage, "web"],
        [T.object, "web-object"],
        [T.computeImage, "web-image"],
      ],
    );
  });

  it("parents both children to the component", async () => {
    const chain = `urn:pulumi:stack::project::${T.gcpImage}$`;
    assert.equal(await unwrap(img.bucketObject.urn), `${chain}${T.object}::web-object`);
    assert.equal(await unwrap(img.computeImage.urn), `${chain}${T.computeImage}::web-image`);
  });

  it("uploads the gcp artifact as a FileAsset named from its sha256", () => {
    const obj = one(added, T.object);
    assert.equal(obj.inputs.bucket, "my-bucket");
    assert.equal(obj.inputs.name, `web-${artifactSha.slice(0, 16)}.img.tar.gz`);
    assert.equal(obj.inputs.contentType, "application/gzip");
    const source = obj.inputs.source as pulumi.asset.FileAsset;
    assert.ok(source instanceof pulumi.asset.FileAsset, "source is a FileAsset");
    return (source.path as Promise<string>).then((p) =>
      assert.equal(
        p,
        path.resolve(`.linuxkit/images/${sha(YAML).slice(0, 16)}/web.img.tar.gz`),
        "the program-relative artifact path, resolved against the program folder",
      ),
    );
  });

  it("creates the compute image from the object's URL with family, guest OS features and labels", () => {
    const ci = one(added, T.computeImage);
    const objectName = `web-${artifactSha.slice(0, 16)}.img.tar.gz`;
    assert.deepEqual(ci.inputs.rawDisk, {
      source: `https://storage.googleapis.com/my-bucket/${objectName}`,
    });
    assert.equal(ci.inputs.family, "linuxkit-web");
    assert.deepEqual(ci.inputs.guestOsFeatures, [{ type: "VIRTIO_SCSI_MULTIQUEUE" }]);
    assert.deepEqual(ci.inputs.licenses, []);
    assert.deepEqual(ci.inputs.labels, { app: "web" });
    assert.equal(ci.inputs.description, `LinuxKit image web, gcp artifact sha256 ${artifactSha}`);
    assert.match(String(ci.inputs.name), /^web-[0-9a-f]{16}$/);
    assert.ok(gcpm.isGceName(String(ci.inputs.name)));
  });

  it("outputs the object URL, image name and self link", async () => {
    const ci = one(added, T.computeImage);
    const objectName = `web-${artifactSha.slice(0, 16)}.img.tar.gz`;
    assert.equal(
      await unwrap(img.objectUrl),
      `https://storage.googleapis.com/my-bucket/${objectName}`,
    );
    assert.equal(await unwrap(img.imageName), ci.inputs.name);
    assert.equal(await unwrap(img.imageSelfLink), `${PROJECT_URL}/global/images/${ci.inputs.name}`);
  });

  it("same content gives the same names; new content gives new names", async () => {
    const names = (list: MockResourceArgs[]): [unknown, unknown] => [
      one(list, T.object).inputs.name,
      one(list, T.computeImage).inputs.name,
    ];
    // The same program run again (a second stack of it): same YAML, same names.
    const again = await gcpImage("web", YAML, { family: "linuxkit-web", labels: { app: "web" } });
    assert.deepEqual(names(again.added), names(added));
    const changed = await gcpImage("web", "kernel: {image: k2}\n", {
      family: "linuxkit-web",
      labels: { app: "web" },
    });
    const [o1, i1] = names(added);
    const [o2, i2] = names(changed.added);
    assert.notEqual(o2, o1);
    assert.notEqual(i2, i1);
    // A setting the image cannot change in place (family) also gives a new name,
    // so the new image never collides with the old one.
    const refamilied = await gcpImage("web", YAML, { family: "other", labels: { app: "web" } });
    assert.equal(names(refamilied.added)[0], o1, "same upload");
    assert.notEqual(names(refamilied.added)[1], i1, "new image name");
  });

  it("nestedVirtualization adds the enable-vmx license", async () => {
    const { added: a } = await gcpImage("nested", YAML, { nestedVirtualization: true });
    assert.deepEqual(one(a, T.computeImage).inputs.licenses, [
      "https://www.googleapis.com/compute/v1/projects/vm-options/global/licenses/enable-vmx",
    ]);
  });

  it("refuses uefi for amd64: its gcp format is a BIOS disk", () => {
    const image = new Image("u-lk", { configYaml: YAML, formats: ["gcp"] });
    assert.throws(
      () => new gcpm.GcpImage("u", { image, bucket: "b", uefi: true }),
      /uefi: true is not supported: the amd64 gcp format is a BIOS disk/,
    );
  });

  it("gives the image import 60 minutes by default, or the importTimeout asked for (issue 19)", async () => {
    const { importOptions } = await import("../../../../components/pulumi/gcp/gcp-image");
    assert.deepEqual(importOptions(img, undefined).customTimeouts, {
      create: "60m",
      update: "60m",
    });
    assert.equal(importOptions(img, undefined).parent, img);
    assert.deepEqual(importOptions(img, "2h").customTimeouts, { create: "2h", update: "2h" });
    assert.throws(() => importOptions(img, "soon"), /importTimeout must be a duration/);
  });
});

describe("GcpMachine", () => {
  let img: GcpModule.GcpImage;
  let machine: GcpModule.GcpMachine;
  let added: MockResourceArgs[];

  before(async () => {
    ({ img } = await gcpImage("m-img", "kernel: {image: m}\n"));
    const from = registered.length;
    machine = new gcpm.GcpMachine("m", {
      image: img,
      zone: "europe-west1-b",
      userData: pulumi.secret('{"ssh":{"entries":{}}}'),
      tags: ["web"],
      diskSizeGb: 10,
    });
    await unwrap(machine.externalIp);
    await unwrap(machine.urn);
    added = since(from, "m");
  });

  it("registers the component and one Instance named after it, parented to it", async () => {
    assert.deepEqual(
      added.map((r) => [r.type, r.name]),
      [
        [T.machine, "m"],
        [T.instance, "m-instance"],
      ],
    );
    assert.equal(
      await unwrap(machine.instance.urn),
      `urn:pulumi:stack::project::${T.machine}$${T.instance}::m-instance`,
    );
  });

  it("boots the image's self link with the serial port on and the default machine and network", async () => {
    const inst = one(added, T.instance);
    assert.equal(inst.inputs.zone, "europe-west1-b");
    assert.equal(inst.inputs.machineType, "e2-small");
    assert.deepEqual(inst.inputs.bootDisk, {
      autoDelete: true,
      initializeParams: { image: await unwrap(img.imageSelfLink), size: 10 },
    });
    assert.deepEqual(inst.inputs.networkInterfaces, [{ network: "default", accessConfigs: [{}] }]);
    assert.deepEqual(inst.inputs.tags, ["web"]);
  });

  it("sends the metadata (serial port on, user-data) as a secret when userData is one", () => {
    const inst = one(added, T.instance);
    assert.deepEqual(secretValue(inst.inputs.metadata), {
      "serial-port-enable": "TRUE",
      "user-data": '{"ssh":{"entries":{}}}',
    });
  });

  it("outputs the instance's name, self link and addresses", async () => {
    assert.equal(await unwrap(machine.instanceName), "m-instance-1a2b3c");
    assert.match(await unwrap(machine.selfLink), /zones\/europe-west1-b\/instances\/m-instance/);
    assert.equal(await unwrap(machine.internalIp), "10.132.0.2");
    assert.equal(await unwrap(machine.externalIp), "34.1.2.3");
  });

  it("without an external IP: no access config, no user-data key", async () => {
    const from = registered.length;
    const m = new gcpm.GcpMachine("m2", { image: img, zone: "z", externalIp: false });
    await unwrap(m.urn);
    await unwrap(m.internalIp);
    const inst = one(since(from, "m2"), T.instance);
    assert.deepEqual(inst.inputs.networkInterfaces, [{ network: "default", accessConfigs: [] }]);
    assert.deepEqual(inst.inputs.metadata, { "serial-port-enable": "TRUE" });
  });
});

describe("GcpFleet", () => {
  let img: GcpModule.GcpImage;
  let fleet: GcpModule.GcpFleet;
  let added: MockResourceArgs[];
  let recorded: ReturnType<typeof recordingOutputs<typeof GcpModule.GcpFleet>>;

  before(async () => {
    ({ img } = await gcpImage("f-img", "kernel: {image: f}\n"));
    const from = registered.length;
    // registerOutputs recorded: a test below awaits what the component registered.
    recorded = recordingOutputs(gcpm.GcpFleet);
    fleet = new recorded.Component("f", {
      image: img,
      region: "europe-west1",
      size: 3,
      health: { port: 80, path: "/healthz", initialDelaySec: 60 },
      userData: pulumi.secret("token=abc"),
      tags: ["web"],
    });
    await unwrap(fleet.groupManager.selfLink);
    await unwrap(fleet.urn);
    added = since(from, "f");
  });

  it("registers the component, a template, health check, firewall and regional group, named after it", () => {
    // Children register as their inputs resolve: the order among them may vary.
    assert.deepEqual(
      [added[0], ...added.slice(1).sort((a, b) => a.name.localeCompare(b.name))].map((r) => [
        r!.type,
        r!.name,
      ]),
      [
        [T.fleet, "f"],
        [T.group, "f-group"],
        [T.healthCheck, "f-health"],
        [T.firewall, "f-health-fw"],
        [T.template, "f-template"],
      ],
    );
  });

  it("parents every child to the component", async () => {
    const chain = `urn:pulumi:stack::project::${T.fleet}$`;
    assert.equal(await unwrap(fleet.instanceTemplate.urn), `${chain}${T.template}::f-template`);
    assert.equal(await unwrap(fleet.healthCheck.urn), `${chain}${T.healthCheck}::f-health`);
    assert.equal(await unwrap(fleet.firewall.urn), `${chain}${T.firewall}::f-health-fw`);
    assert.equal(await unwrap(fleet.groupManager.urn), `${chain}${T.group}::f-group`);
  });

  it("wires object URL → rawDisk.source → image self link → template sourceImage → group version", async () => {
    const ci = registered.filter((r) => r.type === T.computeImage && r.name === "f-img-image");
    assert.equal(ci.length, 1);
    assert.equal(ci[0]!.inputs.rawDisk.source, await unwrap(img.objectUrl));
    const selfLink = await unwrap(img.imageSelfLink);
    assert.equal(selfLink, `${PROJECT_URL}/global/images/${String(ci[0]!.inputs.name)}`);
    const tpl = one(added, T.template);
    assert.deepEqual(tpl.inputs.disks, [{ sourceImage: selfLink, boot: true, autoDelete: true }]);
    const group = one(added, T.group);
    assert.deepEqual(group.inputs.versions, [
      {
        name: "primary",
        instanceTemplate: `${PROJECT_URL}/global/instanceTemplates/f-template-4d5e6f`,
      },
    ]);
  });

  it("lets the template be auto-named and gives it the serial port, secret user-data and the fleet tag", () => {
    const tpl = one(added, T.template);
    assert.equal(tpl.inputs.name, undefined, "auto-named: a new image makes a new template");
    assert.equal(tpl.inputs.machineType, "e2-small");
    assert.deepEqual(secretValue(tpl.inputs.metadata), {
      "serial-port-enable": "TRUE",
      "user-data": "token=abc",
    });
    assert.deepEqual(tpl.inputs.tags, ["f-fleet", "web"]);
    assert.deepEqual(tpl.inputs.networkInterfaces, [{ network: "default", accessConfigs: [{}] }]);
  });

  it("checks HTTP health on the port and path, and opens the port to Google's health checkers only", () => {
    const hc = one(added, T.healthCheck);
    assert.deepEqual(hc.inputs.httpHealthCheck, { port: 80, requestPath: "/healthz" });
    assert.equal(hc.inputs.checkIntervalSec, 10);
    assert.equal(hc.inputs.timeoutSec, 5);
    const fw = one(added, T.firewall);
    assert.equal(fw.inputs.network, "default");
    assert.equal(fw.inputs.direction, "INGRESS");
    assert.deepEqual(fw.inputs.sourceRanges, ["35.191.0.0/16", "130.211.0.0/22"]);
    assert.deepEqual(fw.inputs.allows, [{ protocol: "tcp", ports: ["80"] }]);
    assert.deepEqual(fw.inputs.targetTags, ["f-fleet"]);
  });

  it("rolls proactively by replacement, one surge per zone, nothing down, and waits for UPDATED", () => {
    const group = one(added, T.group);
    assert.equal(group.inputs.region, "europe-west1");
    assert.equal(group.inputs.baseInstanceName, "f");
    assert.equal(group.inputs.targetSize, 3);
    assert.deepEqual(group.inputs.updatePolicy, {
      type: "PROACTIVE",
      minimalAction: "REPLACE",
      maxSurgeFixed: 3,
      maxUnavailableFixed: 0,
    });
    assert.deepEqual(group.inputs.autoHealingPolicies, {
      healthCheck: "f-health-id",
      initialDelaySec: 60,
    });
    assert.deepEqual(group.inputs.namedPorts, [{ name: "http", port: 80 }]);
    assert.equal(group.inputs.waitForInstances, true);
    assert.equal(group.inputs.waitForInstancesStatus, "UPDATED");
    assert.equal(group.inputs.distributionPolicyZones, undefined);
  });

  it("registers the group, template and health check self links and the fleet tag as outputs", async () => {
    assert.deepEqual(await recorded.outputsOf(fleet), {
      groupManager: `${PROJECT_URL}/regions/europe-west1/instanceGroupManagers/x`,
      instanceTemplate: `${PROJECT_URL}/global/instanceTemplates/f-template-4d5e6f`,
      healthCheck: `${PROJECT_URL}/global/healthChecks/f-health-777`,
      fleetTag: "f-fleet",
    });
  });

  it("refuses surge or unavailable values a regional group refuses", () => {
    const base = { image: img, region: "r", size: 3, health: { port: 80 } };
    assert.throws(
      () => new gcpm.GcpFleet("bad1", { ...base, maxSurge: 1 }),
      /GcpFleet bad1: maxSurge 1 is refused by a regional instance group spread over 3 zones: a fixed value must be 0 or at least the number of zones \(set maxSurge to 0 or to 3 or more/,
    );
    assert.throws(
      () => new gcpm.GcpFleet("bad2", { ...base, maxSurge: 3, maxUnavailable: 2 }),
      /maxUnavailable 2 is refused by a regional instance group spread over 3 zones/,
    );
    assert.throws(
      () => new gcpm.GcpFleet("bad3", { ...base, maxSurge: 0, maxUnavailable: 0 }),
      /both 0: a rolling update could never replace an instance/,
    );
    assert.throws(
      () => new gcpm.GcpFleet("bad4", { ...base, health: { port: 70000 } }),
      /health.port must be a TCP port/,
    );
  });

  it("counts the zones given: two zones allow a surge of 2", async () => {
    const from = registered.length;
    const f2 = new gcpm.GcpFleet("two", {
      image: img,
      region: "europe-west1",
      size: 2,
      distributionPolicyZones: ["europe-west1-b", "europe-west1-c"],
      maxUnavailable: 2,
      health: { port: 8080 },
    });
    await unwrap(f2.groupManager.urn);
    await unwrap(f2.groupManager.selfLink);
    const group = one(since(from, "two"), T.group);
    assert.deepEqual(group.inputs.distributionPolicyZones, ["europe-west1-b", "europe-west1-c"]);
    assert.deepEqual(group.inputs.updatePolicy, {
      type: "PROACTIVE",
      minimalAction: "REPLACE",
      maxSurgeFixed: 2,
      maxUnavailableFixed: 2,
    });
    assert.throws(
      () =>
        new gcpm.GcpFleet("two-bad", {
          image: img,
          region: "r",
          size: 2,
          distributionPolicyZones: ["a", "b"],
          maxSurge: 1,
          health: { port: 80 },
        }),
      /spread over 2 zones/,
    );
  });
});

describe("arm64 on Compute Engine", () => {
  const YAML = "kernel: {image: arm}\n";
  let img: GcpModule.GcpImage;

  before(async () => {
    const from = registered.length;
    const image = new Image("a64-lk", {
      configYaml: YAML,
      formats: ["gcp"],
      name: "a64",
      arch: "arm64",
    });
    img = new gcpm.GcpImage("a64", { image, bucket: "my-bucket" });
    await unwrap(img.imageSelfLink);
    await unwrap(img.urn);
    assert.ok(since(from, "a64").length > 0);
  });

  it("marks an arm64 image UEFI_COMPATIBLE and its boot disks ARM64", async () => {
    const computeImage = registered.find(
      (r) => r.type === T.computeImage && r.name === "a64-image",
    );
    assert.ok(computeImage);
    assert.deepEqual(computeImage.inputs.guestOsFeatures, [
      { type: "VIRTIO_SCSI_MULTIQUEUE" },
      { type: "UEFI_COMPATIBLE" },
    ]);
    assert.equal(await unwrap(img.arch), "arm64");
    assert.equal(await unwrap(img.gcpArchitecture), "ARM64");
  });

  it("GcpMachine on an Arm machine type boots it from an ARM64 disk", async () => {
    const m = new gcpm.GcpMachine("a64-vm", {
      image: img,
      zone: "us-central1-a",
      machineType: "t2a-standard-1",
    });
    await unwrap(m.instance.urn);
    const inst = registered.find((r) => r.type === T.instance && r.name === "a64-vm-instance");
    assert.ok(inst);
    assert.equal(inst.inputs.machineType, "t2a-standard-1");
    const disk = inst.inputs.bootDisk as { initializeParams: { architecture?: string } };
    assert.equal(disk.initializeParams.architecture, "ARM64");
  });

  it("GcpMachine refuses an x86 machine type for the arm64 image, at preview", () => {
    assert.throws(
      () => new gcpm.GcpMachine("a64-x86", { image: img, zone: "us-central1-a" }),
      /GcpMachine a64-x86: machineType e2-small is an x86-64 machine \(e2\), but the image is built for arm64/,
    );
  });

  it("GcpFleet refuses an Arm machine type for an amd64 image", async () => {
    const { img: amd } = await gcpImage("amd-f", "kernel: {image: x}\n");
    assert.throws(
      () =>
        new gcpm.GcpFleet("amd-f-fleet", {
          image: amd,
          region: "europe-west1",
          size: 3,
          machineType: "c4a-standard-2",
          health: { port: 80 },
        }),
      /GcpFleet amd-f-fleet: machineType c4a-standard-2 is an Arm machine \(c4a\), but the image is built for amd64/,
    );
  });
});
