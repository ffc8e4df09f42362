import * as pulumi from "@pulumi/pulumi";
import { Image } from "pulumi-linuxkit";
import { GcpFleet, GcpImage, GcpMachine } from "pulumi-linuxkit/gcp";

const config = new pulumi.Config();
const gcpConfig = new pulumi.Config("gcp");
const region = gcpConfig.get("region") ?? "europe-west1";
const zone = gcpConfig.get("zone") ?? `${region}-b`;
const bucket = config.require("bucket");
const yamlFile = config.get("yamlFile") ?? "linuxkit.yml";
const fleetSize = config.getNumber("fleetSize") ?? 3;
// Optional: put into every instance's `user-data` metadata key (kept secret in state).
const userData = config.getSecret("userData");

// Build the image locally (Docker engine) in GCE's tar.gz format. Editing the
// YAML (or an image behind one of its tags) makes a new build.
const image = new Image("web", { configFiles: [yamlFile], formats: ["gcp"] });

// Upload it and register a Compute Engine image, both named by content hash:
// an unchanged build is no change; a new build is a new image.
const gcpImage = new GcpImage("web", { image, bucket, family: "linuxkit-web" });

// One instance booting it. A new image replaces it.
const machine = new GcpMachine("single", {
  image: gcpImage,
  zone,
  tags: ["linuxkit-web"],
  userData,
});

// A regional managed group of 3 behind an HTTP health check on port 80. A new
// image rolls it: 3 new instances at a time (one per zone), old ones removed
// once the new ones run; `pulumi up` returns when every instance is UPDATED.
const fleet = new GcpFleet("web", {
  image: gcpImage,
  region,
  size: fleetSize,
  health: { port: 80, path: "/", initialDelaySec: 120 },
  userData,
});

export const imageName = gcpImage.imageName;
export const imageSelfLink = gcpImage.imageSelfLink;
export const objectUrl = gcpImage.objectUrl;
export const contentHash = image.contentHash;
export const machineName = machine.instanceName;
export const machineExternalIp = machine.externalIp;
export const fleetGroup = fleet.groupManager.selfLink;
export const fleetTemplate = fleet.instanceTemplate.selfLink;
export const serialConsole = pulumi.interpolate`gcloud compute connect-to-serial-port ${machine.instanceName} --zone ${zone}`;
