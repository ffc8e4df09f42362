/**
 * Writing a configuration back out: as YAML that parses to the same spec,
 * and as the `files[].metadata` contents LinuxKit puts in the image.
 */
import { dump } from "js-yaml";
import { expandImageRef } from "./image-ref";
import { documentSchema, type SchemaType } from "./schema";
import type { FileSpec, ImageEntrySpec, KernelSpec, LinuxKitSpec, VolumeSpec } from "./types";

/**
 * YAML for `spec`, fields in LinuxKit's order, empty top-level lists left
 * out. Parsing the result gives back an equal spec (strings that YAML
 * would read as something else are quoted).
 */
export function specToYaml(spec: LinuxKitSpec): string {
  const ordered = orderBySchema(spec, documentSchema) as Record<string, unknown>;
  for (const [key, value] of Object.entries(ordered)) {
    if (Array.isArray(value) && value.length === 0) delete ordered[key];
  }
  return dump(ordered, { noRefs: true, lineWidth: -1 });
}

/** Copies `value` with object keys in the schema's order (unknown keys last, as they were). */
function orderBySchema(value: unknown, schema: SchemaType | undefined): unknown {
  if (Array.isArray(value)) {
    return value.map((item) =>
      orderBySchema(item, schema?.kind === "array" ? schema.items : undefined),
    );
  }
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  const properties = schema?.kind === "object" ? schema.properties : {};
  const keys = [
    ...Object.keys(properties).filter((k) => k in record),
    ...Object.keys(record).filter((k) => !(k in properties)),
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (record[key] !== undefined) out[key] = orderBySchema(record[key], properties[key]);
  }
  return out;
}

/** The metadata formats a `files` entry can ask for. */
export type MetadataFormat = "yaml" | "json";

/**
 * The contents LinuxKit writes for a `files` entry with `metadata: yaml`
 * or `metadata: json`: the resolved configuration as its Go structs
 * serialise it. Mirrored: field order; image references of the kernel,
 * init and containers expanded (`nginx` → `docker.io/library/nginx`);
 * `trust` left out; `kernel` always present; `directory` and `optional`
 * always written for files; JSON indented by 4 spaces with empty top-level
 * lists as `null` (Go nil slices); YAML with list items not indented.
 * Not mirrored: `files[].source` is the resolved path, not as written.
 */
export function specMetadata(spec: LinuxKitSpec, format: MetadataFormat): string {
  const kernel = kernelMetadata(spec.kernel);
  const lists = {
    init: spec.init.map(expandImageRef),
    onboot: spec.onboot.map(entryMetadata),
    onshutdown: spec.onshutdown.map(entryMetadata),
    services: spec.services.map(entryMetadata),
    files: spec.files.map(fileMetadata),
    volumes: spec.volumes.map(volumeMetadata),
  };
  if (format === "json") {
    const nullIfEmpty = (list: unknown[]): unknown[] | null => (list.length === 0 ? null : list);
    const doc = {
      kernel,
      ...Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, nullIfEmpty(v)])),
    };
    return JSON.stringify(doc, null, 4);
  }
  return dump({ kernel, ...lists }, { noRefs: true, lineWidth: -1, seqNoIndent: true });
}

function kernelMetadata(kernel: KernelSpec | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {
    image: kernel === undefined ? "" : expandImageRef(kernel.image),
  };
  for (const field of ["cmdline", "binary", "tar", "ucode"] as const) {
    const value = kernel?.[field];
    if (value !== undefined && (value !== "" || field === "tar" || field === "ucode"))
      out[field] = value;
  }
  return out;
}

/** Field order of LinuxKit's Image/ImageConfig structs (differs from the schema's for `hostname`). */
const ENTRY_ORDER: readonly string[] = [
  "name",
  "image",
  "capabilities",
  "capabilities.add",
  "ambient",
  "mounts",
  "binds",
  "binds.add",
  "devices",
  "tmpfs",
  "command",
  "env",
  "cwd",
  "net",
  "pid",
  "ipc",
  "uts",
  "userns",
  "hostname",
  "readonly",
  "maskedPaths",
  "readonlyPaths",
  "uid",
  "gid",
  "additionalGids",
  "noNewPrivileges",
  "oomScoreAdj",
  "rootfsPropagation",
  "cgroupsPath",
  "resources",
  "sysctl",
  "rlimits",
  "uidMappings",
  "gidMappings",
  "annotations",
  "runtime",
];

function entryMetadata(entry: ImageEntrySpec): Record<string, unknown> {
  const record = entry as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ENTRY_ORDER) {
    if (record[key] === undefined) continue;
    out[key] = key === "image" ? expandImageRef(entry.image) : record[key];
  }
  return out;
}

function volumeMetadata(volume: VolumeSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: volume.name };
  if (volume.image !== undefined && volume.image !== "") out.image = volume.image;
  if (volume.readonly === true) out.readonly = true;
  if (volume.format !== undefined && volume.format !== "") out.format = volume.format;
  if (volume.platforms !== undefined && volume.platforms.length > 0)
    out.platforms = volume.platforms;
  return out;
}

function fileMetadata(file: FileSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { path: file.path, directory: file.directory ?? false };
  for (const key of ["symlink", "contents", "source", "metadata"] as const) {
    if (file[key] !== undefined && (file[key] !== "" || key === "contents")) out[key] = file[key];
  }
  out.optional = file.optional ?? false;
  for (const key of ["mode", "uid", "gid"] as const) {
    if (file[key] !== undefined && file[key] !== "") out[key] = file[key];
  }
  return out;
}
