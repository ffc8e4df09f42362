/**
 * YAML text byte-identical to go-yaml v2's `yaml.Marshal` (gopkg.in/yaml.v2
 * v2.4.0, the version LinuxKit writes `files: metadata: yaml` with), for
 * the values a configuration holds: mappings, sequences, strings,
 * integers, booleans and null.
 *
 * What it reproduces of go-yaml (encode.go, resolve.go, sorter.go) and of
 * the libyaml emitter it ports (emitterc.go):
 * - block style; a sequence inside a mapping is not indented (`key:\n- a`);
 *   empty sequences and mappings as `[]` and `{}`;
 * - a string that would read back as something else (`"true"`, `"0644"`,
 *   `"1"`, `""`, `"~"`, `"2001-01-01"`, `"1:20"`) is double-quoted; one
 *   with a line break is a literal block (`|`, `|-`, `|+`, `|2`); one that
 *   cannot be plain (`: `, ` #`, a leading indicator, leading or trailing
 *   spaces) is single-quoted; one with characters YAML cannot show as they
 *   are is double-quoted with escapes;
 * - lines folded at spaces past column 80 (plain and quoted scalars);
 * - Go map keys sorted as go-yaml sorts them (numbers in keys compared as
 *   numbers, letters after other characters).
 */

/** A value {@link goYamlMarshal} can write. */
export type GoYaml = null | boolean | number | string | GoYamlMap | readonly GoYaml[];

/**
 * A mapping: entries written in the given order (a Go struct's field
 * order). A Go map's keys must be sorted first: {@link goYamlMap}.
 */
export class GoYamlMap {
  constructor(readonly entries: ReadonlyArray<readonly [string, GoYaml]>) {}
}

/** A Go `map[string]T`, keys in go-yaml's order. */
export function goYamlMap(record: Readonly<Record<string, GoYaml>>): GoYamlMap {
  return new GoYamlMap(
    Object.entries(record).sort(([a], [b]) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0)),
  );
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

/** The document go-yaml v2 writes for `value` (ends with a newline). */
export function goYamlMarshal(value: GoYaml): string {
  const out = new Writer();
  emitNode(out, value, -1, { kind: "root" });
  if (out.column !== 0) out.text += "\n";
  return out.text;
}

type Context = { kind: "root" } | { kind: "mapping-value" } | { kind: "sequence-item" };

class Writer {
  text = "";
  column = 0;
  /** True right after a line break or indentation (libyaml's `indention`). */
  indention = true;
  /** True after whitespace (libyaml's `whitespace`). */
  whitespace = true;

  put(s: string): void {
    this.text += s;
    this.column += [...s].length;
  }

  newline(): void {
    this.text += "\n";
    this.column = 0;
  }

  /** libyaml's write_indent. */
  indent(indent: number): void {
    const target = Math.max(indent, 0);
    if (!this.indention || this.column > target || (this.column === target && !this.whitespace))
      this.newline();
    while (this.column < target) this.put(" ");
    this.whitespace = true;
    this.indention = true;
  }
}

function isEmptyCollection(value: GoYaml): boolean {
  return (
    (Array.isArray(value) && value.length === 0) ||
    (value instanceof GoYamlMap && value.entries.length === 0)
  );
}

function isCollection(value: GoYaml): value is GoYamlMap | readonly GoYaml[] {
  return (Array.isArray(value) || value instanceof GoYamlMap) && !isEmptyCollection(value);
}

/**
 * Writes `value` whose parent collection has indentation `indent`
 * (-1 for the document).
 */
function emitNode(out: Writer, value: GoYaml, indent: number, ctx: Context): void {
  if (value instanceof GoYamlMap && value.entries.length > 0) {
    const own = indent < 0 ? 0 : indent + BEST_INDENT;
    value.entries.forEach(([key, item], i) => {
      // the first key of a mapping that is a sequence item goes on the item's line
      if (!(i === 0 && ctx.kind === "sequence-item")) out.indent(own);
      if (isSimpleKey(key)) {
        writeScalar(out, key, own, true);
      } else {
        // a long or multi-line key: `? key` then `: value` on its own line
        out.put("?");
        out.put(" ");
        out.whitespace = true;
        out.indention = true;
        writeScalar(out, key, own, false);
        out.indent(own);
      }
      out.put(":");
      out.whitespace = false;
      out.indention = false;
      if (isCollection(item)) {
        // a sequence in a mapping is not indented
        emitNode(out, item, Array.isArray(item) ? own - BEST_INDENT : own, {
          kind: "mapping-value",
        });
      } else {
        out.put(" ");
        out.whitespace = true;
        writeValue(out, item, own);
      }
    });
    return;
  }
  if (Array.isArray(value) && value.length > 0) {
    const own = indent < 0 ? 0 : indent + BEST_INDENT;
    for (const item of value as readonly GoYaml[]) {
      out.indent(own);
      out.put("-");
      out.put(" ");
      out.whitespace = true;
      out.indention = true;
      if (isCollection(item)) emitNode(out, item, own, { kind: "sequence-item" });
      else writeValue(out, item, own);
    }
    return;
  }
  // a scalar or an empty collection as the whole document
  writeValue(out, value, indent);
}

