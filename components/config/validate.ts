/**
 * Structural validation: checks a tree against the schema (schema.ts) and
 * builds the typed value, recording where every field was written. Every
 * problem is collected; invalid values are left out of the result.
 */
import type { FieldOrigin } from "./locations";
import { fieldPath, indexPath, mapKeyPath } from "./paths";
import { Problems } from "./problems";
import { documentSchema, removedFieldHints, type ObjectSchema, type SchemaType } from "./schema";
import { didYouMean } from "./suggest";
import type { Position, TreeEntry, TreeNode, TreeScalar } from "./tree";

/** The largest uid/gid (uint32). */
const MAX_ID = 0xffffffff;

export interface StructuralResult {
  /** The document as a plain object holding only valid values. */
  value: Record<string, unknown>;
  origins: Map<string, FieldOrigin>;
  /** `services[1]` → its `name`, `files[0]` → its `path`, for messages. */
  names: Map<string, string>;
  problems: Problems;
}

/** Validates a whole document tree (undefined: an empty document). */
export function validateStructure(root: TreeNode | undefined, file: string): StructuralResult {
  const origins = new Map<string, FieldOrigin>();
  const names = root === undefined ? new Map<string, string>() : entryNames(root);
  const problems = new Problems(file, origins, (entry) => names.get(entry));
  const walker = new Walker(file, origins, problems);
  let value: Record<string, unknown> = {};
  if (root !== undefined) {
    const converted = walker.convert(root, documentSchema, "", undefined);
    if (isRecord(converted)) value = converted;
  }
  return { value, origins, names, problems };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Names of list entries found in the raw tree, before validation. */
function entryNames(root: TreeNode): Map<string, string> {
  const names = new Map<string, string>();
  if (root.kind !== "map") return names;
  const nameKeys: Record<string, string> = {
    onboot: "name",
    onshutdown: "name",
    services: "name",
    volumes: "name",
    files: "path",
  };
  for (const { key, value } of root.entries) {
    const nameKey = Object.hasOwn(nameKeys, key) ? nameKeys[key] : undefined;
    if (nameKey === undefined || value.kind !== "seq") continue;
    value.items.forEach((item, i) => {
      if (item.kind !== "map") return;
      const name = item.entries.find((e) => e.key === nameKey)?.value;
      if (name?.kind === "scalar" && typeof name.value === "string") {
        names.set(indexPath(key, i), name.value);
      }
    });
  }
  return names;
}

class Walker {
  constructor(
    private readonly file: string,
    private readonly origins: Map<string, FieldOrigin>,
    private readonly problems: Problems,
  ) {}

  /** The typed value of `node`, or undefined when it does not fit `type`. */
  convert(node: TreeNode, type: SchemaType, path: string, keyPos: Position | undefined): unknown {
    this.origins.set(path, { file: this.file, value: node.pos ?? keyPos, key: keyPos });
    switch (type.kind) {
      case "string":
        if (node.kind === "scalar" && typeof node.value === "string") return node.value;
        return this.wrongType(node, type, path);
      case "boolean":
        if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
        return this.wrongType(node, type, path);
      case "integer":
        if (node.kind === "scalar" && Number.isInteger(node.value)) {
          return this.checkLeadingZero(node, path) ? node.value : undefined;
        }
        return this.wrongType(node, type, path);
      case "idOrName":
        if (node.kind === "scalar" && typeof node.value === "string") return node.value;
        if (node.kind === "scalar" && Number.isInteger(node.value)) {
          const id = node.value as number;
          if (id < 0 || id > MAX_ID) {
            this.problems.add({
              field: path,
              message: `id ${id} is out of range`,
              hint: `use an id from 0 to ${MAX_ID}, or the name of a container`,
            });
            return undefined;
          }
          return this.checkLeadingZero(node, path) ? id : undefined;
        }
        return this.wrongType(node, type, path);
      case "array": {
        if (node.kind !== "seq") return this.wrongType(node, type, path);
        // Indexes must keep matching the recorded paths: an invalid object
        // becomes `{}`, and a list with an invalid scalar is left out whole.
        const items = node.items.map((item, i) =>
          this.convert(item, type.items, indexPath(path, i), undefined),
        );
        if (type.items.kind === "object") return items.map((item) => item ?? {});
        return items.includes(undefined) ? undefined : items;
      }
      case "stringMap":
        if (node.kind !== "map") return this.wrongType(node, type, path);
        return this.convertStringMap(node.entries, path);
      case "object":
        if (node.kind !== "map") return this.wrongType(node, type, path);
        return this.convertObject(node.entries, node.pos ?? keyPos, type, path);
    }
  }

  private convertStringMap(entries: TreeEntry[], path: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of entries) {
      const child = mapKeyPath(path, entry.key);
      const value = this.convert(entry.value, { kind: "string" }, child, entry.keyPos);
      // A plain own key whatever its name: assigning `__proto__` would set the prototype instead.
      if (typeof value === "string") {
        Object.defineProperty(out, entry.key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  }

  private convertObject(
    entries: TreeEntry[],
    pos: Position | undefined,
    schema: ObjectSchema,
    path: string,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const allowed = Object.keys(schema.properties);
    for (const entry of entries) {
      const child = fieldPath(path, entry.key);
      // Own fields only: `constructor`, `toString` or `__proto__` are unknown fields, not Object's.
      const type = Object.hasOwn(schema.properties, entry.key)
        ? schema.properties[entry.key]
        : undefined;
      if (type === undefined) {
        this.origins.set(child, { file: this.file, value: entry.value.pos, key: entry.keyPos });
        this.problems.add({
          field: child,
          message: `unknown field \`${entry.key}\` in ${schema.title}`,
          hint:
            removedFieldHints[`${schema.title}/${entry.key}`] ??
            didYouMean(entry.key, allowed) ??
            `valid fields are: ${allowed.join(", ")}`,
          pos: entry.keyPos,
        });
        continue;
      }
      const value = this.convert(entry.value, type, child, entry.keyPos);
      if (value !== undefined) out[entry.key] = value;
    }
    const present = new Set(entries.map((e) => e.key));
    for (const required of schema.required ?? []) {
      if (present.has(required)) continue;
      this.problems.add({
        field: fieldPath(path, required),
        message: `missing required field \`${required}\` in ${schema.title}`,
        hint: requiredHint(schema, required),
        pos,
      });
    }
    return out;
  }

  /**
   * YAML 1.1 (and go-yaml) reads `010` as octal 8, YAML 1.2 as decimal 10:
   * refuse the ambiguity rather than guess.
   */
  private checkLeadingZero(node: TreeScalar, path: string): boolean {
    if (node.plain === undefined || !/^[-+]?0[0-9]+$/.test(node.plain)) return true;
    this.problems.add({
      field: path,
      message: `\`${node.plain}\` is ambiguous (octal in YAML 1.1, decimal in YAML 1.2)`,
      hint: `write it without leading zeros (\`${Number(node.plain)}\`), or as octal with \`0o\` (\`0o${node.plain.replace(/^[-+]?0+/, "")}\`)`,
    });
    return false;
  }

  private wrongType(node: TreeNode, type: SchemaType, path: string): undefined {
    this.problems.add({
      field: path,
      message: `expected ${expectedText(type)}, got ${describe(node)}`,
      hint: typeHint(node, type, lastSegment(path)),
    });
    return undefined;
  }
}

/** The key a path ends with: `binds` for `onboot[0].binds[2]`, the quoted key for maps. */
function lastSegment(path: string): string {
  const quoted = /\[("(?:[^"\\]|\\.)*")\]$/.exec(path);
  if (quoted?.[1] !== undefined) return JSON.parse(quoted[1]) as string;
  const match = /(?:^|\.)([^.[\]]+)(?:\[[^\]]*\])*$/.exec(path);
  return match?.[1] ?? path;
}

function expectedText(type: SchemaType): string {
  switch (type.kind) {
    case "string":
      return "a string";
    case "boolean":
      return "a boolean (true or false)";
    case "integer":
      return "an integer";
    case "idOrName":
      return "an integer id or a container name";
    case "array":
      return `a list of ${plural(type.items)}`;
    case "stringMap":
      return "a mapping of strings to strings";
    case "object":
      return `${type.title} (a mapping)`;
  }
}

function plural(type: SchemaType): string {
  switch (type.kind) {
    case "string":
      return "strings";
    case "idOrName":
      return "ids or container names";
    case "object":
      return `entries (each ${type.title})`;
    default:
      return `${type.kind} values`;
  }
}

function describe(node: TreeNode): string {
  if (node.kind === "seq") return "a list";
  if (node.kind === "map") return "a mapping";
  const v = node.value;
  if (v === null) return "an empty value";
  // A string is quoted only when it is a YAML 1.1 boolean or a number (why it was mistyped):
  // anything else may be a secret (files[].contents, kernel.cmdline), and errors are printed.
  if (typeof v === "string") {
    const telling = v.toLowerCase() in YAML11_BOOLEANS || /^[-+]?[0-9][0-9._]*$/.test(v);
    return telling ? `the string ${JSON.stringify(v)}` : `a string (${v.length} characters)`;
  }
  if (typeof v === "boolean") return `the boolean ${v}`;
  return `the number ${node.plain ?? v}`;
}

const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = {
  yes: true,
  y: true,
  on: true,
  true: true,
  no: false,
  n: false,
  off: false,
  false: false,
};

function typeHint(node: TreeNode, type: SchemaType, key: string): string {
  const scalar = node.kind === "scalar" ? node.value : undefined;
  if (scalar === null) {
    return type.kind === "array"
      ? `write \`${key}: []\` for an empty list, or remove \`${key}\``
      : `give \`${key}\` a value, or remove it`;
  }
  switch (type.kind) {
    case "boolean": {
      const meant = typeof scalar === "string" ? YAML11_BOOLEANS[scalar.toLowerCase()] : undefined;
      if (meant !== undefined) {
        return `LinuxKit reads YAML 1.2, where only unquoted \`true\` and \`false\` are booleans: write \`${key}: ${meant}\``;
      }
      return `write \`${key}: true\` or \`${key}: false\``;
    }
    case "string":
      if (node.kind === "scalar") {
        const text = node.plain ?? String(scalar);
        return key === "mode"
          ? `quote the octal mode: \`mode: "${text.replace(/^0o/, "0")}"\``
          : `quote the value: \`${key}: "${text}"\``;
      }
      return `\`${key}\` takes a single string`;
    case "integer":
      return typeof scalar === "string" && /^-?\d+$/.test(scalar.trim())
        ? `write the number without quotes: \`${key}: ${scalar.trim()}\``
        : `\`${key}\` takes a whole number`;
    case "idOrName":
      return `write a number (\`${key}: 1000\`) or the name of a container (\`${key}: myservice\`)`;
    case "array":
      if (node.kind === "scalar") {
        return `write a list, even for one item: \`${key}: [${JSON.stringify(scalar)}]\``;
      }
      return `write \`${key}\` as a list (\`- item\` lines)`;
    case "stringMap":
      return `write \`${key}\` as \`name: "value"\` lines`;
    case "object":
      if (key === "")
        return "a LinuxKit configuration is a mapping of sections: kernel, init, onboot, services, files, ...";
      return `write \`${key}\` as a mapping of its fields (${Object.keys(type.properties).slice(0, 6).join(", ")}, ...)`;
  }
}

function requiredHint(schema: ObjectSchema, field: string): string {
  if (schema.title === "an image entry") {
    return field === "name"
      ? "every entry needs a `name` (used for its container id and bundle path)"
      : "every entry needs an `image` reference, e.g. `image: linuxkit/getty:<tag>`";
  }
  if (schema.title === "a file entry") {
    return "every file entry needs a `path` in the root filesystem, e.g. `path: etc/motd`";
  }
  return `add \`${field}\``;
}
