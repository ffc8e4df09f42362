/**
 * Merging several input files into one configuration, as LinuxKit's
 * `AppendConfig` does: each `kernel` field is last-wins on its own (`image`,
 * `cmdline`, `binary` only when non-empty; `tar`, `ucode` whenever set),
 * and every list appends in file order (`init`, `onboot`, `onshutdown`,
 * `services`, `files`, `volumes`, and `trust` lists). `outputs` (moby-era
 * YAML) appends too, dropping a format already listed.
 *
 * Then the rules that need the whole configuration:
 * - service names unique (LinuxKit); volume names unique across files too
 *   (LinuxKit only checks within a file and then loses the first file's
 *   volumes: a bug, not copied). `onboot`/`onshutdown` names may repeat, as
 *   in LinuxKit (their bundle paths carry the index).
 * - a `kernel` section must end up with an `image` (LinuxKit silently
 *   builds without a kernel and drops `cmdline`; we report it).
 * - `uid`/`gid`/`additionalGids` names must name a container (ids.ts).
 * - a bind or `bind` mount whose source has no leading `/` names a volume,
 *   which must exist, and be bound read-only if the volume is `readonly`.
 */
import type { LinuxKitError } from "../errors/errors";
import { resolveContainerIds, resolveId } from "./ids";
import { SpecLocations, type FieldOrigin } from "./locations";
import type { ParsedSpec, ParsedSpecDocument } from "./parsed";
import { fieldPath, indexPath, splitSectionIndex } from "./paths";
import { Problems, throwIfAny } from "./problems";
import { IMAGE_SECTIONS } from "./rules";
import { didYouMean } from "./suggest";
import type {
  ImageEntrySpec,
  KernelSpec,
  LinuxKitSpec,
  LinuxKitSpecFragment,
  VolumeSpec,
} from "./types";

const LISTS = ["init", "onboot", "onshutdown", "services", "files", "volumes"] as const;

/** The result of merging, with problems collected rather than thrown. */
export interface MergeResult extends ParsedSpec {
  errors: LinuxKitError[];
}

/**
 * Merges validated documents in order and checks the whole configuration.
 * @throws LinuxKitErrors listing every problem found
 */
export function mergeSpecs(docs: readonly ParsedSpecDocument[]): ParsedSpec {
  const { errors, ...parsed } = mergeDocuments(docs);
  throwIfAny(errors);
  return parsed;
}

