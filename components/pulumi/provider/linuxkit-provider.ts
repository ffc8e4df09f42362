/**
 * The `linuxkit` provider as `@pulumi/pulumi/provider`'s main() serves it:
 * check validates against the schema and then runs the implementation's
 * check, diff records a detailed diff (see service-hooks.ts), create, read,
 * update and delete run the shared implementations with progress going to
 * the engine, and construct builds the components.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";

import { withProgress } from "../../progress";
import { engineLog } from "./engine-log";
import {
  entryOf,
  implementationOf,
  parseUrn,
  type CustomEntry,
  type Implementation,
} from "./dispatch";
import { detailedDiff, type PropertyDiff } from "./detailed-diff";
import { RESOURCES } from "./schema-table";
import { packageSchema } from "./schema";
import { unwrapSecrets, wrapSecrets } from "./secrets";
import { checkObject } from "./validate-inputs";
import { providerSettings, type ProviderSettings } from "./provider-config";
import { construct } from "./construct";
import { registerReferences } from "./references";

type Props = Record<string, unknown>;

/** Properties the schema declares secret, for a token's inputs or outputs. */
function schemaSecrets(token: string, side: "inputs" | "outputs"): string[] {
  const spec = RESOURCES[token];
  if (spec === undefined) return [];
  return Object.entries(spec[side])
    .filter(([, p]) => p.spec.secret === true)
    .map(([k]) => k);
}

/** The provider object, and the detailed diff of each URN's last diff (for service-hooks.ts). */
export function linuxkitProvider(version: string): {
  provider: provider.Provider;
  takeDetailedDiff(urn: string): Record<string, PropertyDiff> | undefined;
  configure(settings: ProviderSettings): void;
} {
  // Before any construct: the SDK turns references into objects while it reads the request.
  registerReferences();
  const detailed = new Map<string, Record<string, PropertyDiff>>();
  let settings: ProviderSettings = providerSettings({});
  const configured = new Set<string>();

  async function impl(entry: CustomEntry): Promise<Implementation> {
    const i = implementationOf(entry);
    if (i.configure !== undefined && !configured.has(entry.provider)) {
      configured.add(entry.provider);
      await i.configure({ config: { get: (key) => settings.legacyConfig[key] } });
    }
    return i;
  }

  /** Runs an operation with its progress lines sent to the engine under `urn`. */
  function reporting<T>(urn: string, work: () => Promise<T>): Promise<T> {
    const label = parseUrn(urn).name;
    return withProgress((line) => void engineLog(urn, `${label}: ${line}`), work);
  }

  /** Outputs as the engine stores them: schema secrets and whatever came in secret stay secret. */
  function outputs(token: string, outs: unknown, secretInputs: Set<string>): Props {
    return wrapSecrets((outs ?? {}) as Props, [
      ...schemaSecrets(token, "outputs"),
      ...secretInputs,
    ]);
  }

  const p: provider.Provider = {
    version,
    getSchema: () => Promise.resolve(JSON.stringify(packageSchema(version))),

    async check(urn, olds, news) {
      const token = parseUrn(urn).type;
      const entry = entryOf(token);
      const spec = RESOURCES[token];
      const { plain, secretKeys } = unwrapSecrets(news as Props);
      const failures = spec === undefined ? [] : checkObject("", spec.inputs, plain);
      if (failures.length > 0) return { inputs: news as Props, failures };
      if (entry.nameKey !== undefined) {
        const given = plain[entry.nameKey];
        if (given === undefined || given === null) plain[entry.nameKey] = parseUrn(urn).name;
      }
      const result = await (await impl(entry)).check(unwrapSecrets(olds as Props).plain, plain);
      const inputs = wrapSecrets((result.inputs ?? plain) as Props, [
        ...secretKeys,
        ...schemaSecrets(token, "inputs"),
      ]);
      return { inputs, failures: result.failures ?? [] };
    },

    async diff(id, urn, olds, news) {
      const token = parseUrn(urn).type;
      const o = unwrapSecrets(olds as Props).plain;
      const n = unwrapSecrets(news as Props).plain;
      const result = await (await impl(entryOf(token))).diff(id, o, n);
      const inputKeys = Object.keys(RESOURCES[token]?.inputs ?? {});
      detailed.set(urn, detailedDiff(inputKeys, o, n, result));
      return result;
    },

    async create(urn, inputs) {
      const token = parseUrn(urn).type;
      const { plain, secretKeys } = unwrapSecrets(inputs as Props);
      const i = await impl(entryOf(token));
      try {
        const r = await reporting(urn, () => i.create(plain));
        return { id: r.id, outs: outputs(token, r.outs, secretKeys) };
      } catch (e) {
        throw withSecretProperties(e, token, secretKeys, outputs);
      }
    },

    async update(id, urn, olds, news) {
      const token = parseUrn(urn).type;
      const o = unwrapSecrets(olds as Props).plain;
      const { plain, secretKeys } = unwrapSecrets(news as Props);
      const i = await impl(entryOf(token));
      try {
        const r = await reporting(urn, () => i.update(id, o, plain));
        return { outs: outputs(token, r.outs, secretKeys) };
      } catch (e) {
        throw withSecretProperties(e, token, secretKeys, outputs);
      }
    },

    async read(id, urn, props) {
      const token = parseUrn(urn).type;
      const { plain, secretKeys } = unwrapSecrets(props as Props);
      const r = await (await impl(entryOf(token))).read(id, plain);
      if (r.id === undefined) return { id: "", props: {} };
      return { id: r.id, props: outputs(token, r.props, secretKeys) };
    },

    async delete(id, urn, props) {
      const token = parseUrn(urn).type;
      const { plain } = unwrapSecrets(props as Props);
      const i = await impl(entryOf(token));
      await reporting(urn, () => i.delete(id, plain));
    },

    construct(
      name: string,
      type: string,
      inputs: pulumi.Inputs,
      options: pulumi.ComponentResourceOptions,
    ) {
      return construct(name, type, inputs, options);
    },
  };

  return {
    provider: p,
    takeDetailedDiff(urn) {
      const d = detailed.get(urn);
      detailed.delete(urn);
      return d;
    },
    configure(s) {
      settings = s;
      configured.clear();
      if (s.dockerHost !== undefined) process.env["DOCKER_HOST"] = s.dockerHost;
    },
  };
}

/** A created-but-failed error's properties, with secrets wrapped like outputs. */
function withSecretProperties(
  e: unknown,
  token: string,
  secretKeys: Set<string>,
  outputs: (token: string, outs: unknown, secretInputs: Set<string>) => Props,
): unknown {
  if (e instanceof Error && "properties" in e) {
    const err = e as Error & { properties?: unknown };
    err.properties = outputs(token, err.properties, secretKeys);
  }
  return e;
}
