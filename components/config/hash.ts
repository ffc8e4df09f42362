/**
 * Canonical JSON and the configuration hash used as a build cache key.
 */
import { createHash } from "node:crypto";
import { writtenFile } from "./files";
import type { LinuxKitSpec } from "./types";

/**
 * JSON with a single spelling per value: object keys sorted (by UTF-16
 * code units), `undefined` properties dropped (`undefined` list items
 * become `null`, as in JSON.stringify), no whitespace, `-0` written `0`.
 * Lists keep their order. Only plain objects, arrays, strings, finite
 * numbers, booleans and null are accepted.
 * @throws TypeError for anything else (functions, bigint, NaN, class instances, cycles)
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, active: Set<object>): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(Object.is(value, -0) ? 0 : value);
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
  if (active.has(value)) throw new TypeError("canonicalJson: cyclic value");
  active.add(value);
  try {
    if (Array.isArray(value)) return `[${value.map((item) => write(item, active)).join(",")}]`;
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError("canonicalJson: only plain objects can be encoded");
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], active)}`).join(",")}}`;
  } finally {
    active.delete(value);
  }
}

/**
 * SHA-256 (hex) of the canonical JSON of `spec`: the same configuration
 * written differently (key order, quoting, flow or block style, comments,
 * split over several files) hashes the same; any change that can
 * alter the build changes it. `trust` is left out, since LinuxKit ignores
 * it, and so is `outputs`: the formats are part of a build's key on their
 * own, whether they come from `outputs` or are chosen explicitly. The
 * contents of `files[].source` files are not included (the build key adds
 * them), and neither is where they sit: a resolved source path is hashed
 * as a placeholder, so the same project in another folder hashes the same.
 * When a `files` entry asks for `metadata`, the files' `path` and `source`
 * as written count too (the metadata shows them so, as LinuxKit does).
 */
export function canonicalSpecHash(spec: LinuxKitSpec): string {
  const withoutTrust: Partial<LinuxKitSpec> = { ...spec };
  delete withoutTrust.trust;
  delete withoutTrust.outputs;
  const hashed: Record<string, unknown> = {
    ...withoutTrust,
    files: spec.files.map((f) =>
      f.source === undefined || f.source === "" ? f : { ...f, source: SOURCE_PLACEHOLDER },
    ),
  };
  // a metadata file shows `path` and `source` as written: then their spelling is content too
  if (spec.files.some((f) => f.metadata !== undefined && f.metadata !== "")) {
    hashed.filesAsWritten = spec.files.map((f) => writtenFile(f));
  }
  return createHash("sha256").update(canonicalJson(hashed)).digest("hex");
}

/** What a `files[].source` path is hashed as (its bytes are keyed separately). */
const SOURCE_PLACEHOLDER = "<source file: keyed by content>";
