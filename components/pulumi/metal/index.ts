/**
 * `pulumi-linuxkit/metal`: LinuxKit images on bare metal that iPXE-boots
 * (Packet / Equinix Metal and Metal-API-compatible services).
 */
export { MetalDevice, type MetalDeviceArgs } from "./metal-device";
export { MetalArtifacts, ipxeScriptOf, type MetalArtifactsArgs } from "./metal-artifacts";
export { MetalArtifactFiles, type MetalArtifactFilesArgs } from "./metal-artifact-files";
export {
  archOfPlan,
  ipxeFileNames,
  ipxeScript,
  type IpxeArch,
  type IpxeScriptArgs,
} from "../../ipxe/ipxe-script";
export {
  DEFAULT_METAL_API_URL,
  MetalApiError,
  MetalClient,
  MetalWaitError,
  publicIpv4,
  type MetalClientOptions,
  type MetalDevice as MetalApiDevice,
} from "../../metal/metal-client";
export { MetalFleet, type MetalFleetArgs } from "./metal-fleet";
