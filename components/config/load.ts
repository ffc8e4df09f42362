/**
 * Reading configuration files from disk: `linuxkit build a.yml b.yml`.
 */
import { readFile } from "node:fs/promises";
import { LinuxKitError } from "../errors/errors";
import { mergeDocuments } from "./merge";
import { analyzeText } from "./parse";
import type { ParsedSpec } from "./parsed";
import { throwIfAny } from "./problems";

/**
 * Reads, validates and merges the YAML files at `paths`, in order. Every
 * problem in every file is reported at once. Relative `files[].source`
 * paths resolve against the directory of the file that wrote them.
 * @throws LinuxKitErrors: USAGE for no paths or a file that cannot be read,
 *   SPEC_SYNTAX / SPEC_INVALID / SPEC_MERGE / PATH_ESCAPE for content
 */
export async function loadSpecFiles(paths: readonly string[]): Promise<ParsedSpec> {
  if (paths.length === 0) {
    throwIfAny([
      new LinuxKitError("USAGE", "no configuration file given", {
        hint: "pass one or more LinuxKit YAML files; later files extend and override earlier ones",
      }),
    ]);
  }
  const texts = await Promise.all(paths.map((file) => readText(file)));
  const readErrors = texts.filter((t): t is LinuxKitError => t instanceof LinuxKitError);
  throwIfAny(readErrors);
  const results = paths.map((file, i) => analyzeText(texts[i] as string, file));
  const { errors: mergeErrors, ...parsed } = mergeDocuments(results.map((r) => r.doc));
  throwIfAny([...results.flatMap((r) => r.errors), ...mergeErrors]);
  return parsed;
}

async function readText(file: string): Promise<string | LinuxKitError> {
  try {
    return await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "does not exist"
        : code === "EISDIR"
          ? "is a directory"
          : code === "EACCES"
            ? "is not readable"
            : "cannot be read";
    return new LinuxKitError("USAGE", `configuration file ${file} ${reason}`, {
      file,
      cause,
      hint: "check the path (relative paths are taken from the current directory) and its permissions",
    });
  }
}