/** {@link mergeSpecs} without throwing: problems are returned in `errors`. */
export function mergeDocuments(docs: readonly ParsedSpecDocument[]): MergeResult {
  const merged: LinuxKitSpecFragment = {
    init: [],
    onboot: [],
    onshutdown: [],
    services: [],
    files: [],
    volumes: [],
  };
  const origins = new Map<string, FieldOrigin>();
  /** For each merged service/volume, the index of the document it came from. */
  const docOf = { services: [] as number[], volumes: [] as number[] };
  docs.forEach((doc, d) => {
    const offsets = Object.fromEntries(LISTS.map((list) => [list, merged[list].length]));
    offsets["trust.image"] = merged.trust?.image?.length ?? 0;
    offsets["trust.org"] = merged.trust?.org?.length ?? 0;
    const wonKernelFields = mergeKernel(merged, doc.spec.kernel);
    for (const list of LISTS) (merged[list] as unknown[]).push(...doc.spec[list]);
    doc.spec.services.forEach(() => docOf.services.push(d));
    doc.spec.volumes.forEach(() => docOf.volumes.push(d));
    mergeTrust(merged, doc.spec);
    const outputIndex = mergeOutputs(merged, doc.spec);
    for (const [path, origin] of doc.locations.entries()) {
      const split = splitSectionIndex(path);
      if (split?.[0] === "outputs") {
        const at = outputIndex[split[1]];
        if (at !== undefined) origins.set(`${indexPath("outputs", at)}${split[2]}`, origin);
      } else if (split !== undefined && offsets[split[0]] !== undefined) {
        origins.set(
          `${indexPath(split[0], split[1] + (offsets[split[0]] ?? 0))}${split[2]}`,
          origin,
        );
      } else if (path.startsWith("kernel.")) {
        if (wonKernelFields.has(path.slice("kernel.".length).split(/[.[]/)[0] ?? ""))
          origins.set(path, origin);
      } else if (path === "kernel" || !origins.has(path)) {
        origins.set(path, origin);
      }
    }
  });
  const names = entryNames(merged);
  const problems = new Problems(docs[0]?.file ?? "<none>", origins, (entry) => names.get(entry));
  const spec: LinuxKitSpec = { ...merged, kernel: undefined };
  if (merged.kernel !== undefined) {
    if (merged.kernel.image === undefined || merged.kernel.image === "") {
      problems.add({
        field: "kernel.image",
        message: "the kernel section has no `image` in any input file",
        hint: "add `image:` under `kernel:` (e.g. `image: linuxkit/kernel:<version>`), or remove the `kernel` section to build without a kernel",
        pos: problems.keyPos("kernel"),
      });
    } else {
      spec.kernel = merged.kernel as KernelSpec;
    }
  }
  checkUniqueAcross(merged.services, docOf.services, "services", "service", problems);
  checkUniqueAcross(merged.volumes, docOf.volumes, "volumes", "volume", problems);
  checkIdNames(merged, problems);
  checkVolumeReferences(merged, problems);
  if (spec.trust === undefined) delete spec.trust;
  if (spec.outputs === undefined) delete spec.outputs;
  if (spec.kernel === undefined) delete spec.kernel;
  return {
    spec,
    files: docs.map((doc) => doc.file),
    locations: new SpecLocations(origins, spec),
    errors: problems.errors,
  };
}

/** Applies `kernel`'s fields over `merged.kernel`; returns the fields that won. */
function mergeKernel(
  merged: LinuxKitSpecFragment,
  kernel: Partial<KernelSpec> | undefined,
): Set<string> {
  const won = new Set<string>();
  if (kernel === undefined) return won;
  const target: Partial<KernelSpec> = (merged.kernel ??= {});
  for (const field of ["image", "cmdline", "binary"] as const) {
    const value = kernel[field];
    if (value !== undefined && value !== "") {
      target[field] = value;
      won.add(field);
    }
  }
  for (const field of ["tar", "ucode"] as const) {
    if (kernel[field] !== undefined) {
      target[field] = kernel[field];
      won.add(field);
    }
  }
  return won;
}

/**
 * Appends `doc.outputs` to `merged.outputs`, skipping formats already
 * there; returns, for each of the document's entries, its merged index
 * (undefined when dropped as a repeat).
 */
function mergeOutputs(
  merged: LinuxKitSpecFragment,
  doc: LinuxKitSpecFragment,
): (number | undefined)[] {
  if (doc.outputs === undefined) return [];
  const outputs = (merged.outputs ??= []);
  return doc.outputs.map((output) => {
    if (outputs.some((o) => o.format === output.format)) return undefined;
    outputs.push(output);
    return outputs.length - 1;
  });
}

function mergeTrust(merged: LinuxKitSpecFragment, doc: LinuxKitSpecFragment): void {
  if (doc.trust === undefined) return;
  const trust = (merged.trust ??= {});
  for (const list of ["image", "org"] as const) {
    const items = doc.trust[list];
    if (items !== undefined) trust[list] = [...(trust[list] ?? []), ...items];
  }
}

function entryNames(spec: LinuxKitSpecFragment): Map<string, string> {
  const names = new Map<string, string>();
  for (const section of [...IMAGE_SECTIONS, "volumes"] as const) {
    spec[section].forEach((entry, i) => names.set(indexPath(section, i), entry.name));
  }
  spec.files.forEach((file, i) => names.set(indexPath("files", i), file.path));
  return names;
}

/** Reports names repeated across documents (repeats within one were reported per document). */
function checkUniqueAcross(
  list: readonly { name: string }[],
  docOf: readonly number[],
  section: string,
  what: string,
  problems: Problems,
): void {
  const first = new Map<string, number>();
  list.forEach((entry, i) => {
    if (typeof entry.name !== "string") return; // missing: already reported
    const earlier = first.get(entry.name);
    if (earlier === undefined) {
      first.set(entry.name, i);
      return;
    }
    if (docOf[earlier] === docOf[i]) return;
    const earlierField = fieldPath(indexPath(section, earlier), "name");
    const where = problems.valuePos(earlierField);
    const file = problems.fileOf(earlierField);
    problems.add({
      code: "SPEC_MERGE",
      field: fieldPath(indexPath(section, i), "name"),
      message: `duplicate ${what} name \`${entry.name}\`: already defined in ${file ?? "an earlier input"}${where === undefined ? "" : `:${where.line}:${where.column}`}`,
      hint: `${what} names must be unique across all input files; rename or remove one of them`,
    });
  });
}

function checkIdNames(spec: LinuxKitSpecFragment, problems: Problems): void {
  const ids = resolveContainerIds(spec);
  const check = (value: number | string | undefined, field: string): void => {
    if (resolveId(value, ids) !== undefined) return;
    const name = String(value);
    problems.add({
      field,
      message: `no container is named \`${name}\``,
      hint: /^\d+$/.test(name)
        ? `write the id as a number, without quotes: \`${name}\``
        : (didYouMean(name, ids.keys()) ??
          "a name refers to the id LinuxKit gives an onboot, onshutdown or service container; use a number for any other id"),
    });
  };
  for (const section of IMAGE_SECTIONS) {
    spec[section].forEach((entry, i) => {
      const at = indexPath(section, i);
      check(entry.uid, fieldPath(at, "uid"));
      check(entry.gid, fieldPath(at, "gid"));
      entry.additionalGids?.forEach((gid, j) =>
        check(gid, indexPath(fieldPath(at, "additionalGids"), j)),
      );
    });
  }
  spec.files.forEach((file, i) => {
    check(file.uid, fieldPath(indexPath("files", i), "uid"));
    check(file.gid, fieldPath(indexPath("files", i), "gid"));
  });
}

function checkVolumeReferences(spec: LinuxKitSpecFragment, problems: Problems): void {
  const volumes = new Map<string, VolumeSpec>(spec.volumes.map((v) => [v.name, v]));
  const check = (source: string, readOnly: boolean, field: string): void => {
    if (source === "" || source.startsWith("/")) return; // empty: reported as unparsable

    const volume = volumes.get(source);
    if (volume === undefined) {
      problems.add({
        field,
        message: `no volume is named \`${source}\``,
        hint:
          didYouMean(source, volumes.keys()) ??
          "a source without a leading `/` names an entry of `volumes`: define it, or write an absolute host path",
      });
    } else if (volume.readonly === true && !readOnly) {
      problems.add({
        field,
        message: `volume \`${source}\` is read-only but is bound read-write`,
        hint: "add the `ro` option (`<volume>:<destination>:ro`), or make the volume writable",
      });
    }
  };
  for (const section of IMAGE_SECTIONS) {
    spec[section].forEach((entry: ImageEntrySpec, i) => {
      const at = indexPath(section, i);
      for (const list of ["binds", "binds.add"] as const) {
        entry[list]?.forEach((bind, j) => {
          const parts = bind.split(":");
          check(parts[0] ?? "", parts[2] === "ro", indexPath(fieldPath(at, list), j));
        });
      }
      entry.mounts?.forEach((mount, j) => {
        if (mount.type !== "bind") return;
        const mode = (mount.options ?? []).find((o) => o === "ro" || o === "rw");
        check(mount.source ?? "", mode === "ro", indexPath(fieldPath(at, "mounts"), j));
      });
    });
  }
}
