/**
 * The `org.mobyproject.config` image label: LinuxKit settings an image
 * ships with (JSON of the image-entry fields other than `name`/`image`).
 */
import { parse as parseYaml } from "yaml";

import { LinuxKitError } from "../errors/errors";
import { checkImageEntry } from "../config/rules-image";
import { treeFromValue } from "../config/tree";
import type { ImageConfigSpec, ImageEntrySpec } from "../config/types";
import { validateStructure } from "../config/validate";

/** The label LinuxKit reads container settings from. */
export const MOBY_CONFIG_LABEL = "org.mobyproject.config";

/** Stand-in name and image while a label is checked as an image entry. */
const LABEL_ENTRY = "label";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses and validates the label text. LinuxKit reads it as YAML (JSON is
 * a subset), so flow-style YAML is accepted too. An empty label is no label.
 *
 * @throws LinuxKitError `SPEC_INVALID` naming the image when the text does
 *   not parse, is not an object, sets `name`/`image`, or has an unknown or
 *   mistyped field (every problem is listed).
 */
export function parseMobyLabel(text: string, imageRef: string): ImageConfigSpec | undefined {
  if (text.trim() === "") return undefined;
  const fail = (problem: string, cause?: unknown): LinuxKitError =>
    new LinuxKitError(
      "SPEC_INVALID",
      `image ${imageRef}: invalid ${MOBY_CONFIG_LABEL} label: ${problem}`,
      {
        image: imageRef,
        field: MOBY_CONFIG_LABEL,
        hint: "the label comes from the image; rebuild the image with a valid label, or use another image",
        cause,
      },
    );
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw fail(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  if (!isObject(value)) throw fail("it must be a JSON object");
  const problems: string[] = [];
  for (const key of ["name", "image"]) {
    if (key in value) problems.push(`${key} cannot be set in a label`);
  }
  // As LinuxKit does, check the label as the settings of an image entry,
  // with the same schema and rules as the YAML.
  const entry = { ...value, name: LABEL_ENTRY, image: LABEL_ENTRY };
  const structural = validateStructure(
    treeFromValue({ services: [entry] }, MOBY_CONFIG_LABEL).root,
    MOBY_CONFIG_LABEL,
  );
  const services = structural.value.services;
  const converted = Array.isArray(services)
    ? (services[0] as Partial<ImageEntrySpec> | undefined)
    : undefined;
  if (converted !== undefined) checkImageEntry(converted, "services[0]", structural.problems);
  for (const e of structural.problems.errors) {
    const text = e.message.replace(/^services\[0\](?: \([^)]*\))?\.?/, "");
    problems.push(`${text}${e.hint ? ` (${e.hint})` : ""}`);
  }
  if (problems.length > 0) throw fail(problems.join("; "));
  return value as ImageConfigSpec;
}
