/**
 * Checks a resource's inputs against the schema before its implementation
 * sees them: unknown property names (with the closest known one), values
 * of the wrong type, and missing required properties, each a check failure
 * naming the property. SDKs of some languages check little themselves (a
 * Python dict or a YAML map reaches the provider as written), so this is
 * where every language gets the same errors.
 */
import { UNKNOWN } from "../dynamic/unknowns";
import type { Property, PropertySpec } from "./schema-dsl";
import { TYPES } from "./schema-types";

export interface CheckFailure {
  property: string;
  reason: string;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

function unknownName(path: string, key: string, known: string[]): CheckFailure {
  const best = known.map((k) => ({ k, d: distance(key, k) })).sort((x, y) => x.d - y.d)[0];
  const hint =
    best !== undefined && best.d <= Math.max(2, Math.floor(key.length / 3))
      ? `; did you mean "${best.k}"?`
      : `; known properties: ${known.join(", ")}`;
  return { property: path, reason: `unknown property "${key}"${hint}` };
}

function checkValue(
  path: string,
  spec: Omit<PropertySpec, "description">,
  v: unknown,
  out: CheckFailure[],
): void {
  if (v === undefined || v === null || v === UNKNOWN) return;
  if (spec.$ref === "pulumi.json#/Any") return;
  if (spec.$ref?.startsWith("#/types/") === true) {
    const type = TYPES[spec.$ref.slice("#/types/".length)];
    if (type === undefined) return;
    if (typeof v !== "object" || Array.isArray(v)) {
      out.push({ property: path, reason: `${path} must be an object, got ${describe(v)}` });
      return;
    }
    checkObject(path, type.properties, v as Record<string, unknown>, out);
    return;
  }
  const wrong = (want: string): void => {
    out.push({ property: path, reason: `${path} must be ${want}, got ${describe(v)}` });
  };
  switch (spec.type) {
    case "string":
      if (typeof v !== "string") wrong("a string");
      return;
    case "boolean":
      if (typeof v !== "boolean") wrong("a boolean (true or false)");
      return;
    case "integer":
      if (typeof v !== "number" || !Number.isInteger(v)) wrong("an integer");
      return;
    case "number":
      if (typeof v !== "number") wrong("a number");
      return;
    case "array":
      if (!Array.isArray(v)) {
        wrong("a list");
        return;
      }
      if (spec.items !== undefined) {
        const items = spec.items;
        v.forEach((x, i) => checkValue(`${path}[${i}]`, items, x, out));
      }
      return;
    case "object":
      if (typeof v !== "object" || Array.isArray(v)) {
        wrong("an object (a map)");
        return;
      }
      if (spec.additionalProperties !== undefined) {
        const values = spec.additionalProperties;
        for (const [k, x] of Object.entries(v)) checkValue(`${path}.${k}`, values, x, out);
      }
      return;
    default:
      return;
  }
}

/** Failures for `values` against `props`, property paths prefixed with `prefix`. */
export function checkObject(
  prefix: string,
  props: Record<string, Property>,
  values: Record<string, unknown>,
  out: CheckFailure[] = [],
): CheckFailure[] {
  const known = Object.keys(props);
  const at = (k: string): string => (prefix === "" ? k : `${prefix}.${k}`);
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith("__")) continue; // engine-internal (`__defaults`, ...)
    const p = props[k];
    if (p === undefined) {
      out.push(unknownName(at(k), k, known));
      continue;
    }
    checkValue(at(k), p.spec, v, out);
  }
  for (const [k, p] of Object.entries(props)) {
    if (p.required && (values[k] === undefined || values[k] === null)) {
      out.push({ property: at(k), reason: `missing required property "${at(k)}"` });
    }
  }
  return out;
}
