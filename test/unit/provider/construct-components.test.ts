/**
 * The plugin's construct for the GCP, Metal and Redfish components under
 * Pulumi's mocks, fed as the engine feeds it: an Image (or a
 * `linuxkit:gcp:Image`) arrives as a resource reference, which the SDK
 * turns into an object through the modules the plugin registers, and
 * whose outputs the component reads back from the engine. Checked: the
 * component's plugin token, each child's type, name, parent and key
 * inputs (arm64 disks and images where the image is arm64), the state
 * construct returns, secrets kept secret, and errors naming the input.
 * The gcp and command plugins cannot run here: their resources are mocked.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordResources, unwrap } from "../../helpers/pulumi-mocks";

import { linuxkitProvider } from "../../../components/pulumi/provider/linuxkit-provider";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const PROJECT_URL = "https://www.googleapis.com/compute/v1/projects/p";
const T = {
  image: "linuxkit:index:Image",
  gcpImage: "linuxkit:gcp:Image",
  machine: "linuxkit:gcp:Machine",
  fleet: "linuxkit:gcp:Fleet",
  ipxe: "linuxkit:gcp:IpxeArtifacts",
  metalArtifacts: "linuxkit:metal:Artifacts",
  artifactFiles: "linuxkit:metal:ArtifactFiles",
  remote: "linuxkit:redfish:RemoteArtifacts",
  object: "gcp:storage/bucketObject:BucketObject",
  acl: "gcp:storage/objectAccessControl:ObjectAccessControl",
  computeImage: "gcp:compute/image:Image",
  instance: "gcp:compute/instance:Instance",
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
  healthCheck: "gcp:compute/healthCheck:HealthCheck",
  firewall: "gcp:compute/firewall:Firewall",
  group: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
  copy: "command:remote:CopyToRemote",
};

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

let registered: MockResourceArgs[] = [];

/** The mocked engine's state: inputs plus what a build or GCP would add. */
function mockState(args: MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const state: Record<string, unknown> = { ...inputs };
  switch (args.type) {
    case T.image: {
      const yaml = String(inputs.configYaml);
      const dir = `.linuxkit/images/${sha(yaml).slice(0, 16)}`;
      const name = String(inputs.name);
      return Object.assign(state, {
        contentHash: sha(yaml),
        artifactDir: dir,
        cmdline: "console=ttyS0",
        kernel: `${dir}/${name}-kernel`,
        initrd: `${dir}/${name}-initrd.img`,
        artifacts: (inputs.formats as string[]).flatMap((f) =>
          f === "kernel+initrd"
            ? [`${name}-kernel`, `${name}-initrd.img`, `${name}-cmdline`].map((file) => ({
                format: f,
                path: `${dir}/${file}`,
                sha256: sha(`${file}:${yaml}`),
                size: 10,
              }))
            : [
                {
                  format: f,
                  path: `${dir}/${name}${f === "gcp" ? ".img.tar.gz" : `-${f}.iso`}`,
                  sha256: sha(`${f}:${yaml}`),
                  size: 1000,
                },
              ],
        ),
      });
    }
    case T.computeImage:
      return Object.assign(state, {
        selfLink: `${PROJECT_URL}/global/images/${String(inputs.name)}`,
      });
    case T.instance:
      return Object.assign(state, {
        name: `${args.name}-1a2b3c`,
        selfLink: `${PROJECT_URL}/zones/z/instances/${args.name}-1a2b3c`,
        networkInterfaces: [{ networkIp: "10.132.0.2", accessConfigs: [{ natIp: "34.1.2.3" }] }],
      });
    case T.template:
    case T.healthCheck:
    case T.group:
      return Object.assign(state, { selfLink: `${PROJECT_URL}/x/${args.name}` });
    case T.object:
      return Object.assign(state, { outputName: inputs.name });
    case T.artifactFiles: {
      const version = "0123456789abcdef";
      return Object.assign(state, {
        version,
        kernelFile: `.linuxkit/metal/${version}/${String(inputs.name)}-kernel`,
        initrdFile: `.linuxkit/metal/${version}/${String(inputs.name)}-initrd.img`,
        scriptFile: `.linuxkit/metal/${version}/${String(inputs.name)}-equinixmetal.ipxe`,
        versionUrl: `${String(inputs.baseUrl)}/${version}`,
        ipxeScriptUrl: `${String(inputs.baseUrl)}/${version}/${String(inputs.name)}-equinixmetal.ipxe`,
        ipxeScript: "#!ipxe\n",
      });
    }
    default:
      return state;
  }
}

