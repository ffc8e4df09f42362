/**
 * pulumi-linuxkit: LinuxKit images as Pulumi resources, and the build
 * pipeline behind them as a plain library.
 *
 * A Pulumi program only declares resources, so the build pipeline (the
 * Docker client, the YAML parser, the format writers) is loaded on the
 * first call of one of its functions, not when this module is imported.
 */
import type * as Config from "./config";
import type * as Pipeline from "./pipeline/pipeline";

export { Image, type ImageArgs } from "./pulumi/image/image";
export { QemuVm, type QemuVmArgs } from "./pulumi/qemu/qemu-vm";
export { LocalMachine, type LocalMachineArgs } from "./pulumi/qemu/local-machine";
export { QemuFleet, type QemuFleetArgs } from "./pulumi/fleet/qemu-fleet";
export type { BuildRequest, BuildResult } from "./pipeline/pipeline";
export { LinuxKitError, LinuxKitErrors } from "./errors/errors";
export type { LinuxKitSpec } from "./config/types";

/* eslint-disable @typescript-eslint/no-require-imports */
const pipeline = (): typeof Pipeline => require("./pipeline/pipeline") as typeof Pipeline;
const config = (): typeof Config => require("./config") as typeof Config;
/* eslint-enable @typescript-eslint/no-require-imports */

/** See {@link Pipeline.build}. */
export const build: typeof Pipeline.build = (...args) => pipeline().build(...args);
/** See {@link Pipeline.planBuild}. */
export const planBuild: typeof Pipeline.planBuild = (...args) => pipeline().planBuild(...args);
/** See {@link Config.loadSpecFiles}. */
export const loadSpecFiles: typeof Config.loadSpecFiles = (...args) =>
  config().loadSpecFiles(...args);
/** See {@link Config.parseSpec}. */
export const parseSpec: typeof Config.parseSpec = (...args) => config().parseSpec(...args);
/** See {@link Config.parseSpecObject}. */
export const parseSpecObject: typeof Config.parseSpecObject = (...args) =>
  config().parseSpecObject(...args);
/** See {@link Config.canonicalSpecHash}. */
export const canonicalSpecHash: typeof Config.canonicalSpecHash = (...args) =>
  config().canonicalSpecHash(...args);
