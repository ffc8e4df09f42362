import * as pulumi from "@pulumi/pulumi";
import { LocalMachine } from "pulumi-linuxkit";

const config = new pulumi.Config();
const yamlFile = config.get("yamlFile") ?? "linuxkit.yml";
const httpPort = config.getNumber("httpPort") ?? 8080;
const workDir = config.get("workDir") ?? ".linuxkit";

// Build the image from the YAML and boot it under qemu. Edit the YAML and
// run `pulumi up` again: the image is rebuilt and the VM replaced.
const machine = new LocalMachine("demo", {
  image: { configFiles: [yamlFile], outputDir: `${workDir}/images` },
  stateDir: `${workDir}/vms`,
  memoryMiB: 1024,
  forwards: [{ hostPort: httpPort, guestPort: 80 }],
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", tcpPort: 80, timeoutSeconds: 300 },
});

export const contentHash = machine.contentHash;
export const consoleLog = machine.consoleLog;
export const pid = machine.pid;
export const url = `http://127.0.0.1:${httpPort}/`;