const served = linuxkitProvider("0.0.0-test");
const construct = served.provider.construct!.bind(served.provider);

/**
 * The SDK's MockMonitor keeps a component's registered outputs as the
 * protobuf Struct it received, which its own getResource cannot send back
 * (the engine keeps them as values). Stored as values here, as the engine
 * does, so a component can be read by reference under mocks.
 */
function mockOutputsAsValues(): void {
  type Struct = { toJavaScript(): unknown };
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    resources: Map<string, { state: unknown }>;
    registerResourceOutputs(
      req: { getUrn(): string; getOutputs(): Struct },
      cb: (e: unknown, r: unknown) => void,
    ): void;
  };
  const original = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) =>
    original(req, (e, r) => {
      const kept = monitor.resources.get(req.getUrn());
      if (e === null && kept !== undefined) kept.state = req.getOutputs().toJavaScript();
      cb(e, r);
    });
}

before(async () => {
  registered = await recordResources(mockState);
  mockOutputsAsValues();
});

/** A resource as the engine hands it to construct: a reference the SDK deserializes. */
async function asEngineSendsIt(res: pulumi.Resource): Promise<unknown> {
  const urn = await unwrap(res.urn);
  return pulumi.runtime.deserializeProperty({
    [SIG_KEY]: pulumi.runtime.specialResourceSig,
    urn,
  });
}

/** A resource the program registered, as any SDK does. */
class ProgramResource extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs) {
    super(type, name, props);
  }
}

/** An Image registered by "the program" (another process in real life), handed over by reference. */
async function programImage(name: string, yaml: string, formats: string[], arch = "amd64") {
  const img = new ProgramResource(T.image, `${name}-lk`, {
    configYaml: yaml,
    formats,
    name,
    arch,
  });
  return asEngineSendsIt(img);
}

function since(from: number, prefix: string): MockResourceArgs[] {
  return registered.slice(from).filter((r) => r.name.startsWith(prefix));
}

function one(list: MockResourceArgs[], type: string): MockResourceArgs {
  const found = list.filter((r) => r.type === type);
  assert.equal(found.length, 1, `exactly one ${type} in ${list.map((r) => r.type).join(", ")}`);
  return found[0]!;
}

/** Every Output in a construct state, resolved. */
async function resolved(state: pulumi.Inputs): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(state)) out[k] = await unwrap(pulumi.output(v));
  return out;
}

