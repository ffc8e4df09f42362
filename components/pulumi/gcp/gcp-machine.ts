import * as gcp from "@pulumi/gcp";
import { checkedMachineType } from "./gcp-machine-type";
import * as pulumi from "@pulumi/pulumi";

import type { GcpImage } from "./gcp-image";
import { instanceMetadata } from "./instance-metadata";
import { componentType } from "../dynamic/dynamic";

/** Machine type when none is given. */
export const DEFAULT_MACHINE_TYPE = "e2-small";

export interface GcpMachineArgs {
  /** The uploaded image the instance boots. */
  image: Pick<GcpImage, "imageSelfLink" | "gcpArchitecture" | "arch" | "knownArch">;
  /** Zone, e.g. `europe-west1-b`. */
  zone: pulumi.Input<string>;
  /** Machine type. Default `e2-small`. */
  machineType?: pulumi.Input<string>;
  /**
   * Put in the `user-data` metadata key, which LinuxKit's metadata package
   * reads into `/run/config`. May be a `pulumi.secret`: it stays encrypted
   * in state. Changing it updates the instance's metadata in place.
   */
  userData?: pulumi.Input<string>;
  /** VPC network. Default `default`. */
  network?: pulumi.Input<string>;
  /** Subnetwork (required on custom-mode networks). Default: none. */
  subnetwork?: pulumi.Input<string>;
  /** Network tags, for firewall rules. */
  tags?: pulumi.Input<pulumi.Input<string>[]>;
  /** Give the instance an ephemeral external IPv4 address. Default `true`. */
  externalIp?: boolean;
  /** Boot disk size in GB. Default: the image's size (1 GB for LinuxKit's default). */
  diskSizeGb?: pulumi.Input<number>;
}

/**
 * One Compute Engine instance booting a {@link GcpImage}, as `linuxkit run
 * gcp` starts one, with the serial console enabled. A new image replaces
 * the instance (its boot disk is made from the image).
 */
export class GcpMachine extends pulumi.ComponentResource {
  /** The instance. */
  readonly instance: gcp.compute.Instance;
  /** The instance's name (Pulumi auto-names it from `<name>-instance`). */
  readonly instanceName: pulumi.Output<string>;
  readonly selfLink: pulumi.Output<string>;
  /** Internal IPv4 address. */
  readonly internalIp: pulumi.Output<string>;
  /** External IPv4 address, when `externalIp` is on. */
  readonly externalIp: pulumi.Output<string | undefined>;

  constructor(name: string, args: GcpMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType("linuxkit:gcp:GcpMachine"), name, {}, opts);
    this.instance = new gcp.compute.Instance(
      `${name}-instance`,
      {
        zone: args.zone,
        machineType: checkedMachineType(
          `GcpMachine ${name}`,
          args.machineType ?? DEFAULT_MACHINE_TYPE,
          args.image,
          this,
        ),
        bootDisk: {
          autoDelete: true,
          initializeParams: {
            image: args.image.imageSelfLink,
            size: args.diskSizeGb,
            architecture: args.image.gcpArchitecture,
          },
        },
        networkInterfaces: [
          {
            network: args.network ?? "default",
            subnetwork: args.subnetwork,
            accessConfigs: args.externalIp === false ? [] : [{}],
          },
        ],
        metadata: instanceMetadata(args.userData),
        tags: args.tags,
        allowStoppingForUpdate: true,
      },
      { parent: this },
    );
    this.instanceName = this.instance.name;
    this.selfLink = this.instance.selfLink;
    this.internalIp = this.instance.networkInterfaces.apply((n) => n[0]?.networkIp ?? "");
    this.externalIp = this.instance.networkInterfaces.apply((n) => n[0]?.accessConfigs?.[0]?.natIp);
    this.registerOutputs({
      instanceName: this.instanceName,
      selfLink: this.selfLink,
      internalIp: this.internalIp,
      externalIp: this.externalIp,
    });
  }
}
