/**
 * A small positioned tree that both YAML text and plain objects are turned
 * into, so one validator serves both inputs. YAML nodes carry 1-based
 * positions; nodes built from objects carry none.
 */
import {
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node as YamlNode,
} from "yaml";
import { LinuxKitError } from "../errors/errors";

/** A 1-based line and column in the input text. */
export interface Position {
  line: number;
  column: number;
}

export type ScalarValue = string | number | boolean | null;

export interface TreeScalar {
  kind: "scalar";
  value: ScalarValue;
  pos?: Position;
  /** Source text of an unquoted YAML scalar (tells `0644` from `644`). */
  plain?: string;
}

export interface TreeEntry {
  key: string;
  keyPos?: Position;
  value: TreeNode;
}

export interface TreeMap {
  kind: "map";
  entries: TreeEntry[];
  pos?: Position;
}

export interface TreeSeq {
  kind: "seq";
  items: TreeNode[];
  pos?: Position;
}

export type TreeNode = TreeScalar | TreeMap | TreeSeq;

/** What {@link treeFromYaml} and {@link treeFromValue} return. */
export interface TreeResult {
  /** Undefined for an empty document, or when `errors` made it unusable. */
  root?: TreeNode;
  errors: LinuxKitError[];
}

/**
 * YAML options matching LinuxKit's parser (go-yaml v3): YAML 1.2 core
 * schema, so `yes`/`no`/`on`/`off` are strings and only `true`/`false` are
 * booleans; `<<` merge keys are honoured; duplicate keys are errors.
 */
export const yamlOptions = {
  version: "1.2",
  schema: "core",
  merge: true,
  uniqueKeys: true,
} as const;

/** Parses YAML `text` (from `file`) into a tree; syntax errors are SPEC_SYNTAX. */
export function treeFromYaml(text: string, file: string): TreeResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...yamlOptions, lineCounter, prettyErrors: true });
  const at = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((e) => {
        const start = e.linePos?.[0];
        const message =
          e.code === "MULTIPLE_DOCS"
            ? "the file holds more than one YAML document"
            : firstLine(e.message);
        return new LinuxKitError("SPEC_SYNTAX", `YAML syntax error: ${message}`, {
          file,
          line: start?.line,
          column: start?.col,
          hint: syntaxHint(e.code),
        });
      }),
    };
  }
  const converter = new YamlConverter(doc, file, at);
  try {
    const root = doc.contents === null ? undefined : converter.convert(doc.contents);
    return { root, errors: converter.errors };
  } catch (e) {
    if (e instanceof AliasBudgetError) return { errors: [e.error] };
    throw e;
  }
}

/**
 * Values that aliases may expand to in one file. A real configuration that
 * reuses anchors stays far below; an alias bomb ("billion laughs": a few
 * hundred bytes of nested aliases) would expand to billions.
 */
export const MAX_ALIAS_VALUES = 100_000;

/** Stops the conversion of a file whose aliases expand beyond {@link MAX_ALIAS_VALUES}. */
class AliasBudgetError extends Error {
  constructor(readonly error: LinuxKitError) {
    super(error.message);
  }
}

function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}

function syntaxHint(code: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "a key may appear once per mapping: remove or merge the duplicate";
    case "MULTIPLE_DOCS":
      return "one LinuxKit configuration per file: put each document in its own file and pass all files (they are merged in order)";
    case "TAB_AS_INDENT":
      return "indent with spaces, not tabs";
    default:
      return "fix the YAML at this position (check indentation, quotes and brackets)";
  }
}

