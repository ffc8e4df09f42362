import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { Image } from "pulumi-linuxkit";
import { RedfishMachine, RemoteArtifacts } from "pulumi-linuxkit/redfish";

// The BMC password is a secret stack setting; it is kept encrypted in the
// state (refresh and destroy need it) and never printed:
//   pulumi config set --secret password <password>
const config = new pulumi.Config();
const endpoint = config.require("endpoint");
const username = config.require("username");
const password = config.requireSecret("password");
const systemId = config.get("systemId") || undefined;
const yamlFile = config.get("yamlFile") ?? "linuxkit.yml";
const workDir = config.get("workDir") ?? ".linuxkit";

// An ISO a BMC can insert as virtual media (iso-efi for UEFI-only machines).
const image = new Image("redfish", {
  configFiles: [yamlFile],
  formats: ["iso-bios"],
  outputDir: `${workDir}/images`,
});

// Where the BMC fetches it: a web server you already run over the build
// folder (`pulumi-linuxkit serve .linuxkit/images --port 8080`), or a host
// of yours reached over SSH (RemoteArtifacts, needs @pulumi/command).
let isoUrl: pulumi.Output<string>;
const isoBaseUrl = config.get("isoBaseUrl") ?? "";
if (isoBaseUrl !== "") {
  isoUrl = image.artifacts.apply((artifacts) => {
    const iso = artifacts.find((a) => a.format === "iso-bios")!;
    const rel = path.relative(`${workDir}/images`, iso.path).split(path.sep).join("/");
    return `${isoBaseUrl.replace(/\/+$/, "")}/${rel}`;
  });
} else {
  const remote = new RemoteArtifacts("redfish", {
    image,
    connection: {
      host: config.require("sshHost"),
      user: config.get("sshUser") ?? "root",
      privateKey: config.requireSecret("sshPrivateKey"),
    },
    remoteDir: config.get("remoteDir") ?? "/var/www/html/linuxkit",
    baseUrl: config.require("remoteBaseUrl"),
  });
  isoUrl = remote.isoUrl.apply((u) => u!);
}

// Power off, insert the ISO, boot it once from the virtual CD, power on.
// Edit linuxkit.yml and `pulumi up` again: the same machine is re-imaged in
// place (eject, insert, restart). `pulumi destroy` ejects and powers off.
const machine = new RedfishMachine("redfish", {
  endpoint,
  username,
  password,
  systemId,
  bootMethod: "virtualMedia",
  isoUrl,
  imageHash: image.contentHash,
  insecureTls: config.getBoolean("insecureTls") ?? false,
});

export const systemPath = machine.systemPath;
export const powerState = machine.powerState;
export const bootedIso = isoUrl;
