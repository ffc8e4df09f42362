/**
 * Document-level value rules and normalisation, run after the structural
 * check on the typed (possibly incomplete) document. Rules that need every
 * input file (kernel image present, uid names, volume references, names
 * unique across files) are in merge.ts.
 */
import { checkAndNormalizeFile } from "./files";
import { checkImageEntry, checkImageRef } from "./rules-image";
import { fieldPath, indexPath } from "./paths";
import type { Problems } from "./problems";
import type { LinuxKitSpecFragment } from "./types";
import { didYouMean } from "./suggest";
import {
  OUTPUT_FORMATS,
  PLANNED_OUTPUT_FORMATS,
  VOLUME_FORMATS,
  VOLUME_NAME_RE,
} from "./vocabulary";

export const IMAGE_SECTIONS = ["onboot", "onshutdown", "services"] as const;

/**
 * Checks `spec` (from one file) and normalises it in place: file paths
 * cleaned, sources resolved against `baseDir`, zero defaults filled in for
 * device numbers and id mappings (as LinuxKit's Go structs do).
 */
export function checkDocument(
  spec: LinuxKitSpecFragment,
  baseDir: string,
  problems: Problems,
): void {
  // An empty kernel image just does not override an earlier file's (merge.ts checks one is left).
  const kernelImage = spec.kernel?.image;
  if (kernelImage !== undefined && kernelImage !== "")
    checkImageRef(kernelImage, "kernel.image", problems);
  spec.init.forEach((ref, i) => checkImageRef(ref, indexPath("init", i), problems));
  for (const section of IMAGE_SECTIONS) {
    spec[section].forEach((entry, i) => {
      checkImageEntry(entry, indexPath(section, i), problems);
      fillZeroDefaults(entry);
    });
  }
  checkUniqueWithin(spec.services, "services", "service", problems);
  spec.files.forEach((file, i) =>
    checkAndNormalizeFile(file, indexPath("files", i), baseDir, problems),
  );
  spec.volumes.forEach((volume, i) => {
    const at = indexPath("volumes", i);
    if (volume.name !== undefined && (volume.name === "" || !VOLUME_NAME_RE.test(volume.name))) {
      problems.add({
        field: fieldPath(at, "name"),
        message: `invalid volume name ${JSON.stringify(volume.name)}`,
        hint: "volume names use lower-case letters, digits, `_` and `-` only (and may not be empty)",
      });
    }
    // An empty image means an empty volume, as in LinuxKit.
    if (volume.image !== undefined && volume.image !== "") {
      checkImageRef(volume.image, fieldPath(at, "image"), problems);
    }
    if (
      volume.format !== undefined &&
      volume.format !== "" &&
      !VOLUME_FORMATS.includes(volume.format)
    ) {
      problems.add({
        field: fieldPath(at, "format"),
        message: `unknown volume format ${JSON.stringify(volume.format)}`,
        hint: "use `format: filesystem` (the default: image contents as files) or `format: oci` (an OCI layout)",
      });
    }
  });
  checkUniqueWithin(spec.volumes, "volumes", "volume", problems);
  spec.outputs?.forEach((output, i) => checkOutputFormat(output.format, i, problems));
}

/** `outputs[i].format` must name an implemented output format. */
function checkOutputFormat(format: string | undefined, i: number, problems: Problems): void {
  if (format === undefined || OUTPUT_FORMATS.includes(format)) return; // missing: already reported
  const field = fieldPath(indexPath("outputs", i), "format");
  const available = OUTPUT_FORMATS.join(", ");
  if (PLANNED_OUTPUT_FORMATS.includes(format)) {
    problems.add({
      field,
      message: `output format ${format} is not supported yet`,
      hint: `remove it, or build another format: ${available}`,
    });
    return;
  }
  problems.add({
    field,
    message: `unknown output format ${JSON.stringify(format)}`,
    hint: didYouMean(format, OUTPUT_FORMATS) ?? `valid formats: ${available}`,
  });
}

/** Reports a repeated `name` within one list of one file, at the repeat. */
function checkUniqueWithin(
  list: readonly { name?: string }[],
  section: string,
  what: string,
  problems: Problems,
): void {
  const first = new Map<string, number>();
  list.forEach((entry, i) => {
    if (entry.name === undefined) return;
    const earlier = first.get(entry.name);
    if (earlier === undefined) {
      first.set(entry.name, i);
      return;
    }
    const where = problems.keyPos(fieldPath(indexPath(section, earlier), "name"));
    problems.add({
      code: "SPEC_INVALID",
      field: fieldPath(indexPath(section, i), "name"),
      message: `duplicate ${what} name \`${entry.name}\` (first used by ${section}[${earlier}]${where === undefined ? "" : ` at line ${where.line}`})`,
      hint: `${what} names must be unique; rename one of them`,
    });
  });
}

type Mappable = {
  devices?: { major?: number; minor?: number }[];
  uidMappings?: Partial<Record<"containerID" | "hostID" | "size", number>>[];
  gidMappings?: Partial<Record<"containerID" | "hostID" | "size", number>>[];
};

function fillZeroDefaults(entry: Mappable): void {
  for (const device of entry.devices ?? []) {
    device.major ??= 0;
    device.minor ??= 0;
  }
  for (const mapping of [...(entry.uidMappings ?? []), ...(entry.gidMappings ?? [])]) {
    mapping.containerID ??= 0;
    mapping.hostID ??= 0;
    mapping.size ??= 0;
  }
}
