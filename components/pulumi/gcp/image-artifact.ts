/**
 * Picking an artifact of one format out of an Image's outputs, with an
 * error that says how to fix a missing format. Pure.
 */
import path from "node:path";

import { LinuxKitError } from "../../errors/errors";
import type { ImageArtifact } from "../image/image-provider";

/** Throws a `GCP_ARGS` LinuxKitError unless `formats` includes `format`. */
export function requireFormat(formats: readonly string[], format: string, user: string): void {
  if (formats.includes(format)) return;
  throw new LinuxKitError(
    "GCP_ARGS",
    `${user} needs an Image built with the "${format}" format; this Image builds ${formats.map((f) => `"${f}"`).join(", ") || "nothing"}`,
    {
      field: "formats",
      hint: `add "${format}" to the Image's formats, e.g. new Image("...", { formats: ["${format}"], ... })`,
    },
  );
}

/**
 * The artifact of `format` (the first one when it has several), with its
 * path made absolute against the program folder (the Image reports paths
 * relative to it).
 */
export function artifactOf(
  artifacts: readonly ImageArtifact[],
  format: string,
  suffix?: string,
): ImageArtifact {
  const found = artifacts.find(
    (a) => a.format === format && (suffix === undefined || a.path.endsWith(suffix)),
  );
  if (found === undefined)
    throw new LinuxKitError(
      "GCP_ARGS",
      `the Image has no ${format} artifact${suffix === undefined ? "" : ` ending in ${suffix}`}; it reports ${artifacts.map((a) => path.basename(a.path)).join(", ") || "none"}`,
      { field: "formats", hint: `build the Image with the "${format}" format` },
    );
  return { ...found, path: path.resolve(process.cwd(), found.path) };
}
