import * as pulumi from "@pulumi/pulumi";

import { LinuxKitResource } from "../dynamic/dynamic";
import { mayHoldSecrets, withSecretOutputs } from "../dynamic/secret-outputs";

import type { QemuAccelChoice } from "../../qemu/accel";
import type { PortForward } from "../../qemu/qemu-args";
import type { Readiness } from "../../qemu/readiness";

export interface QemuVmArgs {
  /** Kernel to boot (an Image's `kernel` output). Set with `initrd`, or set `iso` or `disk`. */
  kernel?: pulumi.Input<string>;
  /** Initrd to boot (an Image's `initrd` output). */
  initrd?: pulumi.Input<string>;
  /** Kernel command line (an Image's `cmdline` output). */
  cmdline?: pulumi.Input<string>;
  /** An ISO to boot from. */
  iso?: pulumi.Input<string>;
  /** A disk image to boot from. */
  disk?: pulumi.Input<string>;
  /** Format of `disk`. Default `raw`. */
  diskFormat?: pulumi.Input<"raw" | "qcow2" | "vmdk" | "vpc">;
  /** Boot `iso`/`disk` with UEFI (OVMF). Default false; always on for arm64 (no BIOS). */
  uefi?: pulumi.Input<boolean>;
  /**
   * The guest's architecture (an Image's `arch` output): `amd64` (default,
   * qemu-system-x86_64) or `arm64` (qemu-system-aarch64 -machine virt,
   * AAVMF for ISOs and disks, console ttyAMA0).
   */
  arch?: pulumi.Input<string>;
  /** Guest memory in MiB. Default 1024. */
  memoryMiB?: pulumi.Input<number>;
  /** Virtual CPUs. Default 1. */
  cpus?: pulumi.Input<number>;
  /**
   * `auto` (kvm when /dev/kvm is usable), `kvm` or `tcg`. Default `auto`.
   * The environment variable LINUXKIT_QEMU_ACCEL overrides it.
   */
  accel?: pulumi.Input<QemuAccelChoice>;
  /** Ports forwarded from 127.0.0.1 on the host into the guest. */
  forwards?: pulumi.Input<pulumi.Input<PortForward>[]>;
  /** When the VM counts as up: a console pattern and/or a guest TCP port. Default: as soon as qemu runs. */
  readiness?: pulumi.Input<Readiness>;
  /** Seconds the guest gets to power down on delete. Default 5. */
  shutdownTimeoutSeconds?: pulumi.Input<number>;
  /** Folder for per-VM state (pidfile, QMP socket, console log). Default `.linuxkit/vms`. */
  stateDir?: pulumi.Input<string>;
  /** Content hash of the booted image; a change replaces the VM (an Image's `contentHash`). */
  imageHash?: pulumi.Input<string>;
  /** Name shown in state folders. Default: the resource name. */
  name?: pulumi.Input<string>;
}

/**
 * A local qemu VM that outlives `pulumi up`. Create waits for readiness;
 * refresh notices a VM that was killed; delete powers it down. Any change
 * to what it boots replaces it.
 */
export class QemuVm extends LinuxKitResource {
  /** The qemu process id. */
  declare readonly pid: pulumi.Output<number>;
  /** Serial console log: `tail -f` it to watch the VM. */
  declare readonly consoleLog: pulumi.Output<string>;
  /** QMP control socket. */
  declare readonly qmpSocket: pulumi.Output<string>;
  /** This VM's state folder. */
  declare readonly vmDir: pulumi.Output<string>;
  /** The accelerator actually used (`kvm` or `tcg`). */
  declare readonly accelUsed: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly forwards: pulumi.Output<PortForward[]>;

  constructor(name: string, args: QemuVmArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "qemuVm",
      "QemuVm",
      name,
      {
        ...args,
        name: args.name ?? name,
        // Kept as written (relative to the program folder by default), so
        // state does not depend on where the project is checked out.
        stateDir: args.stateDir ?? ".linuxkit/vms",
        pid: undefined,
        consoleLog: undefined,
        qmpSocket: undefined,
        vmDir: undefined,
        accelUsed: undefined,
        status: undefined,
      },
      withSecretOutputs(opts, ["cmdline"], mayHoldSecrets(args.cmdline)),
    );
  }
}
