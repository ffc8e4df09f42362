import * as pulumi from "@pulumi/pulumi";

import type { BootMethod, MachineReadiness } from "../../redfish";
import { LinuxKitResource } from "../dynamic/dynamic";

export interface RedfishMachineArgs {
  /** The BMC's Redfish service, `https://<host>[:port]`. A change replaces the machine. */
  endpoint: pulumi.Input<string>;
  /** BMC user. */
  username: pulumi.Input<string>;
  /**
   * BMC password. Always made secret: kept encrypted in state (refresh and
   * destroy need it), never in plain text in state, logs or messages.
   */
  password: pulumi.Input<string>;
  /** The system's id at the BMC. Default: its only system (an error lists them when there are several). A change replaces. */
  systemId?: pulumi.Input<string>;
  /**
   * `virtualMedia` (default): insert `isoUrl` and boot it once from Cd;
   * `http`: UEFI HTTP boot of `bootUrl`, where the BMC offers it;
   * `pxe`: boot once from the network (for networks that chain to an iPXE script).
   */
  bootMethod?: pulumi.Input<BootMethod>;
  /** URL of the ISO (an Image's iso-bios or iso-efi, served where the BMC can fetch it). */
  isoUrl?: pulumi.Input<string>;
  /** URL the firmware boots for `http`. */
  bootUrl?: pulumi.Input<string>;
  /** `UEFI` or `Legacy` with the boot override. Default: the system's (UEFI for `http`). */
  bootMode?: pulumi.Input<"UEFI" | "Legacy">;
  /**
   * Content hash of the image (an Image's `imageHash`): a change re-images
   * the machine even when the URL stays the same. URLs, method and mode
   * changes re-image too; none replaces the machine.
   */
  imageHash?: pulumi.Input<string>;
  /** How a running machine moves to a new image: `ForceRestart` (default) or `GracefulRestart`. */
  restartType?: pulumi.Input<"ForceRestart" | "GracefulRestart">;
  /** When the machine counts as ready: powered on plus these checks, where this host can reach them. */
  readiness?: pulumi.Input<MachineReadiness>;
  /** Skip TLS verification of the BMC's certificate. Default false. */
  insecureTls?: pulumi.Input<boolean>;
  /** PEM of the CA the BMC's certificate chains to (for self-signed BMCs, instead of insecureTls). */
  caCertificate?: pulumi.Input<string>;
  /** On destroy, eject the media but leave the machine running. Default false (power off). */
  leaveRunningOnDelete?: pulumi.Input<boolean>;
  /** Longest wait for a power state change, in seconds. Default 120. */
  powerTimeoutSeconds?: pulumi.Input<number>;
}

/**
 * A physical machine with a Redfish BMC (iDRAC, iLO, XClarity,
 * Supermicro, OpenBMC, sushy-tools) booting a LinuxKit image by virtual
 * media, UEFI HTTP boot or PXE. A new image re-images the same machine in
 * place; refresh notices a machine powered off or gone; destroy ejects the
 * media and powers it off.
 */
export class RedfishMachine extends LinuxKitResource {
  /** `/redfish/v1/Systems/<id>` at the endpoint. */
  declare readonly systemPath: pulumi.Output<string>;
  /** PowerState when last seen (`On` after a successful up). */
  declare readonly powerState: pulumi.Output<string>;
  /** Whether the machine passed its readiness check after its last boot. */
  declare readonly ready: pulumi.Output<boolean>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly isoUrl: pulumi.Output<string | undefined>;

  constructor(name: string, args: RedfishMachineArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      "redfishMachine",
      "RedfishMachine",
      name,
      {
        ...args,
        password: pulumi.secret(args.password),
        systemPath: undefined,
        powerState: undefined,
        ready: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "password"] },
    );
  }
}
