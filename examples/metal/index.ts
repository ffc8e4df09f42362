import * as pulumi from "@pulumi/pulumi";
import { Image } from "pulumi-linuxkit";
import { MetalArtifacts, MetalDevice, archOfPlan } from "pulumi-linuxkit/metal";

// The API token and endpoint are stack configuration the provider reads on
// every operation (refresh and destroy included), never stored in state:
//   pulumi config set --secret metal:authToken <token>
//   pulumi config set metal:apiUrl https://metal-compatible.example/metal/v1
const config = new pulumi.Config();
const projectId = config.require("projectId");
const baseUrl = config.require("baseUrl");
const plan = config.get("plan") ?? "c3.small.x86";
const metro = config.get("metro") ?? "da";
const hostname = config.get("hostname") ?? "linuxkit-metal";
const yamlFile = config.get("yamlFile") ?? "linuxkit.yml";
const workDir = config.get("workDir") ?? ".linuxkit";

// Build kernel + initrd from the YAML; edit it and `pulumi up` again.
const image = new Image("metal", {
  configFiles: [yamlFile],
  formats: ["kernel+initrd"],
  outputDir: `${workDir}/images`,
});

// Kernel, initrd and LinuxKit's iPXE script in `${workDir}/metal/<version>/`:
// serve that folder at baseUrl. Each image version has its own script URL.
const artifacts = new MetalArtifacts("metal", {
  image,
  baseUrl,
  arch: archOfPlan(plan),
  dir: `${workDir}/metal`,
});

// The machine boots the script on every boot (always_pxe). A new image is a
// new script URL: the same machine is updated and rebooted, keeping its IPs.
const device = new MetalDevice("metal", {
  projectId,
  plan,
  metro,
  hostname,
  ipxeScriptUrl: artifacts.ipxeScriptUrl,
  tags: ["linuxkit"],
});

export const deviceId = device.deviceId;
export const state = device.state;
export const publicIpv4 = device.publicIpv4;
export const ipxeScriptUrl = artifacts.ipxeScriptUrl;
export const scriptFile = artifacts.scriptFile;
export const contentHash = image.contentHash;
