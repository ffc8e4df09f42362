/**
 * pulumi-linuxkit: LinuxKit images as Pulumi resources, and the build
 * pipeline behind them as a plain library.
 */
export { Image, type ImageArgs } from "./image/image";
export { QemuVm, type QemuVmArgs } from "./qemu/qemu-vm";
export { LocalMachine, type LocalMachineArgs } from "./qemu/local-machine";
export { build, planBuild, type BuildRequest, type BuildResult } from "./build/pipeline";
export { LinuxKitError, LinuxKitErrors } from "./errors";
export { loadSpecFiles, parseSpec, parseSpecObject, canonicalSpecHash } from "./spec";
export type { LinuxKitSpec } from "./spec/types";
