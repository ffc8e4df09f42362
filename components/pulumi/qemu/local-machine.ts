import * as pulumi from "@pulumi/pulumi";

import { Image, type ImageArgs } from "../image/image";
import type { QemuAccelChoice } from "../../qemu/accel";
import type { PortForward } from "../../qemu/qemu-args";
import { QemuVm } from "./qemu-vm";
import type { Readiness } from "../../qemu/readiness";

export interface LocalMachineArgs {
  /** How to build the image (any Image argument; formats default to kernel+initrd). */
  image: ImageArgs;
  /** Guest memory in MiB. Default 1024. */
  memoryMiB?: pulumi.Input<number>;
  /** Virtual CPUs. Default 1. */
  cpus?: pulumi.Input<number>;
  /** Accelerator; LINUXKIT_QEMU_ACCEL overrides it. Default `auto`. */
  accel?: pulumi.Input<QemuAccelChoice>;
  /** Ports forwarded from 127.0.0.1 into the guest. */
  forwards?: pulumi.Input<pulumi.Input<PortForward>[]>;
  /** When the VM counts as up. */
  readiness?: pulumi.Input<Readiness>;
  /** Extra kernel command line appended to the image's. */
  cmdlineAppend?: pulumi.Input<string>;
  /** Folder for VM state. Default `.linuxkit/vms`. */
  stateDir?: pulumi.Input<string>;
}

/**
 * A LinuxKit image built from YAML and booted as a local qemu VM. Changing
 * the YAML (or an image behind one of its tags) rebuilds the image and
 * replaces the VM with one that boots the new version.
 */
export class LocalMachine extends pulumi.ComponentResource {
  /** The image resource. */
  readonly image: Image;
  /** The VM resource. */
  readonly vm: QemuVm;
  /** Content hash of the image the VM boots. */
  readonly contentHash: pulumi.Output<string>;
  /** The VM's serial console log. */
  readonly consoleLog: pulumi.Output<string>;
  /** The qemu process id. */
  readonly pid: pulumi.Output<number>;

  constructor(name: string, args: LocalMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("linuxkit:qemu:LocalMachine", name, {}, opts);
    // The VM boots kernel+initrd, whatever the YAML's `outputs:` name.
    this.image = new Image(
      `${name}-image`,
      { name, ...args.image, formats: args.image.formats ?? ["kernel+initrd"] },
      { parent: this },
    );
    const cmdline = pulumi
      .all([this.image.cmdline, args.cmdlineAppend])
      .apply(([base, extra]) => [base, extra].filter((s) => s !== undefined && s !== "").join(" "));
    this.vm = new QemuVm(
      `${name}-vm`,
      {
        name,
        kernel: this.image.kernel.apply((k) => k ?? ""),
        initrd: this.image.initrd.apply((i) => i ?? ""),
        cmdline,
        imageHash: this.image.contentHash,
        arch: this.image.arch,
        memoryMiB: args.memoryMiB,
        cpus: args.cpus,
        accel: args.accel,
        forwards: args.forwards,
        readiness: args.readiness,
        stateDir: args.stateDir,
      },
      { parent: this },
    );
    this.contentHash = this.image.contentHash;
    this.consoleLog = this.vm.consoleLog;
    this.pid = this.vm.pid;
    this.registerOutputs({
      contentHash: this.contentHash,
      consoleLog: this.consoleLog,
      pid: this.pid,
    });
  }
}