describe("construct linuxkit:gcp:Image", () => {
  const YAML = "kernel: {image: k}\n";
  let added: MockResourceArgs[];
  let state: Record<string, unknown>;
  let urn: string;

  before(async () => {
    const from = registered.length;
    const image = await programImage("web", YAML, ["gcp"]);
    const r = await construct(
      "web",
      T.gcpImage,
      { image, bucket: "my-bucket", family: "linuxkit-web" },
      {},
    );
    urn = await unwrap(pulumi.output(r.urn));
    state = await resolved(r.state);
    added = since(from, "web").filter((a) => a.type !== T.image);
  });

  it("registers the component under the plugin token, then a BucketObject and a compute Image parented to it", () => {
    assert.deepEqual(
      added.map((r) => [r.type, r.name]),
      [
        [T.gcpImage, "web"],
        [T.object, "web-object"],
        [T.computeImage, "web-image"],
      ],
    );
    assert.equal(urn, `urn:pulumi:stack::project::${T.gcpImage}::web`);
  });

  it("uploads the Image's gcp artifact, read back through the reference", async () => {
    const obj = one(added, T.object);
    const artifactSha = sha(`gcp:${YAML}`);
    assert.equal(obj.inputs.name, `web-${artifactSha.slice(0, 16)}.img.tar.gz`);
    const source = obj.inputs.source as pulumi.asset.FileAsset;
    assert.ok(source instanceof pulumi.asset.FileAsset);
    assert.match(await (source.path as Promise<string>), /\/web\.img\.tar\.gz$/);
    const ci = one(added, T.computeImage);
    assert.deepEqual(ci.inputs.rawDisk, {
      source: `https://storage.googleapis.com/my-bucket/${String(obj.inputs.name)}`,
    });
    assert.equal(ci.inputs.family, "linuxkit-web");
    assert.deepEqual(ci.inputs.guestOsFeatures, [{ type: "VIRTIO_SCSI_MULTIQUEUE" }]);
  });

  it("returns the schema's outputs as its state", () => {
    const ci = one(added, T.computeImage);
    assert.equal(state.imageSelfLink, `${PROJECT_URL}/global/images/${String(ci.inputs.name)}`);
    assert.equal(state.imageName, ci.inputs.name);
    assert.match(String(state.objectUrl), /^https:\/\/storage\.googleapis\.com\/my-bucket\/web-/);
    assert.equal(state.arch, "amd64");
    assert.equal(state.gcpArchitecture, undefined);
  });

  it("names an unknown property and the one meant", async () => {
    const image = await programImage("typo", YAML, ["gcp"]);
    await assert.rejects(
      construct("typo", T.gcpImage, { image, bukket: "b" }, {}),
      (e: Error & { errors?: { propertyPath: string; reason: string }[] }) => {
        assert.ok(pulumi.InputPropertiesError.isInstance(e));
        assert.deepEqual(
          e.errors?.map((x) => [x.propertyPath, x.reason]),
          [
            ["bukket", 'unknown property "bukket"; did you mean "bucket"?'],
            ["bucket", 'missing required property "bucket"'],
          ],
        );
        return true;
      },
    );
  });

  it("refuses an image that is not a resource, naming the input and what to pass", async () => {
    await assert.rejects(
      construct("str", T.gcpImage, { image: "urn:pulumi:x", bucket: "b" }, {}),
      (e: Error & { propertyPath?: string; reason?: string }) => {
        assert.ok(pulumi.InputPropertyError.isInstance(e));
        assert.equal(e.propertyPath, "image");
        assert.match(
          String(e.reason),
          /linuxkit:gcp:Image image must be a linuxkit:index:Image resource \(pass the resource itself/,
        );
        return true;
      },
    );
  });

  it("refuses a mistyped plain input", async () => {
    const image = await programImage("mt", YAML, ["gcp"]);
    await assert.rejects(
      construct("mt", T.gcpImage, { image, bucket: "b", uefi: "yes" }, {}),
      /uefi must be a boolean \(true or false\), got string "yes"/,
    );
  });
});

describe("construct linuxkit:gcp:Machine and Fleet on an arm64 image", () => {
  let gcpImage: unknown;

  before(async () => {
    const image = await programImage("a64", "kernel: {image: arm}\n", ["gcp"], "arm64");
    const r = await construct("a64", T.gcpImage, { image, bucket: "my-bucket" }, {});
    await resolved(r.state);
    const component = registered.find((a) => a.type === T.gcpImage && a.name === "a64");
    assert.ok(component, "the gcp:Image component registered");
    // What the program passes on: the component, by reference.
    gcpImage = pulumi.runtime.deserializeProperty({
      [SIG_KEY]: pulumi.runtime.specialResourceSig,
      urn: await unwrap(pulumi.output(r.urn)),
    });
  });

  it("makes the compute image UEFI_COMPATIBLE", () => {
    const ci = registered.find((a) => a.type === T.computeImage && a.name === "a64-image");
    assert.ok(ci);
    assert.deepEqual(ci.inputs.guestOsFeatures, [
      { type: "VIRTIO_SCSI_MULTIQUEUE" },
      { type: "UEFI_COMPATIBLE" },
    ]);
  });

  it("Machine: an Instance booting the image from an ARM64 disk, user data kept secret", async () => {
    const from = registered.length;
    const r = await construct(
      "a64-vm",
      T.machine,
      {
        image: gcpImage,
        zone: "us-central1-a",
        machineType: "t2a-standard-1",
        userData: pulumi.secret("token=hunter2"),
      },
      {},
    );
    const state = await resolved(r.state);
    const added = since(from, "a64-vm");
    assert.deepEqual(
      added.map((a) => [a.type, a.name]),
      [
        [T.machine, "a64-vm"],
        [T.instance, "a64-vm-instance"],
      ],
    );
    const inst = one(added, T.instance);
    assert.equal(inst.inputs.machineType, "t2a-standard-1");
    const disk = inst.inputs.bootDisk as {
      initializeParams: { architecture?: string; image?: string };
    };
    assert.equal(disk.initializeParams.architecture, "ARM64");
    assert.match(String(disk.initializeParams.image), /\/global\/images\/a64-[0-9a-f]{16}$/);
    const metadata = inst.inputs.metadata as Record<string, unknown>;
    assert.equal(metadata[SIG_KEY], SECRET_SIG, "the metadata holding user data is sent secret");
    assert.equal(state.externalIp, "34.1.2.3");
    assert.equal(state.internalIp, "10.132.0.2");
    assert.equal(state.instanceName, "a64-vm-instance-1a2b3c");
  });

  it("Fleet: template on an ARM64 disk, health check, firewall and group", async () => {
    const from = registered.length;
    const r = await construct(
      "a64-fleet",
      T.fleet,
      {
        image: gcpImage,
        region: "us-central1",
        size: 3,
        machineType: "t2a-standard-1",
        health: { port: 8080, path: "/healthz" },
      },
      {},
    );
    const state = await resolved(r.state);
    const added = since(from, "a64-fleet");
    assert.deepEqual(
      added.map((a) => a.type).sort(),
      [T.firewall, T.fleet, T.healthCheck, T.template, T.group].sort(),
    );
    const template = one(added, T.template);
    const disks = template.inputs.disks as { architecture?: string; sourceImage?: string }[];
    assert.equal(disks[0]?.architecture, "ARM64");
    assert.match(String(disks[0]?.sourceImage), /\/global\/images\/a64-/);
    assert.deepEqual(one(added, T.healthCheck).inputs.httpHealthCheck, {
      port: 8080,
      requestPath: "/healthz",
    });
    const group = one(added, T.group);
    assert.equal(group.inputs.targetSize, 3);
    assert.equal(
      (group.inputs.versions as { instanceTemplate: string }[])[0]?.instanceTemplate,
      `${PROJECT_URL}/x/a64-fleet-template`,
    );
    assert.equal(state.fleetTag, "a64-fleet-fleet");
    assert.equal(state.groupManager, `${PROJECT_URL}/x/a64-fleet-group`);
  });

  it("Fleet: health must be written in the program, not another resource's output", async () => {
    await assert.rejects(
      construct(
        "late",
        T.fleet,
        { image: gcpImage, region: "r", size: 1, health: pulumi.output({ port: 80 }) },
        {},
      ),
      (e: Error & { propertyPath?: string; reason?: string }) => {
        assert.equal(e.propertyPath, "health");
        assert.match(String(e.reason), /linuxkit:gcp:Fleet health must be a plain value/);
        return true;
      },
    );
  });

  it("Machine refuses a gcp:Image input that is an Image", async () => {
    const image = await programImage("wrongref", "kernel: {image: k}\n", ["gcp"]);
    await assert.rejects(
      construct("wrongref", T.machine, { image, zone: "z" }, {}),
      /linuxkit:gcp:Machine image must be a linuxkit:gcp:Image resource, got a linuxkit:index:Image/,
    );
  });
});

describe("construct linuxkit:gcp:IpxeArtifacts", () => {
  it("uploads kernel, initrd and script, each made public, and returns the script URL", async () => {
    const from = registered.length;
    const image = await programImage("pxe", "kernel: {image: p}\n", ["kernel+initrd"]);
    const r = await construct("pxe", T.ipxe, { image, bucket: "bkt", prefix: "boot" }, {});
    const state = await resolved(r.state);
    const added = since(from, "pxe").filter((a) => a.type !== T.image);
    assert.deepEqual(
      added.map((a) => [a.type, a.name]),
      [
        [T.ipxe, "pxe"],
        [T.object, "pxe-kernel"],
        [T.object, "pxe-initrd"],
        [T.object, "pxe-script"],
        [T.acl, "pxe-kernel-public"],
        [T.acl, "pxe-initrd-public"],
        [T.acl, "pxe-script-public"],
      ],
    );
    assert.match(String(state.ipxeScriptUrl), /^https:\/\/storage\.googleapis\.com\/bkt\/boot\//);
    assert.match(String(state.ipxeScript), /^#!ipxe/);
  });
});

describe("construct linuxkit:metal:Artifacts", () => {
  it("lays the Image out through a linuxkit:metal:ArtifactFiles child (served by the plugin)", async () => {
    const from = registered.length;
    const image = await programImage("bm", "kernel: {image: b}\n", ["kernel+initrd"], "arm64");
    const r = await construct("bm", T.metalArtifacts, { image, baseUrl: "http://10.0.0.1/m" }, {});
    const state = await resolved(r.state);
    const added = since(from, "bm").filter((a) => a.type !== T.image);
    assert.deepEqual(
      added.map((a) => [a.type, a.name]),
      [
        [T.metalArtifacts, "bm"],
        [T.artifactFiles, "bm-files"],
      ],
    );
    const files = one(added, T.artifactFiles);
    assert.equal(files.inputs.arch, "aarch64", "the arm64 Image's machine");
    assert.match(String(files.inputs.kernel), /\/bm-kernel$/);
    assert.match(String(files.inputs.initrd), /\/bm-initrd\.img$/);
    assert.equal(files.inputs.cmdline, "console=ttyS0");
    assert.equal(files.inputs.baseUrl, "http://10.0.0.1/m");
    assert.equal(state.ipxeScriptUrl, "http://10.0.0.1/m/0123456789abcdef/bm-equinixmetal.ipxe");
  });
});

describe("construct linuxkit:redfish:RemoteArtifacts", () => {
  it("copies the build folder with CopyToRemote, the connection secret, URLs by format", async () => {
    const from = registered.length;
    const image = await programImage("iso", "kernel: {image: i}\n", ["iso-bios"]);
    const r = await construct(
      "iso",
      T.remote,
      {
        image,
        connection: pulumi.secret({ host: "10.0.0.2", user: "web", privateKey: "KEY" }),
        remoteDir: "/srv/www/lk",
        baseUrl: "http://10.0.0.2/lk",
      },
      {},
    );
    const state = await resolved(r.state);
    const added = since(from, "iso").filter((a) => a.type !== T.image);
    assert.deepEqual(
      added.map((a) => [a.type, a.name]),
      [
        [T.remote, "iso"],
        [T.copy, "iso-copy"],
      ],
    );
    const copy = one(added, T.copy);
    const connection = copy.inputs.connection as Record<string, unknown>;
    assert.equal(connection[SIG_KEY], SECRET_SIG, "the connection (private key) is sent secret");
    const folder = sha("kernel: {image: i}\n").slice(0, 16);
    assert.equal(copy.inputs.remotePath, `/srv/www/lk/${folder}`);
    assert.equal(state.isoUrl, `http://10.0.0.2/lk/${folder}/iso-iso-bios.iso`);
  });
});