/** libyaml's yaml_emitter_check_simple_key for a string key: one line, at most 128 bytes. */
function isSimpleKey(key: string): boolean {
  return !analyze(key).multiline && Buffer.byteLength(key, "utf8") <= 128;
}

/** A scalar (or `[]`/`{}`) whose enclosing collection is at `indent`. */
function writeValue(out: Writer, value: GoYaml, indent: number): void {
  if (Array.isArray(value)) out.put("[]");
  else if (value instanceof GoYamlMap) out.put("{}");
  else if (value === null) out.put("null");
  else if (typeof value === "boolean") out.put(value ? "true" : "false");
  else if (typeof value === "number") out.put(String(value));
  else {
    // the string writers leave the flags as libyaml does (a literal block ends on a fresh line)
    writeScalar(out, value as string, indent < 0 ? 0 : indent, false);
    return;
  }
  out.whitespace = false;
  out.indention = false;
}

type Style = "plain" | "single" | "double" | "literal";

/** Writes a string as go-yaml chooses; `indent` is its parent's, continuation lines go 2 further. */
function writeScalar(out: Writer, s: string, parentIndent: number, simpleKey: boolean): void {
  const indent = parentIndent + BEST_INDENT;
  const analysis = analyze(s);
  let style: Style = s.includes("\n") ? "literal" : resolvesAsString(s) ? "plain" : "double";
  if (simpleKey && analysis.multiline) style = "double";
  if (style === "plain") {
    if (!analysis.blockPlainAllowed || (s === "" && simpleKey)) style = "single";
  }
  if (style === "single" && !analysis.singleQuotedAllowed) style = "double";
  if (style === "literal" && (!analysis.blockAllowed || simpleKey)) style = "double";
  const allowBreaks = !simpleKey;
  switch (style) {
    case "plain":
      writePlain(out, s, indent, allowBreaks);
      break;
    case "single":
      writeSingleQuoted(out, s, indent, allowBreaks);
      break;
    case "double":
      writeDoubleQuoted(out, s, indent, allowBreaks);
      break;
    case "literal":
      writeLiteral(out, s, indent);
      break;
  }
}

const isBreak = (c: string | undefined): boolean =>
  c === "\n" || c === "\r" || c === "\u0085" || c === "\u2028" || c === "\u2029";
const isSpace = (c: string | undefined): boolean => c === " ";
const isBlankz = (c: string | undefined): boolean =>
  c === undefined || c === " " || c === "\t" || isBreak(c) || c === "\0";

/**
 * go-yaml's is_printable (narrower than libyaml's: NEL and everything past
 * U+FFFF count as not printable, so such strings are double-quoted with
 * escapes).
 */
