import * as pulumi from "@pulumi/pulumi";

import { LinuxKitResource } from "../dynamic/dynamic";
import type { MetalFleetHealth } from "../../fleet/adapters/metal-fleet-adapter";
import type { MetalFleetMachineSummary } from "./metal-fleet-provider";

export interface MetalFleetArgs {
  /** Metal project the devices belong to. A change replaces the fleet. */
  projectId: pulumi.Input<string>;
  /** Plan slug, e.g. `c3.small.x86`. A change replaces the fleet. */
  plan: pulumi.Input<string>;
  /** Metro code, e.g. `da`. A change replaces the fleet. */
  metro: pulumi.Input<string>;
  /** URL of the iPXE script the devices boot. A change rolls the fleet: PUT + reboot per device. */
  ipxeScriptUrl: pulumi.Input<string>;
  /** User data for every device. A change rolls the fleet. */
  userData?: pulumi.Input<string>;
  /** Tags for every device. */
  tags?: pulumi.Input<pulumi.Input<string>[]>;
  /** iPXE-boot the script on every boot (needed for updates by reboot). Default true. */
  alwaysPxe?: pulumi.Input<boolean>;
  /** `hourly`, `daily`, `monthly` or `yearly`. Default: the API's (`hourly`). */
  billingCycle?: pulumi.Input<string>;
  /**
   * Metal API v1 root. Default: the stack configuration `metal:apiUrl`, then
   * METAL_API_URL, else `https://api.equinix.com/metal/v1`. The token comes
   * from the secret stack configuration `metal:authToken` or
   * METAL_AUTH_TOKEN, as for MetalDevice; it is never stored.
   */
  apiUrl?: pulumi.Input<string>;
  /** Number of devices; hostnames are `<name>-<slot>`. */
  size: pulumi.Input<number>;
  /** Devices rebooted at a time. Default 1 (Metal has no surge: devices move in place). */
  maxUnavailable?: pulumi.Input<number>;
  /**
   * When a device counts as healthy: a TCP port or HTTP path on its public
   * IPv4, or (neither given) the device being `active` after its reboot.
   */
  health?: pulumi.Input<MetalFleetHealth>;
  /** Seconds between device state polls. Default 10. */
  pollSeconds?: pulumi.Input<number>;
  /** Name used in hostnames. Default: the resource name. */
  name?: pulumi.Input<string>;
}

/**
 * A fleet of Metal devices booting one iPXE script. A new script URL moves
 * the devices to it by PUT + reboot, `maxUnavailable` at a time, each
 * passing health before the next; a device that does not come back stops
 * the rollout with the others untouched, and the state records which
 * device boots which script.
 */
export class MetalFleet extends LinuxKitResource {
  /** One entry per slot: device, script, address, health. */
  declare readonly machines: pulumi.Output<MetalFleetMachineSummary[]>;
  declare readonly status: pulumi.Output<string>;
  declare readonly lastError: pulumi.Output<string | undefined>;

  constructor(name: string, args: MetalFleetArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "metalFleet",
      "MetalFleet",
      name,
      {
        ...args,
        name: args.name ?? name,
        machines: undefined,
        status: undefined,
        lastError: undefined,
      },
      opts,
    );
  }
}
