/**
 * `files` entries: value rules and normalisation.
 *
 * LinuxKit's rules (moby build `filesystem`): an entry writes exactly one
 * thing: a directory, a symlink, inline `contents` (an empty string is an
 * empty file), a host file `source`, or the resolved configuration
 * (`metadata: yaml|json`). An entry with none of them is an error. Where
 * LinuxKit silently prefers one (a directory with a symlink: directory
 * wins), we report the conflict instead.
 *
 * Normalisation: `path` is cleaned (see root-path.ts); `source` has `~/`
 * expanded, and a relative `source` is resolved against the directory of
 * the YAML file. LinuxKit resolves it against the working directory of the
 * `linuxkit` process; resolving against the file is what users expect and
 * makes builds independent of where they are started. The values as
 * written are kept aside ({@link writtenFile}): LinuxKit's `metadata`
 * files show them so.
 */
import os from "node:os";
import path from "node:path";
import { fieldPath } from "./paths";
import type { Problems } from "./problems";
import { cleanRootPath, parseOctalMode } from "./root-path";
import type { FileSpec } from "./types";
import { METADATA_FORMATS } from "./vocabulary";

/** What an entry writes, in LinuxKit's order of precedence. */
const KINDS = ["directory", "symlink", "contents", "source", "metadata"] as const;

/** The content kinds an entry sets (`directory: false` and empty strings, except `contents`, count as unset). */
export function fileKinds(file: Partial<FileSpec>): (typeof KINDS)[number][] {
  return KINDS.filter((kind) => {
    const value = file[kind];
    if (kind === "directory") return value === true;
    if (kind === "contents") return value !== undefined;
    return value !== undefined && value !== "";
  });
}

/** `path` and `source` of each normalised entry as the input wrote them. */
const written = new WeakMap<object, { path?: string; source?: string }>();

/**
 * The `path` and `source` of `file` as its input wrote them (before the
 * leading `/` was stripped and the source resolved), when it came
 * through the parser; empty otherwise.
 */
export function writtenFile(file: Partial<FileSpec>): { path?: string; source?: string } {
  return written.get(file) ?? {};
}

/** Checks the entry at `at` (e.g. `files[3]`) and normalises it in place. */
export function checkAndNormalizeFile(
  file: Partial<FileSpec>,
  at: string,
  baseDir: string,
  problems: Problems,
): void {
  written.set(file, { path: file.path, source: file.source });
  if (file.path !== undefined) {
    const cleaned = cleanRootPath(file.path);
    if (cleaned.kind === "ok") file.path = cleaned.path;
    else if (cleaned.kind === "root") {
      problems.add({
        field: fieldPath(at, "path"),
        message: `${JSON.stringify(file.path)} names the root directory itself`,
        hint: "give a path below the root, e.g. `etc/motd`",
      });
    } else {
      problems.add({
        code: "PATH_ESCAPE",
        field: fieldPath(at, "path"),
        message: `${JSON.stringify(file.path)} leaves the root filesystem (cleans to ${JSON.stringify(cleaned.cleaned)})`,
        hint: "remove the `..` components: paths are relative to the image's root",
      });
    }
  }
  const kinds = fileKinds(file);
  if (kinds.length === 0) {
    problems.add({
      field: at,
      message: "nothing to write: set one of directory, symlink, contents, source, metadata",
      hint: 'write `contents: ""` for an empty file, or `directory: true` for a directory',
    });
  } else if (kinds.length > 1) {
    problems.add({
      field: fieldPath(at, kinds[1] ?? ""),
      message: `\`${kinds.join("` and `")}\` cannot be combined: a file entry writes one thing`,
      hint: `keep only one of \`${kinds.join("`, `")}\`; use separate entries for separate files`,
    });
  }
  if (
    file.metadata !== undefined &&
    file.metadata !== "" &&
    !METADATA_FORMATS.includes(file.metadata)
  ) {
    problems.add({
      field: fieldPath(at, "metadata"),
      message: `unsupported metadata format ${JSON.stringify(file.metadata)}`,
      hint: "use `metadata: yaml` or `metadata: json`",
    });
  }
  if (file.mode !== undefined && file.mode !== "" && parseOctalMode(file.mode) === undefined) {
    problems.add({
      field: fieldPath(at, "mode"),
      message: `invalid mode ${JSON.stringify(file.mode)}`,
      hint: 'write an octal mode of at most 4 digits as a quoted string, e.g. `mode: "0644"` or `mode: "0755"`',
    });
  }
  if (file.source !== undefined && file.source !== "") {
    file.source = resolveSource(file.source, baseDir);
  }
}

/**
 * A host path for `files[].source`: `~/x` → `$HOME/x`; relative paths
 * against `baseDir`; absolute paths unchanged.
 */
export function resolveSource(source: string, baseDir: string): string {
  if (source.startsWith("~/") && source.length > 2) return path.join(os.homedir(), source.slice(2));
  return path.resolve(baseDir, source);
}
