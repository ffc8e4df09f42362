/**
 * The formats a configuration's `outputs:` names (moby-era YAML), and the
 * choice between them and formats chosen explicitly.
 */
import type { LinuxKitSpec } from "./types";

/** The format LinuxKit builds when nothing names one. */
export const DEFAULT_FORMATS: readonly string[] = ["kernel+initrd"];

/**
 * The formats in `spec.outputs`, in order with repeats dropped, or
 * undefined when the configuration has no (or an empty) `outputs:`.
 */
export function outputFormats(spec: Pick<LinuxKitSpec, "outputs">): string[] | undefined {
  const formats = [...new Set((spec.outputs ?? []).map((o) => o.format))];
  return formats.length === 0 ? undefined : formats;
}

/** Which formats to build, and where that choice came from. */
export interface FormatChoice {
  formats: string[];
  /** `explicit`: `--format` / `formats`; `outputs`: the YAML; `default`: kernel+initrd. */
  from: "explicit" | "outputs" | "default";
  /** The YAML's `outputs:` formats when an explicit choice replaced them. */
  overridden?: string[];
}

/**
 * An explicit choice (`--format`, the Image's `formats`) wins; else the
 * YAML's `outputs:`; else kernel+initrd.
 * @param explicit the formats chosen explicitly; undefined or empty means none
 */
export function chooseFormats(
  explicit: readonly string[] | undefined,
  spec: Pick<LinuxKitSpec, "outputs">,
): FormatChoice {
  const fromYaml = outputFormats(spec);
  if (explicit !== undefined && explicit.length > 0) {
    const choice: FormatChoice = { formats: [...explicit], from: "explicit" };
    if (fromYaml !== undefined) choice.overridden = fromYaml;
    return choice;
  }
  if (fromYaml !== undefined) return { formats: fromYaml, from: "outputs" };
  return { formats: [...DEFAULT_FORMATS], from: "default" };
}
