import * as pulumi from "@pulumi/pulumi";

import type { Arch } from "../../arch";
import type { GcpImage } from "./gcp-image";
import { describe } from "./gcp-image";
import { checkMachineType } from "./gcp-arch";

/**
 * `machineType`, checked against the image's architecture: at once (the
 * constructor throws) when both are plain values, else once both are
 * known (at preview when they are inputs). A mismatch fails the resource
 * `what` with an error naming both and what to use instead.
 */
export function checkedMachineType(
  what: string,
  machineType: pulumi.Input<string>,
  image: Pick<GcpImage, "arch" | "knownArch">,
  parent: pulumi.Resource,
): pulumi.Input<string> {
  const check = (type: string, arch: Arch): string => {
    try {
      checkMachineType(type, arch);
    } catch (e) {
      throw new pulumi.ResourceError(`${what}: ${describe(e)}`, parent);
    }
    return type;
  };
  if (typeof machineType === "string" && image.knownArch !== undefined)
    return check(machineType, image.knownArch);
  return pulumi.all([machineType, image.arch]).apply(([type, arch]) => check(type, arch));
}
