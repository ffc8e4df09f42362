/**
 * The project's own demo program (`pulumi up` at the repository root, or
 * scripts/demo.sh): LinuxKit's 2017 nginx example, linuxkit.yml, built
 * into a kernel+initrd from the local stand-in images and booted as a
 * detached qemu VM with nginx's port forwarded to 127.0.0.1. Edit
 * linuxkit.yml and `pulumi up` again: the image is rebuilt and the VM
 * replaced. examples/ hold the other targets (qemu, GCP, Equinix Metal).
 */
import * as pulumi from "@pulumi/pulumi";
import { LocalMachine } from "pulumi-linuxkit";

const config = new pulumi.Config();
const httpPort = config.getNumber("httpPort") ?? 8080;

const machine = new LocalMachine("nginx", {
  image: { configFiles: ["linuxkit.yml"] },
  memoryMiB: config.getNumber("memoryMiB") ?? 1024,
  forwards: [{ hostPort: httpPort, guestPort: 80 }],
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", tcpPort: 80, timeoutSeconds: 300 },
});

export const contentHash = machine.contentHash;
export const consoleLog = machine.consoleLog;
export const pid = machine.pid;
export const url = `http://127.0.0.1:${httpPort}/`;
