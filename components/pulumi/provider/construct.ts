/**
 * The plugin's components, built inside the plugin by construct: the same
 * classes as the TypeScript API, registering under the plugin's tokens.
 * Their linuxkit children (`linuxkit:index:Image`, `linuxkit:qemu:Vm`,
 * `linuxkit:metal:ArtifactFiles`) are served by this very process; their
 * @pulumi/gcp and @pulumi/command children by those packages' plugins.
 * Each component's module is loaded when its token is first constructed,
 * so a plugin serving qemu never loads @pulumi/gcp.
 */
import * as pulumi from "@pulumi/pulumi";

import { usePluginTokens } from "../dynamic/dynamic";
import { referenceInput } from "./references";
import { RESOURCES } from "./schema-table";
import { IMAGE_INPUTS } from "./schema-types";
import { checkObject } from "./validate-inputs";

type Inputs = Record<string, unknown>;
type Built = { resource: pulumi.ComponentResource; state: pulumi.Inputs };
type Options = pulumi.ComponentResourceOptions;

/** An object input that may arrive as one Output: the same object with one Output per field. */
function fields<T extends object>(value: unknown, keys: string[]): T {
  if (!pulumi.Output.isInstance(value)) return (value ?? {}) as T;
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const k of keys)
    out[k] = (value as pulumi.Output<Record<string, unknown>>).apply((v) => v?.[k]);
  return out as T;
}

/**
 * The inputs, with `plain` ones required to be values (the TypeScript
 * classes decide on them while constructing: a rollout policy, a health
 * port), never outputs of other resources.
 */
function plainOnly(token: string, inputs: Inputs, plain: string[]): Inputs {
  for (const k of plain) {
    if (pulumi.Output.isInstance(inputs[k])) {
      throw new pulumi.InputPropertyError({
        propertyPath: k,
        reason: `${token} ${k} must be a plain value (written in the program), not another resource's output or a secret`,
      });
    }
  }
  return inputs;
}

/** How each component token is built. */
const COMPONENTS: Record<
  string,
  { plain: string[]; build(name: string, i: Inputs, o: Options): Promise<Built> }
