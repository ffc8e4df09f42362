/**
 * JSON text byte-identical to Go's `json.MarshalIndent(v, "", "    ")`,
 * which is how LinuxKit writes `config.json` and `runtime.json`.
 *
 * Differences from `JSON.stringify(v, null, 4)` that this handles:
 * - Go escapes `<`, `>`, `&`, U+2028 and U+2029 in strings;
 * - Go replaces invalid text (here: lone UTF-16 surrogates) with U+FFFD;
 * - Go writes map keys sorted byte-wise, whereas a JS object puts
 *   integer-like keys first: values built with {@link goMap} keep Go's order;
 * - uint64 values above 2^53 (e.g. an unlimited rlimit) need `bigint`.
 */

/** A value {@link marshalIndent} can write. `undefined` object members are skipped. */
export type GoJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | GoMap
  | readonly GoJson[]
  | { readonly [key: string]: GoJson | undefined };

/** A Go `map[string]T`: written with its keys sorted byte-wise. */
export class GoMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, GoJson]>) {}

  /** The map as a plain object (for callers that inspect a config). */
  toJSON(): Record<string, GoJson> {
    return Object.fromEntries(this.entries);
  }
}

/** Compares strings by their UTF-8 bytes, as Go's `sort.Strings` does. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Sorts a record's entries into a {@link GoMap}. */
export function goMap(record: Readonly<Record<string, GoJson>>): GoMap {
  return new GoMap(Object.entries(record).sort(([a], [b]) => compareBytes(a, b)));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const GO_EXTRA_ESCAPES = /[<>&\u2028\u2029]/g;

function quote(s: string): string {
  return JSON.stringify(s.replace(LONE_SURROGATE, "\ufffd")).replace(
    GO_EXTRA_ESCAPES,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function write(value: GoJson, indent: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as JSON`);
      return JSON.stringify(value);
    case "string":
      return quote(value);
  }
  const inner = `${indent}    `;
  if (Array.isArray(value)) {
    const items = value as readonly GoJson[];
    if (items.length === 0) return "[]";
    return `[\n${items.map((v) => inner + write(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries =
    value instanceof GoMap
      ? value.entries
      : Object.entries(value).filter((e): e is [string, GoJson] => e[1] !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${quote(k)}: ${write(v, inner)}`).join(",\n")}\n${indent}}`;
}

/** Writes `value` as Go's `json.MarshalIndent(value, "", "    ")` would. */
export function marshalIndent(value: GoJson): string {
  return write(value, "");
}
