/**
 * examples/gcp under Pulumi's mocks, with the config a user sets: the
 * program registers one Image (gcp format), one GcpImage, one GcpMachine
 * and one GcpFleet of 3 behind an HTTP health check on port 80, each child
 * of the components exactly once, and a secret userData stays secret.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordResources, unwrap } from "../../../helpers/pulumi-mocks";

let registered: MockResourceArgs[] = [];
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

let program: Record<string, pulumi.Output<unknown>>;

before(async () => {
  process.env.PULUMI_CONFIG = JSON.stringify({
    "gcp:project": "my-project",
    "gcp:region": "europe-west4",
    "linuxkit-gcp:bucket": "my-images",
  });
  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(["linuxkit-gcp:userData"]);
  const config = JSON.parse(process.env.PULUMI_CONFIG) as Record<string, string>;
  config["linuxkit-gcp:userData"] = '{"web":{"greeting":"hi"}}';
  process.env.PULUMI_CONFIG = JSON.stringify(config);
  registered = await recordResources(
    (args) => {
      const state: Record<string, unknown> = { ...args.inputs };
      if (args.type === "pulumi-nodejs:dynamic/linuxkit:Image") {
        state.contentHash = "ab".repeat(32);
        state.artifacts = [
          {
            format: "gcp",
            path: ".linuxkit/images/abababababababab/web.img.tar.gz",
            sha256: "cd".repeat(32),
            size: 1234,
          },
        ];
      }
      if (args.type === "gcp:compute/image:Image")
        state.selfLink = `projects/my-project/global/images/${String(args.inputs.name)}`;
      if (args.type === "gcp:compute/instanceTemplate:InstanceTemplate")
        state.selfLink = "projects/my-project/global/instanceTemplates/web-template-1";
      if (args.type === "gcp:compute/instance:Instance") {
        state.name = "single-instance-1";
        state.networkInterfaces = [
          { networkIp: "10.0.0.2", accessConfigs: [{ natIp: "1.2.3.4" }] },
        ];
      }
      return state;
    },
    { project: "linuxkit-gcp", stack: "dev" },
  );
  program = (await import("../../../../examples/gcp/index")) as unknown as Record<
    string,
    pulumi.Output<unknown>
  >;
  await unwrap(program.fleetGroup!);
  await unwrap(program.machineExternalIp!);
});

describe("examples/gcp", () => {
  it("registers one machine and one fleet of 3 over one uploaded image", () => {
    const count = (type: string): number => registered.filter((r) => r.type === type).length;
    assert.equal(count("pulumi-nodejs:dynamic/linuxkit:Image"), 1);
    assert.equal(count("linuxkit:gcp:GcpImage"), 1);
    assert.equal(count("gcp:storage/bucketObject:BucketObject"), 1);
    assert.equal(count("gcp:compute/image:Image"), 1);
    assert.equal(count("linuxkit:gcp:GcpMachine"), 1);
    assert.equal(count("gcp:compute/instance:Instance"), 1);
    assert.equal(count("linuxkit:gcp:GcpFleet"), 1);
    assert.equal(count("gcp:compute/healthCheck:HealthCheck"), 1);
    assert.equal(count("gcp:compute/firewall:Firewall"), 1);
    const group = registered.find(
      (r) => r.type === "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
    );
    assert.equal(group?.inputs.targetSize, 3);
    assert.equal(group?.inputs.region, "europe-west4");
  });

  it("builds the gcp format, uploads to the configured bucket, health-checks port 80", () => {
    const image = registered.find((r) => r.type === "pulumi-nodejs:dynamic/linuxkit:Image");
    assert.deepEqual(image?.inputs.formats, ["gcp"]);
    assert.deepEqual(image?.inputs.configFiles, ["linuxkit.yml"]);
    const obj = registered.find((r) => r.type === "gcp:storage/bucketObject:BucketObject");
    assert.equal(obj?.inputs.bucket, "my-images");
    const hc = registered.find((r) => r.type === "gcp:compute/healthCheck:HealthCheck");
    assert.deepEqual(hc?.inputs.httpHealthCheck, { port: 80, requestPath: "/" });
    const inst = registered.find((r) => r.type === "gcp:compute/instance:Instance");
    assert.equal(inst?.inputs.zone, "europe-west4-b");
  });

  it("keeps the configured secret userData secret in the instance and template metadata", () => {
    for (const type of [
      "gcp:compute/instance:Instance",
      "gcp:compute/instanceTemplate:InstanceTemplate",
    ]) {
      const r = registered.find((x) => x.type === type);
      const metadata = r?.inputs.metadata as Record<string, unknown>;
      assert.equal(metadata[SIG_KEY], SECRET_SIG, `${type}: metadata is sent as a secret`);
      assert.deepEqual(metadata.value, {
        "serial-port-enable": "TRUE",
        "user-data": '{"web":{"greeting":"hi"}}',
      });
    }
  });

  it("exports the serial console command for the single instance", async () => {
    assert.equal(
      await unwrap(program.serialConsole!),
      "gcloud compute connect-to-serial-port single-instance-1 --zone europe-west4-b",
    );
  });
});
