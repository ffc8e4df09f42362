/**
 * `pulumi-linuxkit/gcp`: LinuxKit images on Google Compute Engine, over
 * `@pulumi/gcp` (an optional peer dependency: only programs that import
 * this module need it, and the GCP plugin).
 */
export { GcpImage, ENABLE_VMX_LICENSE, type GcpImageArgs } from "./gcp-image";
export { GcpMachine, DEFAULT_MACHINE_TYPE, type GcpMachineArgs } from "./gcp-machine";
export { GcpFleet, HEALTH_CHECK_RANGES, type GcpFleetArgs, type GcpFleetHealth } from "./gcp-fleet";
export { checkRollout, DEFAULT_REGION_ZONES, type RolloutLimits } from "./gcp-rollout";
export { contentName, gceSlug, isGceName, objectUrl } from "./gcp-names";
export { GcsIpxeArtifacts, type GcsIpxeArtifactsArgs } from "./gcs-ipxe-artifacts";
export { gcsIpxeLayout, type GcsIpxeLayout } from "./gcs-ipxe-layout";
