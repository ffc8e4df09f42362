/**
 * Parsing one input (YAML text or a plain object) into a validated
 * document, and the one-step forms that also merge.
 */
import path from "node:path";
import type { LinuxKitError } from "../errors/errors";
import { SpecLocations } from "./locations";
import { mergeDocuments } from "./merge";
import type { ParsedSpec, ParsedSpecDocument } from "./parsed";
import { throwIfAny } from "./problems";
import { checkDocument } from "./rules";
import { treeFromValue, treeFromYaml, type TreeResult } from "./tree";
import type { LinuxKitSpecFragment } from "./types";
import { validateStructure } from "./validate";

export interface ParseOptions {
  /**
   * Directory that relative `files[].source` paths are resolved against.
   * Default: the directory of `file` for YAML text, the current working
   * directory for objects.
   */
  baseDir?: string;
}

/** A document and its problems, for callers that collect before throwing. */
export interface DocumentResult {
  doc: ParsedSpecDocument;
  errors: LinuxKitError[];
}

/**
 * Parses and validates one LinuxKit YAML document. `kernel.image` may be
 * left to another file; merge with {@link mergeSpecs} (or use
 * {@link parseSpec}) for a complete configuration.
 * @param text the YAML
 * @param file its name, used in errors and locations (and for `baseDir`)
 * @throws LinuxKitErrors listing every problem in the document
 */
export function parseSpecText(
  text: string,
  file: string,
  options: ParseOptions = {},
): ParsedSpecDocument {
  const { doc, errors } = analyzeText(text, file, options);
  throwIfAny(errors);
  return doc;
}

/**
 * Validates a complete configuration given as a plain object (e.g. Pulumi
 * inputs), with the same rules as YAML; errors name fields but have no
 * line numbers. `undefined` properties count as absent.
 * @param file a label for errors and locations
 * @throws LinuxKitErrors listing every problem
 */
export function parseSpecObject(
  obj: unknown,
  file = "<object>",
  options: ParseOptions = {},
): ParsedSpec {
  const { doc, errors } = analyzeObject(obj, file, options);
  const { errors: mergeErrors, ...parsed } = mergeDocuments([doc]);
  throwIfAny([...errors, ...mergeErrors]);
  return parsed;
}

/**
 * Like {@link parseSpecObject}, but one document to merge with others
 * ({@link mergeSpecs}): `kernel.image` may be left to another document.
 * @throws LinuxKitErrors listing every problem in the document
 */
export function parseSpecObjectDocument(
  obj: unknown,
  file = "<object>",
  options: ParseOptions = {},
): ParsedSpecDocument {
  const { doc, errors } = analyzeObject(obj, file, options);
  throwIfAny(errors);
  return doc;
}

/**
 * Parses one YAML document into a complete configuration (the
 * single-file case of {@link loadSpecFiles}, without reading files).
 * @throws LinuxKitErrors listing every problem
 */
export function parseSpec(text: string, file: string, options: ParseOptions = {}): ParsedSpec {
  const { doc, errors } = analyzeText(text, file, options);
  const { errors: mergeErrors, ...parsed } = mergeDocuments([doc]);
  throwIfAny([...errors, ...mergeErrors]);
  return parsed;
}

/** {@link parseSpecText} without throwing. */
export function analyzeText(
  text: string,
  file: string,
  options: ParseOptions = {},
): DocumentResult {
  return analyzeTree(
    treeFromYaml(text, file),
    file,
    options.baseDir ?? path.dirname(path.resolve(file)),
  );
}

/** {@link parseSpecObjectDocument} without throwing. */
export function analyzeObject(
  obj: unknown,
  file = "<object>",
  options: ParseOptions = {},
): DocumentResult {
  return analyzeTree(treeFromValue(obj, file), file, options.baseDir ?? process.cwd());
}

function analyzeTree(tree: TreeResult, file: string, baseDir: string): DocumentResult {
  const { value, origins, problems } = validateStructure(tree.root, file);
  const spec: LinuxKitSpecFragment = {
    ...value,
    init: (value.init as string[] | undefined) ?? [],
    onboot: (value.onboot as LinuxKitSpecFragment["onboot"] | undefined) ?? [],
    onshutdown: (value.onshutdown as LinuxKitSpecFragment["onshutdown"] | undefined) ?? [],
    services: (value.services as LinuxKitSpecFragment["services"] | undefined) ?? [],
    files: (value.files as LinuxKitSpecFragment["files"] | undefined) ?? [],
    volumes: (value.volumes as LinuxKitSpecFragment["volumes"] | undefined) ?? [],
  };
  checkDocument(spec, baseDir, problems);
  return {
    doc: { file, spec, locations: new SpecLocations(origins, spec) },
    errors: [...tree.errors, ...problems.errors],
  };
}
