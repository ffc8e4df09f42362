/**
 * The plugin's components, built inside the plugin by construct: the same
 * classes as the TypeScript API, whose children then register under the
 * plugin's tokens (`linuxkit:index:Image`, `linuxkit:qemu:Vm`), served by
 * this very process.
 */
import * as pulumi from "@pulumi/pulumi";

import { usePluginTokens } from "../dynamic/dynamic";
import { IMAGE_INPUTS } from "./schema-types";

/** An object input that may arrive as one Output: the same object with one Output per field. */
function fields<T extends object>(value: unknown, keys: string[]): T {
  if (!pulumi.Output.isInstance(value)) return (value ?? {}) as T;
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const k of keys)
    out[k] = (value as pulumi.Output<Record<string, unknown>>).apply((v) => v?.[k]);
  return out as T;
}

export async function construct(
  name: string,
  type: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<{ urn: pulumi.Input<string>; state: pulumi.Inputs }> {
  usePluginTokens();
  if (type === "linuxkit:qemu:LocalMachine") {
    const { LocalMachine } = await import("../qemu/local-machine");
    const args = { ...inputs, image: fields(inputs["image"], Object.keys(IMAGE_INPUTS)) };
    const m = new LocalMachine(
      name,
      args as ConstructorParameters<typeof LocalMachine>[1],
      options,
    );
    return {
      urn: m.urn,
      state: {
        image: m.image,
        vm: m.vm,
        contentHash: m.contentHash,
        consoleLog: m.consoleLog,
        pid: m.pid,
      },
    };
  }
  throw new Error(
    `the linuxkit plugin has no component ${type}; it builds linuxkit:qemu:LocalMachine`,
  );
}
