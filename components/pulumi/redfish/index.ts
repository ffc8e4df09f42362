/**
 * `pulumi-linuxkit/redfish`: LinuxKit images on machines with a Redfish
 * BMC, booted by virtual media, UEFI HTTP boot or PXE. RemoteArtifacts
 * needs `@pulumi/command` (an optional peer dependency); the rest needs
 * nothing beyond this package.
 */
export { RedfishMachine, type RedfishMachineArgs } from "./redfish-machine";
export { RedfishFleet, type RedfishFleetArgs } from "./redfish-fleet";
export type { RedfishFleetMachineSummary } from "./redfish-fleet-provider";
export type { RedfishFleetMember } from "../../fleet/adapters/redfish-fleet-adapter";
export type { BootMethod, MachineReadiness } from "../../redfish";
export { remoteLayout, versionFolder, type RemoteLayout } from "./remote-layout";
export type {
  RemoteArtifactsArgs,
  RemoteArtifacts as RemoteArtifactsType,
} from "./remote-artifacts";

type RemoteArtifactsClass = typeof import("./remote-artifacts").RemoteArtifacts;
/* eslint-disable @typescript-eslint/no-require-imports */
const loadRemoteArtifacts = (): RemoteArtifactsClass =>
  (require("./remote-artifacts") as typeof import("./remote-artifacts")).RemoteArtifacts;
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * See {@link RemoteArtifactsClass}. Loaded on first use, so that programs
 * that do not use it need no `@pulumi/command` (nor its plugin).
 */
export const RemoteArtifacts: RemoteArtifactsClass = new Proxy(
  function RemoteArtifacts() {} as unknown as RemoteArtifactsClass,
  {
    construct: (_t, args: unknown[], newTarget) =>
      Reflect.construct(
        loadRemoteArtifacts(),
        args,
        newTarget === RemoteArtifacts ? loadRemoteArtifacts() : newTarget,
      ) as object,
    get: (_t, p) => Reflect.get(loadRemoteArtifacts(), p) as unknown,
  },
);
