import * as pulumi from "@pulumi/pulumi";

import type { RedfishFleetMember } from "../../fleet/adapters/redfish-fleet-adapter";
import type { BootMethod, MachineReadiness } from "../../redfish";
import { LinuxKitResource } from "../dynamic/dynamic";
import type { RedfishFleetMachineSummary } from "./redfish-fleet-provider";

export interface RedfishFleetArgs {
  /**
   * The machines, one per slot: each BMC's `endpoint`, optional `systemId`
   * (default: the BMC's only system) and `readiness` (over the fleet's).
   * Slot `i` is the `i`-th machine; a slot listing another machine releases
   * the old one and boots the new one.
   */
  machines: pulumi.Input<pulumi.Input<RedfishFleetMember>[]>;
  /** BMC user, the same on every machine. */
  username: pulumi.Input<string>;
  /** BMC password, the same on every machine: always secret, kept encrypted in state. */
  password: pulumi.Input<string>;
  /** As RedfishMachine: `virtualMedia` (default), `http` or `pxe`. */
  bootMethod?: pulumi.Input<BootMethod>;
  /** URL of the ISO for `virtualMedia`. A change rolls the fleet. */
  isoUrl?: pulumi.Input<string>;
  /** URL for `http`. A change rolls the fleet. */
  bootUrl?: pulumi.Input<string>;
  bootMode?: pulumi.Input<"UEFI" | "Legacy">;
  /** Content hash of the image: a change rolls the fleet even when the URL stays. */
  imageHash?: pulumi.Input<string>;
  /** `ForceRestart` (default) or `GracefulRestart`. */
  restartType?: pulumi.Input<"ForceRestart" | "GracefulRestart">;
  /** Readiness every machine must pass before the next wave (each machine's own settings override). */
  readiness?: pulumi.Input<MachineReadiness>;
  /** Machines re-imaged at a time. Default 1 (there is no surge: the hardware is fixed). */
  maxUnavailable?: pulumi.Input<number>;
  insecureTls?: pulumi.Input<boolean>;
  caCertificate?: pulumi.Input<string>;
  /** Longest wait for a power state change, in seconds. Default 120. */
  powerTimeoutSeconds?: pulumi.Input<number>;
  /** Name in messages. Default: the resource name. */
  name?: pulumi.Input<string>;
}

/**
 * A fleet of machines with Redfish BMCs booting one image, rolled to a new
 * one in place, `maxUnavailable` at a time, each passing its readiness
 * check before the next; a machine that fails stops the rollout, naming
 * it, and the others keep their image.
 */
export class RedfishFleet extends LinuxKitResource {
  /** One entry per slot: machine, system, health. */
  declare readonly machineStates: pulumi.Output<RedfishFleetMachineSummary[]>;
  declare readonly status: pulumi.Output<string>;
  declare readonly lastError: pulumi.Output<string | undefined>;

  constructor(name: string, args: RedfishFleetArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      "redfishFleet",
      "RedfishFleet",
      name,
      {
        ...args,
        password: pulumi.secret(args.password),
        name: args.name ?? name,
        machineStates: undefined,
        status: undefined,
        lastError: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "password"] },
    );
  }
}
