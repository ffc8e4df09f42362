import * as pulumi from "@pulumi/pulumi";

import type { ProviderName } from "./provider-names";

/**
 * The module Pulumi's dynamic-provider host runs for a resource: it reads
 * the resource's `__provider` input, a CommonJS module whose `handler()`
 * returns the provider. Ours loads the implementation by package specifier,
 * `pulumi-linuxkit/providers`, resolved from the program folder (the
 * provider's working directory): state written from one checkout works
 * from any other, since nothing in it names a path on the machine that
 * wrote it, and the implementation can change between versions.
 */
const PROVIDER_MODULE = `"use strict";
// pulumi-linuxkit: the provider is the installed package's implementation.
exports.handler = () => {
  const load = () =>
    require("node:module")
      .createRequire(require("node:path").join(process.cwd(), "__pulumi_program__.js"))(
        "pulumi-linuxkit/providers",
      )
      .loadProvider(PROVIDER_NAME);
  return {
    configure: async (req) => {
      const impl = load();
      if (impl.configure !== undefined) await impl.configure(req);
    },
    check: (olds, news) => load().check(olds, news),
    diff: (id, olds, news) => load().diff(id, olds, news),
    create: (inputs) => load().create(inputs),
    update: (id, olds, news) => load().update(id, olds, news),
    read: (id, props) => load().read(id, props),
    delete: (id, props) => load().delete(id, props),
  };
};
`;

/** The `__provider` module text of the implementation registered under `name`. */
export function providerModule(name: ProviderName): string {
  return PROVIDER_MODULE.replace("PROVIDER_NAME", JSON.stringify(name));
}

/**
 * A dynamic resource (type `pulumi-nodejs:dynamic/linuxkit:<type>`, served
 * by Pulumi's Node.js dynamic-provider host) whose `__provider` is the
 * fixed text of {@link providerModule}. `pulumi.dynamic.Resource` would
 * serialize a provider closure instead, and the first serialization in a
 * program starts a V8 inspector session that reports every loaded script:
 * 0.15 to 0.25 s on a no-op preview's critical path, spent before the
 * engine even launches the provider. The resource registered is the same.
 */
export abstract class LinuxKitResource extends pulumi.CustomResource {
  protected constructor(
    provider: ProviderName,
    type: string,
    name: string,
    props: pulumi.Inputs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if (pluginTokens) {
      super(PLUGIN_TOKENS[provider], name, props, opts);
      return;
    }
    super(
      `pulumi-nodejs:dynamic/linuxkit:${type}`,
      name,
      { ...props, __provider: providerModule(provider) },
      opts,
    );
  }
}

/**
 * The provider plugin's type token of each implementation: what
 * {@link LinuxKitResource} registers once {@link usePluginTokens} was
 * called. The plugin does so before it constructs a component (e.g.
 * `linuxkit:qemu:LocalMachine`), so the component's children are the
 * plugin's own resources, served by the same process.
 */
export const PLUGIN_TOKENS = {
  image: "linuxkit:index:Image",
  qemuVm: "linuxkit:qemu:Vm",
  qemuFleet: "linuxkit:qemu:Fleet",
  metalDevice: "linuxkit:metal:Device",
  metalFleet: "linuxkit:metal:Fleet",
  metalArtifacts: "linuxkit:metal:ArtifactFiles",
  redfishMachine: "linuxkit:redfish:Machine",
  redfishFleet: "linuxkit:redfish:Fleet",
} as const satisfies Record<ProviderName, string>;

/**
 * The plugin's token of each component class, by the type the TypeScript
 * API registers it under (kept, so stacks made with the TypeScript API
 * keep their URNs): inside the plugin a component registers under the
 * token the engine asked construct for.
 */
export const PLUGIN_COMPONENT_TOKENS = {
  "linuxkit:gcp:GcpImage": "linuxkit:gcp:Image",
  "linuxkit:gcp:GcpMachine": "linuxkit:gcp:Machine",
  "linuxkit:gcp:GcpFleet": "linuxkit:gcp:Fleet",
  "linuxkit:gcp:GcsIpxeArtifacts": "linuxkit:gcp:IpxeArtifacts",
  "linuxkit:metal:MetalArtifacts": "linuxkit:metal:Artifacts",
  "linuxkit:qemu:LocalMachine": "linuxkit:qemu:LocalMachine",
  "linuxkit:redfish:RemoteArtifacts": "linuxkit:redfish:RemoteArtifacts",
} as const;

/** The type a component registers under: its own, or the plugin's token inside the plugin. */
export function componentType(type: keyof typeof PLUGIN_COMPONENT_TOKENS): string {
  return pluginTokens ? PLUGIN_COMPONENT_TOKENS[type] : type;
}

let pluginTokens = false;

/** Whether {@link usePluginTokens} was called (inside the plugin process). */
export function pluginTokensInUse(): boolean {
  return pluginTokens;
}

/** Registers resources under the plugin's tokens from now on (the plugin process only). */
export function usePluginTokens(): void {
  pluginTokens = true;
}
