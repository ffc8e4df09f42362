import * as pulumi from "@pulumi/pulumi";

import { LinuxKitResource } from "../dynamic/dynamic";
import { withSecretOutputs } from "../dynamic/secret-outputs";
import type { Image } from "../image/image";
import type { FleetForward } from "../../fleet/adapters/qemu-adapter";
import type { QemuAccelChoice } from "../../qemu/accel";
import type { FleetHealth } from "./qemu-fleet-inputs";
import type { FleetMachineSummary } from "./qemu-fleet-provider";

export interface QemuFleetArgs {
  /** The image every machine boots (built with the kernel+initrd format, the default). */
  image: Image;
  /** Number of machines (slots). */
  size: pulumi.Input<number>;
  /**
   * Machines allowed beyond `size` while rolling to a new image: each boots
   * beside the machine it replaces, which stops once the new one is
   * healthy. Default 1.
   */
  maxSurge?: pulumi.Input<number>;
  /**
   * Slots allowed without a healthy machine while rolling: such a slot's
   * machine is stopped first and replaced in place. Default 0. `maxSurge`
   * and `maxUnavailable` may not both be 0.
   */
  maxUnavailable?: pulumi.Input<number>;
  /** Guest memory per machine in MiB. Default 1024. */
  memoryMiB?: pulumi.Input<number>;
  /** Virtual CPUs per machine. Default 1. */
  cpus?: pulumi.Input<number>;
  /** `auto`, `kvm` or `tcg`; LINUXKIT_QEMU_ACCEL overrides it. Default `auto`. */
  accel?: pulumi.Input<QemuAccelChoice>;
  /**
   * Guest ports reached from 127.0.0.1: slot `i` on `hostPortBase + i`, a
   * surge machine `j` on `hostPortBase + size + j` until it takes over its
   * slot's port. Each forward uses `size + maxSurge` host ports.
   */
  forwards?: pulumi.Input<pulumi.Input<FleetForward>[]>;
  /** When a new machine counts as healthy; a rollout goes on only when it is. */
  health: pulumi.Input<FleetHealth>;
  /** Folder for the fleet's machines and journal, relative to the program folder. Default `.linuxkit/fleets`. */
  stateDir?: pulumi.Input<string>;
  /** Seconds a stopping guest gets to power down before qemu is stopped. Default 5. */
  shutdownTimeoutSeconds?: pulumi.Input<number>;
  /** Name used in folders and messages. Default: the resource name. */
  name?: pulumi.Input<string>;
}

/**
 * A fleet of local qemu machines booting one image. A new image (or
 * command line, memory, CPUs) rolls through the fleet a few machines at a
 * time, each new machine health-checked before the next wave; a machine
 * that fails stops the rollout while the machines not yet replaced keep
 * serving, and the next `up` resumes from there. Changing `size` adds or
 * removes machines only; `refresh` notices dead machines and `up` replaces
 * them; `destroy` stops them all.
 */
export class QemuFleet extends LinuxKitResource {
  /** One entry per slot: image hash, pid, host ports, health. */
  declare readonly machines: pulumi.Output<FleetMachineSummary[]>;
  /** `converged`, or `partial` after a stopped rollout. */
  declare readonly status: pulumi.Output<string>;
  /** The fleet's folder, relative to the program folder. */
  declare readonly fleetDir: pulumi.Output<string>;
  /** Why the last rollout stopped, when it did. */
  declare readonly lastError: pulumi.Output<string | undefined>;

  constructor(name: string, args: QemuFleetArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "qemuFleet",
      "QemuFleet",
      name,
      {
        name: args.name ?? name,
        kernel: args.image.kernel.apply((k) => k ?? ""),
        initrd: args.image.initrd.apply((i) => i ?? ""),
        cmdline: args.image.cmdline,
        imageHash: args.image.contentHash,
        arch: args.image.arch,
        size: args.size,
        maxSurge: args.maxSurge,
        maxUnavailable: args.maxUnavailable,
        memoryMiB: args.memoryMiB,
        cpus: args.cpus,
        accel: args.accel,
        forwards: args.forwards,
        health: args.health,
        stateDir: args.stateDir,
        shutdownTimeoutSeconds: args.shutdownTimeoutSeconds,
        machines: undefined,
        status: undefined,
        fleetDir: undefined,
        lastError: undefined,
      },
      // The image's command line may be secret (see Image.cmdline): its echo in state is encrypted.
      withSecretOutputs(opts, ["cmdline"]),
    );
  }
}
