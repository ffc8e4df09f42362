import * as gcp from "@pulumi/gcp";
import { checkedMachineType } from "./gcp-machine-type";
import * as pulumi from "@pulumi/pulumi";

import { LinuxKitError } from "../../errors/errors";
import { describe, type GcpImage } from "./gcp-image";
import { DEFAULT_MACHINE_TYPE } from "./gcp-machine";
import { gceSlug } from "./gcp-names";
import { checkRollout, DEFAULT_REGION_ZONES, defaultRollout } from "./gcp-rollout";
import { instanceMetadata } from "./instance-metadata";
import { componentType } from "../dynamic/dynamic";

/** Where Google's health checkers (and load balancers' proxies) connect from. */
export const HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];

export interface GcpFleetHealth {
  /** TCP port the guest answers HTTP health checks on. */
  port: number;
  /** HTTP path that answers 200 when the guest is healthy. Default `/`. */
  path?: string;
  /** Seconds after an instance starts before autohealing judges it. Default 120. */
  initialDelaySec?: number;
}

export interface GcpFleetArgs {
  /** The uploaded image every instance boots. A new image rolls the fleet. */
  image: Pick<GcpImage, "imageSelfLink" | "gcpArchitecture" | "arch" | "knownArch">;
  /** Region, e.g. `europe-west1`. */
  region: pulumi.Input<string>;
  /** Number of instances. */
  size: pulumi.Input<number>;
  /** Zones to spread over. Default: Compute Engine picks 3 zones of the region. */
  distributionPolicyZones?: string[];
  /** Machine type. Default `e2-small`. */
  machineType?: pulumi.Input<string>;
  /**
   * Instances created above `size` during a rollout. 0 or at least the
   * number of zones. Default: the number of zones (3).
   */
  maxSurge?: number;
  /**
   * Instances allowed down during a rollout. 0 or at least the number of
   * zones. Default 0: old instances go only once new ones are up.
   */
  maxUnavailable?: number;
  /** The HTTP health check that gates a rollout and drives autohealing. */
  health: GcpFleetHealth;
  /** `user-data` metadata for every instance (may be a `pulumi.secret`). */
  userData?: pulumi.Input<string>;
  /** VPC network (instances and the health-check firewall rule). Default `default`. */
  network?: pulumi.Input<string>;
  /** Extra network tags; the fleet always adds its own tag (`<name>-fleet`) for the firewall rule. */
  tags?: string[];
  /** Give each instance an ephemeral external IPv4 address. Default `true`. */
  externalIp?: boolean;
  /** Boot disk size in GB. Default: the image's size. */
  diskSizeGb?: pulumi.Input<number>;
}

/**
 * A regional managed instance group of LinuxKit instances behind an HTTP
 * health check. A new image makes a new (auto-named) instance template;
 * the group then replaces its instances proactively, `maxSurge` new ones at
 * a time, and `pulumi up` returns once every instance runs the new
 * template (`waitForInstances`, status UPDATED). The old template is
 * deleted after the group has moved off it.
 */
export class GcpFleet extends pulumi.ComponentResource {
  readonly instanceTemplate: gcp.compute.InstanceTemplate;
  readonly healthCheck: gcp.compute.HealthCheck;
  readonly firewall: gcp.compute.Firewall;
  readonly groupManager: gcp.compute.RegionInstanceGroupManager;
  /** The network tag on every instance, which the firewall rule targets. */
  readonly fleetTag: string;

  constructor(name: string, args: GcpFleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType("linuxkit:gcp:GcpFleet"), name, {}, opts);
    const zones = args.distributionPolicyZones?.length ?? DEFAULT_REGION_ZONES;
    const defaults = defaultRollout(zones);
    const maxSurge = args.maxSurge ?? defaults.maxSurge;
    const maxUnavailable = args.maxUnavailable ?? defaults.maxUnavailable;
    const { port } = args.health;
    try {
      checkRollout({ maxSurge, maxUnavailable, zones });
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new LinuxKitError(
          "GCP_ARGS",
          `health.port must be a TCP port (1-65535), got ${port}`,
          {
            field: "health.port",
          },
        );
    } catch (e) {
      throw new pulumi.ResourceError(`GcpFleet ${name}: ${describe(e)}`, this);
    }
    const network = args.network ?? "default";
    this.fleetTag = gceSlug(`${name}-fleet`);
    const tags = [...new Set([this.fleetTag, ...(args.tags ?? [])])];

    this.instanceTemplate = new gcp.compute.InstanceTemplate(
      `${name}-template`,
      {
        machineType: checkedMachineType(
          `GcpFleet ${name}`,
          args.machineType ?? DEFAULT_MACHINE_TYPE,
          args.image,
          this,
        ),
        disks: [
          {
            sourceImage: args.image.imageSelfLink,
            architecture: args.image.gcpArchitecture,
            boot: true,
            autoDelete: true,
            diskSizeGb: args.diskSizeGb,
          },
        ],
        networkInterfaces: [{ network, accessConfigs: args.externalIp === false ? [] : [{}] }],
        metadata: instanceMetadata(args.userData),
        tags,
      },
      { parent: this },
    );

    this.healthCheck = new gcp.compute.HealthCheck(
      `${name}-health`,
      {
        httpHealthCheck: { port, requestPath: args.health.path ?? "/" },
        checkIntervalSec: 10,
        timeoutSec: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      { parent: this },
    );

    this.firewall = new gcp.compute.Firewall(
      `${name}-health-fw`,
      {
        network,
        direction: "INGRESS",
        sourceRanges: HEALTH_CHECK_RANGES,
        allows: [{ protocol: "tcp", ports: [String(port)] }],
        targetTags: [this.fleetTag],
      },
      { parent: this },
    );

    this.groupManager = new gcp.compute.RegionInstanceGroupManager(
      `${name}-group`,
      {
        region: args.region,
        baseInstanceName: gceSlug(name, 58),
        distributionPolicyZones: args.distributionPolicyZones,
        versions: [{ name: "primary", instanceTemplate: this.instanceTemplate.selfLink }],
        targetSize: args.size,
        namedPorts: [{ name: "http", port }],
        updatePolicy: {
          type: "PROACTIVE",
          minimalAction: "REPLACE",
          maxSurgeFixed: maxSurge,
          maxUnavailableFixed: maxUnavailable,
        },
        autoHealingPolicies: {
          healthCheck: this.healthCheck.id,
          initialDelaySec: args.health.initialDelaySec ?? 120,
        },
        waitForInstances: true,
        waitForInstancesStatus: "UPDATED",
      },
      // The firewall rule first: autohealing must not judge instances the
      // health checkers cannot reach yet.
      { parent: this, dependsOn: [this.firewall] },
    );

    this.registerOutputs({
      groupManager: this.groupManager.selfLink,
      instanceTemplate: this.instanceTemplate.selfLink,
      healthCheck: this.healthCheck.selfLink,
      fleetTag: this.fleetTag,
    });
  }
}