function isPrintable(c: string): boolean {
  const x = c.codePointAt(0) ?? 0;
  return (
    x === 0x0a ||
    (x >= 0x20 && x <= 0x7e) ||
    (x >= 0xa0 && x <= 0xd7ff) ||
    (x >= 0xe000 && x <= 0xfffd && x !== 0xfeff)
  );
}

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** libyaml's yaml_emitter_analyze_scalar (block context). */
function analyze(s: string): Analysis {
  const chars = [...s];
  if (chars.length === 0) {
    return {
      multiline: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (s.startsWith("---") || s.startsWith("...")) blockIndicators = true;
  let precededByWhitespace = true;
  chars.forEach((c, i) => {
    const followedByWhitespace = isBlankz(chars[i + 1]);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(c)) blockIndicators = true;
      if ((c === "?" || c === ":") && followedByWhitespace) blockIndicators = true;
      if (c === "-" && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === ":" && followedByWhitespace) blockIndicators = true;
      if (c === "#" && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    const last = i === chars.length - 1;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  });
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || special) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

/** YAML 1.1 words go-yaml v2 reads as booleans, null, infinities and NaN. */
const RESOLVED_WORDS = new Set([
  ...["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"],
  ...["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"],
  ...["", "~", "null", "Null", "NULL"],
  ...[".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF"],
  ...["+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"],
  "<<",
]);
const GO_INT = /^[+-]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$/;

/** Whether go-yaml v2 would read `s`, written plain, back as a string (resolve.go). */
function resolvesAsString(s: string): boolean {
  if (RESOLVED_WORDS.has(s)) return false;
  const first = s[0] ?? "";
  if (first === "+" || first === "-" || (first >= "0" && first <= "9")) {
    if (first >= "0" && first <= "9" && TIMESTAMP.test(s)) return false;
    const plain = s.replace(/_/g, "");
    if (GO_INT.test(plain) || YAML_FLOAT.test(plain)) return false;
    if (/^-?0b[01]+$/.test(plain)) return false;
  } else if (first === "." && /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) {
    return false;
  }
  return !BASE60_FLOAT.test(s);
}

function writePlain(out: Writer, s: string, indent: number, allowBreaks: boolean): void {
  const chars = [...s];
  let spaces = false;
  chars.forEach((c, i) => {
    if (isSpace(c)) {
      if (allowBreaks && !spaces && out.column > BEST_WIDTH && !isSpace(chars[i + 1])) {
        out.indent(indent);
      } else out.put(c);
      spaces = true;
    } else {
      out.put(c);
      out.indention = false;
      spaces = false;
    }
  });
  out.whitespace = false;
  out.indention = false;
}

function writeSingleQuoted(out: Writer, s: string, indent: number, allowBreaks: boolean): void {
  const chars = [...s];
  out.put("'");
  let spaces = false;
  let breaks = false;
  chars.forEach((c, i) => {
    if (isBreak(c)) {
      if (!breaks && c === "\n") out.newline();
      writeBreak(out, c);
      out.indention = true;
      breaks = true;
      return;
    }
    if (breaks) {
      out.indent(indent);
      breaks = false;
    }
    if (isSpace(c)) {
      if (
        allowBreaks &&
        !spaces &&
        out.column > BEST_WIDTH &&
        i !== 0 &&
        i !== chars.length - 1 &&
        !isSpace(chars[i + 1])
      ) {
        out.indent(indent);
      } else out.put(c);
      spaces = true;
    } else {
      if (c === "'") out.put("'");
      out.put(c);
      out.indention = false;
      spaces = false;
    }
  });
  out.put("'");
  out.whitespace = false;
  out.indention = false;
}

const ESCAPES: Readonly<Record<string, string>> = {
  "\0": "0",
  "\x07": "a",
  "\b": "b",
  "\t": "t",
  "\n": "n",
  "\x0b": "v",
  "\f": "f",
  "\r": "r",
  "\x1b": "e",
  '"': '"',
  "\\": "\\",
  "\u0085": "N",
  "\u00a0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

function writeDoubleQuoted(out: Writer, s: string, indent: number, allowBreaks: boolean): void {
  const chars = [...s];
  // go-yaml's is_bom looks at the start of the string, not the character:
  // after a leading U+FEFF every character is escaped
  const escapeAll = s.startsWith("\ufeff");
  out.put('"');
  let spaces = false;
  chars.forEach((c, i) => {
    if (escapeAll || !isPrintable(c) || isBreak(c) || c === '"' || c === "\\") {
      const named = ESCAPES[c];
      if (named !== undefined) out.put(`\\${named}`);
      else {
        const x = c.codePointAt(0) ?? 0;
        const hex = x.toString(16).toUpperCase();
        if (x <= 0xff) out.put(`\\x${hex.padStart(2, "0")}`);
        else if (x <= 0xffff) out.put(`\\u${hex.padStart(4, "0")}`);
        else out.put(`\\U${hex.padStart(8, "0")}`);
      }
      spaces = false;
    } else if (isSpace(c)) {
      if (allowBreaks && !spaces && out.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
        out.indent(indent);
        if (isSpace(chars[i + 1])) out.put("\\");
      } else out.put(c);
      spaces = true;
    } else {
      out.put(c);
      spaces = false;
    }
  });
  out.put('"');
  out.whitespace = false;
  out.indention = false;
}

/** libyaml's write_break: `\n` as a newline, other line breaks as themselves; a new line starts. */
function writeBreak(out: Writer, c: string): void {
  if (c === "\n") out.newline();
  else {
    out.text += c;
    out.column = 0;
  }
}

function writeLiteral(out: Writer, s: string, indent: number): void {
  const chars = [...s];
  let hints = "";
  if (isSpace(chars[0]) || isBreak(chars[0])) hints += String(BEST_INDENT);
  const last = chars[chars.length - 1];
  if (!isBreak(last)) hints += "-";
  else if (chars.length === 1 || isBreak(chars[chars.length - 2])) hints += "+";
  out.put(`|${hints}`);
  out.newline();
  out.indention = true;
  out.whitespace = true;
  let breaks = true;
  for (const c of chars) {
    if (isBreak(c)) {
      writeBreak(out, c);
      out.indention = true;
      breaks = true;
    } else {
      if (breaks) out.indent(indent);
      out.put(c);
      out.indention = false;
      breaks = false;
    }
  }
}

/** go-yaml's sorter.go order for string keys: digit runs compare as numbers, letters sort after other characters. */
export function keyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string): boolean => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined): boolean => c !== undefined && /\p{Nd}/u.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ca = ar[i] as string;
    const cb = br[i] as string;
    if (ca === cb) continue;
    const al = isLetter(ca);
    const bl = isLetter(cb);
    if (al && bl) return ca < cb;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ca === "0" || cb === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== "0") {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ca < cb;
  }
  return ar.length < br.length;
}