class YamlConverter {
  readonly errors: LinuxKitError[] = [];
  private readonly active = new Set<unknown>();
  /** Values produced inside aliases so far (see MAX_ALIAS_VALUES). */
  private aliased = 0;

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly at: (offset: number | undefined) => Position | undefined,
  ) {}

  convert(node: unknown, fallback?: Position): TreeNode {
    if (this.active.size > 0 && ++this.aliased > MAX_ALIAS_VALUES) {
      const pos = this.at((node as YamlNode | null)?.range?.[0]) ?? fallback;
      throw new AliasBudgetError(
        new LinuxKitError(
          "SPEC_SYNTAX",
          `YAML aliases expand to more than ${MAX_ALIAS_VALUES} values (an alias bomb?)`,
          {
            file: this.file,
            line: pos?.line,
            column: pos?.column,
            hint: "use fewer nested aliases (*name) or write the values out",
          },
        ),
      );
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      const pos = this.at(node.range?.[0]);
      if (target === undefined || this.active.has(target)) {
        this.fail(`alias *${node.source} does not resolve to a finite value`, pos);
        return { kind: "scalar", value: null, pos };
      }
      this.active.add(target);
      const converted = this.convert(target, pos);
      this.active.delete(target);
      return { ...converted, pos: pos ?? converted.pos };
    }
    const pos = this.at((node as YamlNode | null)?.range?.[0]) ?? fallback;
    if (isScalar(node)) {
      const value = node.value;
      if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
        const scalar: TreeScalar = { kind: "scalar", value: value as ScalarValue, pos };
        if (node.type === "PLAIN" && typeof node.source === "string") scalar.plain = node.source;
        return scalar;
      }
      this.fail(`unsupported YAML value ${String(value)}`, pos);
      return { kind: "scalar", value: null, pos };
    }
    if (isSeq(node)) {
      return { kind: "seq", items: node.items.map((item) => this.convert(item, pos)), pos };
    }
    if (isMap(node)) return this.convertMap(node.items, pos);
    // An empty value (`key:` with nothing after it) is null.
    return { kind: "scalar", value: null, pos };
  }

  private convertMap(pairs: unknown[], pos: Position | undefined): TreeMap {
    const entries: TreeEntry[] = [];
    const merged: TreeEntry[] = [];
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      const keyPos = this.at((keyNode as YamlNode | null)?.range?.[0]) ?? pos;
      if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
        merged.push(...this.mergeSources(pair.value, keyPos));
        continue;
      }
      if (!isScalar(keyNode) || typeof keyNode.value !== "string") {
        this.fail("mapping keys must be strings", keyPos);
        continue;
      }
      entries.push({ key: keyNode.value, keyPos, value: this.convert(pair.value, keyPos) });
    }
    const explicit = new Set(entries.map((e) => e.key));
    for (const entry of merged) {
      if (explicit.has(entry.key)) continue;
      explicit.add(entry.key);
      entries.push(entry);
    }
    return { kind: "map", entries, pos };
  }

  /** The entries a `<<` merge key brings in: one mapping or a list of them. */
  private mergeSources(value: unknown, pos: Position | undefined): TreeEntry[] {
    const source = this.convert(value, pos);
    const maps = source.kind === "seq" ? source.items : [source];
    const entries: TreeEntry[] = [];
    for (const map of maps) {
      if (map.kind !== "map") {
        this.fail("a `<<` merge key needs a mapping or a list of mappings", map.pos ?? pos);
        continue;
      }
      entries.push(...map.entries);
    }
    return entries;
  }

  private fail(message: string, pos: Position | undefined): void {
    this.errors.push(
      new LinuxKitError("SPEC_SYNTAX", message, {
        file: this.file,
        line: pos?.line,
        column: pos?.column,
        hint: "use plain YAML mappings, lists and scalars",
      }),
    );
  }
}

/**
 * Turns a plain JavaScript value into a tree (no positions). `undefined`
 * object properties are treated as absent, as Pulumi inputs often have them.
 */
export function treeFromValue(value: unknown, file: string): TreeResult {
  const errors: LinuxKitError[] = [];
  const active = new Set<object>();
  const convert = (v: unknown, where: string): TreeNode => {
    if (v === null || v === undefined) return { kind: "scalar", value: null };
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
      return { kind: "scalar", value: v };
    }
    if (typeof v === "object" && !active.has(v)) {
      active.add(v);
      try {
        if (Array.isArray(v)) {
          return { kind: "seq", items: v.map((item, i) => convert(item, `${where}[${i}]`)) };
        }
        const proto = Object.getPrototypeOf(v) as unknown;
        if (proto === Object.prototype || proto === null) {
          const entries = Object.entries(v as Record<string, unknown>)
            .filter(([, item]) => item !== undefined)
            .map(([key, item]) => ({ key, value: convert(item, where ? `${where}.${key}` : key) }));
          return { kind: "map", entries };
        }
      } finally {
        active.delete(v);
      }
    }
    errors.push(
      new LinuxKitError("SPEC_INVALID", `${where || "the configuration"}: unsupported value`, {
        file,
        field: where || undefined,
        hint: "use only plain objects, arrays, strings, numbers, booleans and null",
      }),
    );
    return { kind: "scalar", value: null };
  };
  const root = convert(value, "");
  return { root: errors.length > 0 ? undefined : root, errors };
}
