/**
 * MetalArtifacts and MetalDevice under Pulumi's mocks: the component has
 * one MetalArtifactFiles child named after it and wired to the Image's
 * kernel, initrd, cmdline and content hash; MetalDevice defaults its
 * hostname to the resource name, turns iPXE on for every boot, and passes
 * a token only as a secret. Mocks never run dynamic providers (they have
 * their own tests).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordResources, unwrap } from "../../../helpers/pulumi-mocks";

import type * as MetalModule from "../../../../components/pulumi/metal";
import type { Image as ImageClass } from "../../../../components/pulumi/image/image";

let registered: MockResourceArgs[] = [];
const IMAGE_OUTS = {
  name: "web",
  contentHash: "ab".repeat(32),
  kernel: ".linuxkit/images/abab/web-kernel",
  initrd: ".linuxkit/images/abab/web-initrd.img",
  cmdline: "console=ttyS0",
};

let metal: typeof MetalModule;
let Image: typeof ImageClass;

before(async () => {
  registered = await recordResources((args) => {
    const state: Record<string, unknown> = { ...args.inputs };
    if (args.type.endsWith(":Image")) Object.assign(state, IMAGE_OUTS);
    if (args.type.endsWith(":MetalArtifactFiles")) {
      Object.assign(state, {
        version: "0123456789abcdef",
        ipxeScriptUrl: "https://boot.example.com/lk/0123456789abcdef/web-equinixmetal.ipxe",
      });
    }
    return state;
  });
  metal = await import("../../../../components/pulumi/metal");
  Image = (await import("../../../../components/pulumi/image/image")).Image;
});

describe("MetalArtifacts", () => {
  it("has one MetalArtifactFiles child wired to the image", async () => {
    const image = new Image("web", { configYaml: "kernel: {}" });
    const artifacts = new metal.MetalArtifacts("boot", {
      image,
      baseUrl: "https://boot.example.com/lk",
    });
    assert.equal(
      await unwrap(artifacts.ipxeScriptUrl),
      "https://boot.example.com/lk/0123456789abcdef/web-equinixmetal.ipxe",
    );
    const child = registered.find((r) => r.type.endsWith(":MetalArtifactFiles"));
    assert.ok(child);
    assert.equal(child.type, "pulumi-nodejs:dynamic/linuxkit:MetalArtifactFiles");
    assert.equal(child.name, "boot-files");
    assert.equal(child.inputs.kernel, IMAGE_OUTS.kernel);
    assert.equal(child.inputs.initrd, IMAGE_OUTS.initrd);
    assert.equal(child.inputs.cmdline, "console=ttyS0");
    assert.equal(child.inputs.contentHash, IMAGE_OUTS.contentHash);
    assert.equal(child.inputs.arch, "x86_64");
    assert.equal(child.inputs.dir, ".linuxkit/metal");
    assert.ok(registered.some((r) => r.type === "linuxkit:metal:MetalArtifacts"));
  });

  it("ipxeScriptOf gives LinuxKit's script for files served at baseUrl", async () => {
    const image = new Image("web2", { configYaml: "kernel: {}" });
    const text = await unwrap(metal.ipxeScriptOf(image, "http://h"));
    assert.equal(
      text,
      "#!ipxe\n\ndhcp\nset base-url http://h\nset kernel-params ip=dhcp nomodeset ro serial console=ttyS1,115200 console=ttyS0\nkernel ${base-url}/web-kernel ${kernel-params}\ninitrd ${base-url}/web-initrd.img\nboot",
    );
  });
});

describe("MetalDevice", () => {
  it("defaults hostname and alwaysPxe, and passes the token only as a secret", async () => {
    const device = new metal.MetalDevice("edge-1", {
      projectId: "p",
      plan: "c3.small.x86",
      metro: "da",
      ipxeScriptUrl: "https://h/x.ipxe",
      authToken: "plain-token-given",
    });
    await unwrap(device.urn);
    const args = registered.find((r) => r.type === "pulumi-nodejs:dynamic/linuxkit:MetalDevice");
    assert.ok(args);
    assert.equal(args.inputs.hostname, "edge-1");
    assert.equal(args.inputs.alwaysPxe, true);
    assert.equal(await pulumi.isSecret(device.hostname), false);
    // A plain string given is sent to the engine as a secret.
    assert.deepEqual(args.inputs.authToken, {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "plain-token-given",
    });
  });
});