> = {
  "linuxkit:qemu:LocalMachine": {
    plain: [],
    async build(name, i, o) {
      const { LocalMachine } = await import("../qemu/local-machine");
      const args = { ...i, image: fields(i["image"], Object.keys(IMAGE_INPUTS)) };
      const m = new LocalMachine(name, args as ConstructorParameters<typeof LocalMachine>[1], o);
      return {
        resource: m,
        state: {
          image: m.image,
          vm: m.vm,
          contentHash: m.contentHash,
          consoleLog: m.consoleLog,
          pid: m.pid,
        },
      };
    },
  },
  "linuxkit:gcp:Image": {
    plain: ["importTimeout", "uefi", "nestedVirtualization"],
    async build(name, i, o) {
      const { GcpImage } = await import("../gcp/gcp-image");
      type Args = ConstructorParameters<typeof GcpImage>[1];
      const image = referenceInput<Args["image"]>(
        "linuxkit:gcp:Image",
        "image",
        i["image"],
        "linuxkit:index:Image",
      );
      const g = new GcpImage(name, { ...(i as unknown as Args), image }, o);
      return {
        resource: g,
        state: {
          imageSelfLink: g.imageSelfLink,
          imageName: g.imageName,
          objectUrl: g.objectUrl,
          arch: g.arch,
          gcpArchitecture: g.gcpArchitecture,
        },
      };
    },
  },
  "linuxkit:gcp:Machine": {
    plain: ["externalIp"],
    async build(name, i, o) {
      const { GcpMachine } = await import("../gcp/gcp-machine");
      type Args = ConstructorParameters<typeof GcpMachine>[1];
      const image = referenceInput<Args["image"]>(
        "linuxkit:gcp:Machine",
        "image",
        i["image"],
        "linuxkit:gcp:Image",
      );
      const m = new GcpMachine(name, { ...(i as unknown as Args), image }, o);
      return {
        resource: m,
        state: {
          instanceName: m.instanceName,
          selfLink: m.selfLink,
          internalIp: m.internalIp,
          externalIp: m.externalIp,
        },
      };
    },
  },
  "linuxkit:gcp:Fleet": {
    plain: [
      "distributionPolicyZones",
      "maxSurge",
      "maxUnavailable",
      "health",
      "tags",
      "externalIp",
    ],
    async build(name, i, o) {
      const { GcpFleet } = await import("../gcp/gcp-fleet");
      type Args = ConstructorParameters<typeof GcpFleet>[1];
      const image = referenceInput<Args["image"]>(
        "linuxkit:gcp:Fleet",
        "image",
        i["image"],
        "linuxkit:gcp:Image",
      );
      const f = new GcpFleet(name, { ...(i as unknown as Args), image }, o);
      return {
        resource: f,
        state: {
          groupManager: f.groupManager.selfLink,
          instanceTemplate: f.instanceTemplate.selfLink,
          healthCheck: f.healthCheck.selfLink,
          fleetTag: f.fleetTag,
        },
      };
    },
  },
  "linuxkit:gcp:IpxeArtifacts": {
    plain: ["publicRead"],
    async build(name, i, o) {
      const { GcsIpxeArtifacts } = await import("../gcp/gcs-ipxe-artifacts");
      type Args = ConstructorParameters<typeof GcsIpxeArtifacts>[1];
      const image = referenceInput<Args["image"]>(
        "linuxkit:gcp:IpxeArtifacts",
        "image",
        i["image"],
        "linuxkit:index:Image",
      );
      const a = new GcsIpxeArtifacts(name, { ...(i as unknown as Args), image }, o);
      return {
        resource: a,
        state: { baseUrl: a.baseUrl, ipxeScriptUrl: a.ipxeScriptUrl, ipxeScript: a.ipxeScript },
      };
    },
  },
  "linuxkit:metal:Artifacts": {
    plain: [],
    async build(name, i, o) {
      const { MetalArtifacts } = await import("../metal/metal-artifacts");
      type Args = ConstructorParameters<typeof MetalArtifacts>[1];
      const image = referenceInput<Args["image"]>(
        "linuxkit:metal:Artifacts",
        "image",
        i["image"],
        "linuxkit:index:Image",
      );
      const a = new MetalArtifacts(name, { ...(i as unknown as Args), image }, o);
      return {
        resource: a,
        state: {
          kernelFile: a.kernelFile,
          initrdFile: a.initrdFile,
          scriptFile: a.scriptFile,
          version: a.version,
          ipxeScriptUrl: a.ipxeScriptUrl,
          ipxeScript: a.ipxeScript,
        },
      };
    },
  },
  "linuxkit:redfish:RemoteArtifacts": {
    plain: [],
    async build(name, i, o) {
      const { RemoteArtifacts } = await import("../redfish/remote-artifacts");
      type Args = ConstructorParameters<typeof RemoteArtifacts>[1];
      const image = referenceInput<Args["image"]>(
        "linuxkit:redfish:RemoteArtifacts",
        "image",
        i["image"],
        "linuxkit:index:Image",
      );
      const r = new RemoteArtifacts(name, { ...(i as unknown as Args), image }, o);
      return {
        resource: r,
        state: {
          baseUrl: r.baseUrl,
          urls: r.urls,
          urlsByFormat: r.urlsByFormat,
          isoUrl: r.isoUrl,
        },
      };
    },
  },
};

/** The component tokens construct builds. */
export const COMPONENT_TOKENS = Object.keys(COMPONENTS);

/** Schema failures of a component's plain inputs (outputs and references are checked when used). */
function checkInputs(type: string, inputs: Inputs): void {
  const spec = RESOURCES[type];
  if (spec === undefined) return;
  const plain = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [
      k,
      pulumi.Output.isInstance(v) || pulumi.Resource.isInstance(v) ? undefined : v,
    ]),
  );
  // A required input given as an output is present: only absent ones are missing.
  const failures = checkObject("", spec.inputs, plain).filter(
    (f) => !(f.reason.startsWith("missing required") && inputs[f.property] !== undefined),
  );
  if (failures.length > 0) {
    throw new pulumi.InputPropertiesError({
      message: `${type}: ${failures.map((f) => f.reason).join("; ")}`,
      errors: failures.map((f) => ({ propertyPath: f.property, reason: f.reason })),
    });
  }
}

export async function construct(
  name: string,
  type: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<{ urn: pulumi.Input<string>; state: pulumi.Inputs }> {
  const entry = COMPONENTS[type];
  if (entry === undefined) {
    throw new Error(
      `the linuxkit plugin has no component ${type}; it builds ${COMPONENT_TOKENS.join(", ")}`,
    );
  }
  usePluginTokens();
  checkInputs(type, inputs as Inputs);
  const built = await entry.build(name, plainOnly(type, inputs as Inputs, entry.plain), options);
  return { urn: built.resource.urn, state: built.state };
}
