import * as pulumi from "@pulumi/pulumi";

import type { RedfishFleetMember } from "../../fleet/adapters/redfish-fleet-adapter";
import { LinuxKitResource } from "../dynamic/dynamic";
import type { RedfishFleetMachineSummary } from "./redfish-fleet-provider";
import type { RedfishMachineArgs } from "./redfish-machine";

/**
 * The boot fields a fleet shares with RedfishMachine, the same on every
 * machine (user and password too); a change of URL, method, mode or hash
 * rolls the fleet.
 */
type SharedBootArgs = Pick<
  RedfishMachineArgs,
  | "username"
  | "password"
  | "bootMethod"
  | "isoUrl"
  | "bootUrl"
  | "bootMode"
  | "imageHash"
  | "restartType"
  | "readiness"
  | "insecureTls"
  | "caCertificate"
  | "powerTimeoutSeconds"
>;

export interface RedfishFleetArgs extends SharedBootArgs {
  /**
   * The machines, one per slot: each BMC's `endpoint`, optional `systemId`
   * (default: the BMC's only system) and `readiness` (over the fleet's).
   * Slot `i` is the `i`-th machine; a slot listing another machine releases
   * the old one and boots the new one.
   */
  machines: pulumi.Input<pulumi.Input<RedfishFleetMember>[]>;
  /** Machines re-imaged at a time. Default 1 (there is no surge: the hardware is fixed). */
  maxUnavailable?: pulumi.Input<number>;
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
