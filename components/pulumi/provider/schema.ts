/**
 * The `linuxkit` package schema, built from the TypeScript table
 * (schema-table.ts, schema-types.ts). schema.json at the repository root is
 * this, written by `npm run schema`; the plugin answers GetSchema with it,
 * and a test fails when the committed file and this differ.
 */
import type { ObjectTypeSpec, Property, PropertySpec, ResourceSpec } from "./schema-dsl";
import { RESOURCES } from "./schema-table";
import { TYPES } from "./schema-types";

/** Where `pulumi plugin install` fetches the plugin by default (this repository's releases). */
export const PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumi-linuxkit/pulumi-linuxkit";

/** Provider configuration (`linuxkit:<key>` in stack config, or a provider resource's inputs). */
export const CONFIG: Record<string, Property> = {
  metalAuthToken: {
    required: false,
    spec: {
      type: "string",
      secret: true,
      description:
        "Metal API token for the metal resources (`pulumi config set --secret linuxkit:metalAuthToken ...`). Default: METAL_AUTH_TOKEN. Never stored in resource state.",
    },
  },
  metalApiUrl: {
    required: false,
    spec: {
      type: "string",
      description:
        "Metal API v1 root. Default: METAL_API_URL, else https://api.equinix.com/metal/v1.",
    },
  },
  dockerHost: {
    required: false,
    spec: {
      type: "string",
      description:
        "The Docker engine images are read from, as DOCKER_HOST spells it (`unix:///var/run/docker.sock`, `tcp://host:2376`). Default: DOCKER_HOST, else the local socket.",
    },
  },
};

/** Environment variable each configuration key defaults to. */
export const CONFIG_ENV: Record<string, string> = {
  metalAuthToken: "METAL_AUTH_TOKEN",
  metalApiUrl: "METAL_API_URL",
  dockerHost: "DOCKER_HOST",
};

function sorted<T>(table: Record<string, T>): [string, T][] {
  return Object.entries(table).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The Python name of a property whose name ends in a unit (`memoryMiB`):
 * `memory_mib`, where Pulumi's casing splits the unit (`memory_mi_b`).
 * Pulumi's Python generator has no per-property name (its PropertyInfo
 * holds only `mapCase`), so scripts/sdkgen applies `language.python.name`
 * to the generated Python SDK; other generators ignore it.
 */
export function pythonNameOf(name: string): string | undefined {
  const m = /^(.*?)(MiB|GiB)$/.exec(name);
  if (m === null) return undefined;
  const snake = (m[1] ?? "").replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return `${snake}_${(m[2] ?? "").toLowerCase()}`;
}

function properties(props: Record<string, Property>): Record<string, PropertySpec> {
  return Object.fromEntries(
    sorted(props).map(([k, p]) => {
      const py = pythonNameOf(k);
      return [k, py === undefined ? p.spec : { ...p.spec, language: { python: { name: py } } }];
    }),
  );
}

function requiredOf(props: Record<string, Property>): string[] | undefined {
  const r = sorted(props)
    .filter(([, p]) => p.required)
    .map(([k]) => k);
  return r.length > 0 ? r : undefined;
}

function resourceSchema(spec: ResourceSpec): Record<string, unknown> {
  return {
    description: spec.description,
    ...(spec.kind === "component" ? { isComponent: true } : {}),
    properties: properties(spec.outputs),
    required: requiredOf(spec.outputs),
    inputProperties: properties(spec.inputs),
    requiredInputs: requiredOf(spec.inputs),
  };
}

function typeSchema(spec: ObjectTypeSpec): Record<string, unknown> {
  return {
    type: "object",
    description: spec.description,
    properties: properties(spec.properties),
    required: requiredOf(spec.properties),
  };
}

/** The package schema for `version`. */
export function packageSchema(version: string): Record<string, unknown> {
  const config = {
    variables: Object.fromEntries(
      sorted(CONFIG).map(([k, p]) => [
        k,
        { ...p.spec, defaultInfo: { environment: [CONFIG_ENV[k] ?? ""] } },
      ]),
    ),
  };
  return JSON.parse(
    JSON.stringify({
      name: "linuxkit",
      displayName: "LinuxKit",
      version,
      description:
        "LinuxKit images as Pulumi resources: build LinuxKit YAML into bootable artifacts and run them on qemu and Metal.",
      keywords: ["pulumi", "linuxkit", "qemu", "category/infrastructure", "kind/native"],
      homepage: "https://github.com/pulumi-linuxkit/pulumi-linuxkit",
      repository: "https://github.com/pulumi-linuxkit/pulumi-linuxkit",
      license: "Apache-2.0",
      publisher: "pulumi-linuxkit",
      pluginDownloadURL: PLUGIN_DOWNLOAD_URL,
      meta: { moduleFormat: "(.*)" },
      config,
      provider: {
        description: "The linuxkit provider. Its settings default to environment variables.",
        properties: properties(CONFIG),
        inputProperties: properties(CONFIG),
      },
      types: Object.fromEntries(sorted(TYPES).map(([t, spec]) => [t, typeSchema(spec)])),
      resources: Object.fromEntries(
        sorted(RESOURCES).map(([t, spec]) => [t, resourceSchema(spec)]),
      ),
      language: {
        nodejs: {
          packageName: "@pulumi-linuxkit/linuxkit",
          dependencies: { "@pulumi/pulumi": "^3.142.0" },
          respectSchemaVersion: true,
        },
        python: {
          packageName: "pulumi_linuxkit",
          requires: { pulumi: ">=3.142.0,<4.0.0" },
          respectSchemaVersion: true,
          pyproject: { enabled: true },
        },
        go: {
          importBasePath: "github.com/pulumi-linuxkit/pulumi-linuxkit/sdk/go/linuxkit",
          generateResourceContainerTypes: true,
          respectSchemaVersion: true,
        },
        csharp: {
          rootNamespace: "PulumiLinuxKit",
          packageReferences: { Pulumi: "3.*" },
          respectSchemaVersion: true,
        },
      },
    }),
  ) as Record<string, unknown>;
}

/** schema.json's text for `version`. */
export function schemaText(version: string): string {
  return `${JSON.stringify(packageSchema(version), null, 2)}\n`;
}
