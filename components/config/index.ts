/**
 * LinuxKit YAML → validated, typed configuration, with source locations
 * and a canonical hash. Pure apart from `loadSpecFiles` (reads files).
 *
 * ```ts
 * const { spec, locations } = await loadSpecFiles(["base.yml", "dev.yml"]);
 * locations.imageUses("linuxkit/init:v1.0"); // [{ field: "init[0]", location: {file, line, column} }]
 * canonicalSpecHash(spec); // build cache key
 * ```
 */
export * from "./types";
export type { ParsedSpec, ParsedSpecDocument } from "./parsed";
export {
  parseSpec,
  parseSpecObject,
  parseSpecObjectDocument,
  parseSpecText,
  analyzeObject,
  analyzeText,
  type DocumentResult,
  type ParseOptions,
} from "./parse";
export { loadSpecFiles } from "./load";
export { mergeSpecs, mergeDocuments, type MergeResult } from "./merge";
export { SpecLocations, imageFields, type FieldOrigin, type ImageUse } from "./locations";
export { canonicalJson, canonicalSpecHash } from "./hash";
export { specToYaml } from "./serialize";
export { specMetadata, type MetadataFormat } from "./metadata";
export { FIRST_CONTAINER_ID, resolveContainerIds, resolveId } from "./ids";
export { expandImageRef } from "./image-ref";
export { cleanRootPath, parseOctalMode, type RootPathResult } from "./root-path";
export { fileKinds, resolveSource } from "./files";
export { plainPath } from "./paths";
export { chooseFormats, outputFormats, DEFAULT_FORMATS, type FormatChoice } from "./outputs";
export { yamlOptions, type Position } from "./tree";
