import * as pulumi from "@pulumi/pulumi";

import { LinuxKitResource } from "../dynamic/dynamic";
import { withSecretOutputs } from "../dynamic/secret-outputs";

export interface MetalDeviceArgs {
  /** Metal project the machine belongs to. A change replaces the machine. */
  projectId: pulumi.Input<string>;
  /** Plan slug, e.g. `c3.small.x86`. A change replaces the machine. */
  plan: pulumi.Input<string>;
  /** Metro code, e.g. `da`. A change replaces the machine. */
  metro: pulumi.Input<string>;
  /**
   * URL of the iPXE script the machine boots (a MetalArtifacts'
   * `ipxeScriptUrl`). A change is an in-place update: PUT, then reboot.
   */
  ipxeScriptUrl: pulumi.Input<string>;
  /** Hostname. Default: the resource name. A change is a PUT. */
  hostname?: pulumi.Input<string>;
  /** User data for the machine (LinuxKit's metadata package reads it). A change is a PUT plus a reboot. */
  userData?: pulumi.Input<string>;
  /** Tags. A change is a PUT. */
  tags?: pulumi.Input<pulumi.Input<string>[]>;
  /** iPXE-boot the script on every boot; needed for updates by reboot. Default true. */
  alwaysPxe?: pulumi.Input<boolean>;
  /** `hourly`, `daily`, `monthly` or `yearly`. Default: the API's (`hourly`). */
  billingCycle?: pulumi.Input<string>;
  /**
   * Metal API v1 root. Default: the stack configuration `metal:apiUrl`, then
   * METAL_API_URL when the provider runs, else
   * `https://api.equinix.com/metal/v1` (Equinix Metal ended service on
   * 2026-06-30: point this at a Metal-API-compatible service).
   */
  apiUrl?: pulumi.Input<string>;
  /**
   * API token. Kept as a secret (encrypted in state, as Pulumi's providers
   * keep their credentials) so refresh and destroy, which run without the
   * program, use it too. Default: the secret stack configuration
   * `metal:authToken` (`pulumi config set --secret metal:authToken ...`),
   * then METAL_AUTH_TOKEN when the provider runs.
   */
  authToken?: pulumi.Input<string>;
  /** Longest wait for the machine to be `active` after create or an update's reboot, in seconds. Default 1800. */
  timeoutSeconds?: pulumi.Input<number>;
  /** Seconds between state polls. Default 10. */
  pollSeconds?: pulumi.Input<number>;
}

/**
 * A bare-metal machine on Packet / Equinix Metal (or any service speaking
 * the Metal API v1) that iPXE-boots a LinuxKit image. Create waits until
 * the device is `active`; refresh notices a device deleted elsewhere; a new
 * image (script URL) or user data reboots the same machine into it.
 */
export class MetalDevice extends LinuxKitResource {
  /** The Metal device ID. */
  declare readonly deviceId: pulumi.Output<string>;
  /** The device's state when last seen (`active` after a successful up). */
  declare readonly state: pulumi.Output<string>;
  /** First public IPv4 address, once assigned. */
  declare readonly publicIpv4: pulumi.Output<string | undefined>;
  declare readonly hostname: pulumi.Output<string>;
  declare readonly ipxeScriptUrl: pulumi.Output<string>;

  constructor(name: string, args: MetalDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "metalDevice",
      "MetalDevice",
      name,
      {
        projectId: args.projectId,
        plan: args.plan,
        metro: args.metro,
        ipxeScriptUrl: args.ipxeScriptUrl,
        hostname: args.hostname ?? name,
        userData: args.userData,
        tags: args.tags,
        alwaysPxe: args.alwaysPxe ?? true,
        billingCycle: args.billingCycle,
        apiUrl: args.apiUrl,
        authToken: args.authToken === undefined ? undefined : pulumi.secret(args.authToken),
        timeoutSeconds: args.timeoutSeconds ?? 1800,
        pollSeconds: args.pollSeconds ?? 10,
        deviceId: undefined,
        state: undefined,
        publicIpv4: undefined,
      },
      // Stored encrypted so refresh and destroy (which run without the program) have it.
      withSecretOutputs(opts, ["authToken"]),
    );
  }
}
