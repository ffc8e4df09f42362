import * as pulumi from "@pulumi/pulumi";

import type { Arch } from "../../arch";
import { describe } from "./gcp-image";
import { checkMachineType } from "./gcp-arch";

/**
 * `machineType`, checked against the image's architecture once both are
 * known (at preview when they are inputs): a mismatch fails the resource
 * `what` with an error naming both and what to use instead.
 */
export function checkedMachineType(
  what: string,
  machineType: pulumi.Input<string>,
  imageArch: pulumi.Output<Arch>,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  return pulumi.all([machineType, imageArch]).apply(([type, arch]) => {
    try {
      checkMachineType(type, arch);
    } catch (e) {
      throw new pulumi.ResourceError(`${what}: ${describe(e)}`, parent);
    }
    return type;
  });
}
