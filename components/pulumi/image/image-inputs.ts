import { LinuxKitError, LinuxKitErrors } from "../../errors/errors";
import { chooseFormats, loadSpecFiles, parseSpec, parseSpecObject } from "../../config";
import type { ParsedSpec } from "../../config/parsed";
import type { BuildRequest } from "../../pipeline/pipeline";

export { DEFAULT_OUTPUT_DIR } from "./image-defaults";

/**
 * The Image resource's inputs after `check`: defaults filled. Paths are
 * kept as written; relative ones are relative to the program folder, the
 * provider's working directory (see {@link programDir}).
 */
export interface ImageInputs {
  /** LinuxKit YAML text. */
  configYaml?: string;
  /** LinuxKit YAML files, merged in order. */
  configFiles?: string[];
  /** A LinuxKit configuration as an object. */
  config?: Record<string, unknown>;
  /** Base name of the artifacts. */
  name: string;
  /** Folder under which each content version gets its own subfolder. */
  outputDir: string;
  /** Explicit output formats; undefined: the configuration's `outputs:`, else kernel+initrd. */
  formats?: string[];
  arch: string;
  diskSizeMiB?: number;
  /** gzip level of the initrd (0-9); undefined: the build's default. */
  gzipLevel?: number;
}

/**
 * The program folder: the provider process runs there, as the program
 * does. Relative paths in inputs and outputs are relative to it, and
 * `files[].source` paths of `configYaml`/`config` are read from it.
 */
export function programDir(): string {
  return process.cwd();
}

/** Which input holds the configuration. */
export function configProperty(
  inputs: Pick<ImageInputs, "configYaml" | "configFiles" | "config">,
): keyof ImageInputs {
  if (inputs.configYaml !== undefined) return "configYaml";
  if (inputs.configFiles !== undefined) return "configFiles";
  return "config";
}

/**
 * Parses whichever configuration input is set. User mistakes come back as
 * LinuxKitErrors; the caller turns them into check failures.
 */
export async function parseImageConfig(inputs: ImageInputs): Promise<ParsedSpec> {
  const given = [inputs.configYaml, inputs.configFiles, inputs.config].filter(
    (v) => v !== undefined,
  ).length;
  if (given !== 1) {
    throw new LinuxKitError("USAGE", "set exactly one of configYaml, configFiles or config", {
      hint: "configYaml takes YAML text, configFiles a list of YAML paths, config an object",
    });
  }
  if (inputs.configYaml !== undefined) {
    return parseSpec(inputs.configYaml, `${inputs.name}.yml`, { baseDir: programDir() });
  }
  if (inputs.configFiles !== undefined) {
    // Relative files are read from the program folder and named as written in errors.
    return loadSpecFiles(inputs.configFiles);
  }
  return parseSpecObject(inputs.config, `${inputs.name} (config)`, { baseDir: programDir() });
}

/** The build request for these inputs. */
export function buildRequestFor(inputs: ImageInputs, parsed: ParsedSpec): BuildRequest {
  return {
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: programDir(),
    name: inputs.name,
    outputDir: inputs.outputDir,
    contentAddressed: true,
    formats: chooseFormats(inputs.formats, parsed.spec).formats,
    diskSizeMiB: inputs.diskSizeMiB,
    gzipLevel: inputs.gzipLevel,
  };
}

/** One check failure per problem, each naming the input property. */
export function failuresFrom(e: unknown, property: string): { property: string; reason: string }[] {
  if (e instanceof LinuxKitErrors) return e.errors.map((x) => ({ property, reason: x.describe() }));
  if (e instanceof LinuxKitError) return [{ property, reason: e.describe() }];
  throw e;
}
