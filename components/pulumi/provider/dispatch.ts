/**
 * Which implementation serves each custom resource token of the plugin:
 * the very objects the TypeScript API's dynamic resources run (loaded by
 * name from ../providers, on first use), so both paths share one
 * implementation. `nameKey` is the input that defaults to the resource's
 * name, as the TypeScript classes fill it in their constructors.
 */
import { loadProvider, type ProviderName } from "../providers";
import { PLUGIN_TOKENS } from "../dynamic/dynamic";

export interface CustomEntry {
  provider: ProviderName;
  /** The input defaulting to the resource name, if any. */
  nameKey?: "name" | "hostname";
}

export const CUSTOM_RESOURCES: Record<string, CustomEntry> = {
  [PLUGIN_TOKENS.image]: { provider: "image", nameKey: "name" },
  [PLUGIN_TOKENS.qemuVm]: { provider: "qemuVm", nameKey: "name" },
  [PLUGIN_TOKENS.qemuFleet]: { provider: "qemuFleet", nameKey: "name" },
  [PLUGIN_TOKENS.metalDevice]: { provider: "metalDevice", nameKey: "hostname" },
  [PLUGIN_TOKENS.metalFleet]: { provider: "metalFleet", nameKey: "name" },
  [PLUGIN_TOKENS.metalArtifacts]: { provider: "metalArtifacts", nameKey: "name" },
  [PLUGIN_TOKENS.redfishMachine]: { provider: "redfishMachine" },
  [PLUGIN_TOKENS.redfishFleet]: { provider: "redfishFleet", nameKey: "name" },
};

/** A dynamic-provider implementation as ../providers hands it out. */
export interface Implementation {
  configure?(req: { config: { get(key: string): string | undefined } }): Promise<void>;
  check(
    olds: unknown,
    news: unknown,
  ): Promise<{ inputs?: unknown; failures?: { property: string; reason: string }[] }>;
  diff(
    id: string,
    olds: unknown,
    news: unknown,
  ): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  create(inputs: unknown): Promise<{ id: string; outs?: unknown }>;
  update(id: string, olds: unknown, news: unknown): Promise<{ outs?: unknown }>;
  read(id: string, props?: unknown): Promise<{ id?: string; props?: unknown }>;
  delete(id: string, props: unknown): Promise<void>;
}

/** The type token and resource name of a URN (`urn:pulumi:stack::project::type::name`). */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

/** The entry of a token, or an error naming the tokens this plugin serves. */
export function entryOf(token: string): CustomEntry {
  const e = CUSTOM_RESOURCES[token];
  if (e === undefined) {
    throw new Error(
      `the linuxkit plugin has no resource ${token}; it serves ${Object.keys(CUSTOM_RESOURCES).join(", ")} (a newer plugin may: pulumi plugin install resource linuxkit <version>)`,
    );
  }
  return e;
}

/** The implementation of an entry (loaded on first use). */
export function implementationOf(entry: CustomEntry): Implementation {
  return loadProvider(entry.provider) as unknown as Implementation;
}
