/**
 * Every dynamic provider implementation, by name, loaded on first use.
 * This module is the package's `pulumi-linuxkit/providers` export: the
 * provider process requires it by that specifier (see `dynamic.ts`), so a
 * provider runs the implementation installed next to the program, whatever
 * folder it sits in.
 */
import type * as pulumi from "@pulumi/pulumi";

import type { ProviderName } from "./dynamic/provider-names";

type Implementation = Required<pulumi.dynamic.ResourceProvider>;

/* eslint-disable @typescript-eslint/no-require-imports */
const loaders = {
  image: (): unknown => require("./image/image-provider").imageProvider,
  qemuVm: (): unknown => require("./qemu/qemu-vm-provider").qemuVmProvider,
  metalDevice: (): unknown => require("./metal/metal-device-provider").metalDeviceProvider,
  metalArtifacts: (): unknown => require("./metal/metal-artifacts-provider").metalArtifactsProvider,
  qemuFleet: (): unknown => require("./fleet/qemu-fleet-provider").qemuFleetProvider,
  metalFleet: (): unknown => require("./metal/metal-fleet-provider").metalFleetProvider,
} satisfies Record<ProviderName, () => unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */

export type { ProviderName };

/** The implementation registered under `name`. */
export function loadProvider(name: string): Implementation {
  const loader = (loaders as Record<string, (() => unknown) | undefined>)[name];
  if (loader === undefined) {
    throw new Error(
      `pulumi-linuxkit has no provider named ${JSON.stringify(name)}: the state was written by a newer version; install it next to the program`,
    );
  }
  return loader() as Implementation;
}
