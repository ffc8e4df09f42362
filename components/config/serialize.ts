/**
 * Writing a configuration back out as YAML that parses to the same spec
 * (the `files[].metadata` contents LinuxKit writes are in metadata.ts).
 */
import { dump } from "js-yaml";
import { documentSchema, type SchemaType } from "./schema";
import type { LinuxKitSpec } from "./types";

/**
 * YAML for `spec`, fields in LinuxKit's order, empty top-level lists left
 * out. Parsing the result gives back an equal spec (strings that YAML
 * would read as something else are quoted).
 */
export function specToYaml(spec: LinuxKitSpec): string {
  const ordered = orderBySchema(spec, documentSchema) as Record<string, unknown>;
  for (const [key, value] of Object.entries(ordered)) {
    if (Array.isArray(value) && value.length === 0) delete ordered[key];
  }
  return dump(ordered, { noRefs: true, lineWidth: -1 });
}

/** Copies `value` with object keys in the schema's order (unknown keys last, as they were). */
function orderBySchema(value: unknown, schema: SchemaType | undefined): unknown {
  if (Array.isArray(value)) {
    return value.map((item) =>
      orderBySchema(item, schema?.kind === "array" ? schema.items : undefined),
    );
  }
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  const properties = schema?.kind === "object" ? schema.properties : {};
  const own = (o: object, k: string): boolean => Object.hasOwn(o, k);
  const keys = [
    ...Object.keys(properties).filter((k) => own(record, k)),
    ...Object.keys(record).filter((k) => !own(properties, k)),
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (record[key] === undefined) continue;
    // defineProperty: a map key named `__proto__` stays a key (assigning it would set the prototype)
    Object.defineProperty(out, key, {
      value: orderBySchema(record[key], own(properties, key) ? properties[key] : undefined),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
