/**
 * pulumi-linuxkit: LinuxKit images as Pulumi resources, and the build
 * pipeline behind them as a plain library.
 */
export { Image, type ImageArgs } from "./pulumi/image/image";
export { QemuVm, type QemuVmArgs } from "./pulumi/qemu/qemu-vm";
export { LocalMachine, type LocalMachineArgs } from "./pulumi/qemu/local-machine";
export { QemuFleet, type QemuFleetArgs } from "./pulumi/fleet/qemu-fleet";
export { build, planBuild, type BuildRequest, type BuildResult } from "./pipeline/pipeline";
export { LinuxKitError, LinuxKitErrors } from "./errors";
export { loadSpecFiles, parseSpec, parseSpecObject, canonicalSpecHash } from "./config";
export type { LinuxKitSpec } from "./config/types";
