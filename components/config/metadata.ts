/**
 * The contents LinuxKit writes for a `files` entry with `metadata: yaml`
 * or `metadata: json`: its `Moby` struct (the merged configuration) as
 * go-yaml v2 `yaml.Marshal` or Go's `json.MarshalIndent(m, "", "    ")`
 * write it (moby/build/build.go `metadata()`), byte for byte.
 *
 * Mirrored: field order and which empty fields are written (`omitempty`
 * on pointers keeps an empty list that was written; top-level lists are
 * `[]` in YAML and `null` in JSON when empty); image references of the
 * kernel, init and containers expanded as LinuxKit's UpdateImages leaves
 * them (volume images as written); `files[].path` and `files[].source` as
 * written (LinuxKit strips a leading `/` and expands `~/` only while
 * building); OCI mounts and id mappings under the lower-case keys go-yaml
 * derives from their Go field names (`destination`, `uidmappings`,
 * `containerid`), with every field written; Go map keys sorted; `trust`
 * and `outputs` left out (the struct has neither); YAML quoting and line
 * folding as go-yaml's emitter does (go-yaml.ts), JSON escapes as Go's.
 *
 * Not mirrored: `resources` is written with the keys as given (LinuxKit
 * writes the OCI struct's lower-cased field names, and cannot read the
 * camel-case keys its own schema documents); `uidMappings` values
 * (LinuxKit's parser drops them, the keys not matching, and writes zeros).
 */
import { marshalIndent, goMap, type GoJson } from "./go-json";
import { writtenFile } from "./files";
import { goYamlMap, goYamlMarshal, GoYamlMap, type GoYaml } from "./go-yaml";
import { expandImageRef } from "./image-ref";
import type {
  FileSpec,
  IdMappingSpec,
  ImageEntrySpec,
  InterfaceSpec,
  KernelSpec,
  LinuxKitSpec,
  MountSpec,
  RuntimeSpec,
  VolumeSpec,
} from "./types";

/** The metadata formats a `files` entry can ask for. */
export type MetadataFormat = "yaml" | "json";

/** A Go value to write in either format: YAML and JSON differ in key names, maps and empties. */
type Value = null | boolean | number | string | Value[] | Struct | GoMapValue;
/** Struct fields in Go order; each is written under its YAML or JSON key. */
class Struct {
  constructor(
    readonly fields: ReadonlyArray<readonly [yamlKey: string, jsonKey: string, value: Value]>,
  ) {}
}
class GoMapValue {
  constructor(readonly record: Readonly<Record<string, string>>) {}
}

/** The metadata file's contents for `spec`. */
export function specMetadata(spec: LinuxKitSpec, format: MetadataFormat): string {
  const yaml = format === "yaml";
  const list = (items: Value[]): Value => (items.length === 0 && !yaml ? null : items);
  const moby = new Struct([
    ["kernel", "kernel", kernel(spec.kernel)],
    ["init", "init", list(spec.init.map(expandImageRef))],
    ["onboot", "onboot", list(spec.onboot.map(entry))],
    ["onshutdown", "onshutdown", list(spec.onshutdown.map(entry))],
    ["services", "services", list(spec.services.map(entry))],
    ["files", "files", list(spec.files.map(file))],
    ["volumes", "volumes", list(spec.volumes.map(volume))],
  ]);
  return yaml ? goYamlMarshal(toYaml(moby)) : marshalIndent(toJson(moby));
}

function toYaml(v: Value): GoYaml {
  if (v instanceof Struct) {
    const kept = v.fields.filter(
      ([, , x]) => !(x instanceof OmitEmptyStruct && x.fields.length === 0),
    );
    return new GoYamlMap(kept.map(([k, , x]) => [k, toYaml(x)] as const));
  }
  if (v instanceof GoMapValue) return goYamlMap(v.record);
  if (Array.isArray(v)) return v.map(toYaml);
  return v;
}

function toJson(v: Value): GoJson {
  if (v instanceof MountValue) {
    // JSON tags: everything but `destination` is omitempty
    const kept = v.fields.filter(
      ([, k, x]) => k === "destination" || !(x === "" || (Array.isArray(x) && x.length === 0)),
    );
    return Object.fromEntries(kept.map(([, k, x]) => [k, toJson(x)]));
  }
  if (v instanceof Struct) return Object.fromEntries(v.fields.map(([, k, x]) => [k, toJson(x)]));
  if (v instanceof GoMapValue) return goMap(v.record);
  if (Array.isArray(v)) return v.map(toJson);
  return v;
}

/** Fields of a struct; `undefined` values are left out (Go `omitempty`, or a nil pointer). */
function struct(fields: ReadonlyArray<readonly [string, Value | undefined, string?]>): Struct {
  return new Struct(
    fields
      .filter((f): f is readonly [string, Value, string?] => f[1] !== undefined)
      .map(([key, value, jsonKey]) => [key, jsonKey ?? key, value] as const),
  );
}

/** A string field with `omitempty`. */
const nonEmpty = (s: string | undefined): string | undefined => (s === "" ? undefined : s);

function kernel(k: KernelSpec | undefined): Struct {
  return struct([
    ["image", k === undefined ? "" : expandImageRef(k.image)],
    ["cmdline", nonEmpty(k?.cmdline)],
    ["binary", nonEmpty(k?.binary)],
    ["tar", k?.tar],
    ["ucode", k?.ucode],
  ]);
}

function idMapping(m: IdMappingSpec): Struct {
  // specs.LinuxIDMapping has JSON tags only: go-yaml lower-cases the field names
  return new Struct([
    ["containerid", "containerID", m.containerID],
    ["hostid", "hostID", m.hostID],
    ["size", "size", m.size],
  ]);
}

/** specs.Mount: no YAML tags, so go-yaml writes every field; JSON omits empty ones. */
class MountValue extends Struct {}
/** A struct field tagged `omitempty`: go-yaml drops it when all its fields are empty; encoding/json never does. */
class OmitEmptyStruct extends Struct {}

function mount(m: MountSpec): Value {
  return new MountValue([
    ["destination", "destination", m.destination ?? ""],
    ["type", "type", m.type ?? ""],
    ["source", "source", m.source ?? ""],
    ["options", "options", m.options ?? []],
    ["uidmappings", "uidMappings", (m.uidmappings ?? []).map(idMapping)],
    ["gidmappings", "gidMappings", (m.gidmappings ?? []).map(idMapping)],
  ]);
}

function strings(list: string[] | undefined): Value | undefined {
  return list === undefined ? undefined : [...list];
}

function entry(e: ImageEntrySpec): Value {
  return struct([
    ["name", e.name],
    ["image", expandImageRef(e.image)],
    ["capabilities", strings(e.capabilities)],
    ["capabilities.add", strings(e["capabilities.add"])],
    ["ambient", strings(e.ambient)],
    ["mounts", e.mounts?.map(mount)],
    ["binds", strings(e.binds)],
    ["binds.add", strings(e["binds.add"])],
    [
      "devices",
      e.devices?.map((d) =>
        struct([
          ["path", d.path],
          ["type", d.type],
          ["major", d.major],
          ["minor", d.minor],
          ["mode", nonEmpty(d.mode)],
        ]),
      ),
    ],
    ["tmpfs", strings(e.tmpfs)],
    ["command", strings(e.command)],
    ["env", strings(e.env)],
    ["cwd", nonEmpty(e.cwd)],
    ["net", nonEmpty(e.net)],
    ["pid", nonEmpty(e.pid)],
    ["ipc", nonEmpty(e.ipc)],
    ["uts", nonEmpty(e.uts)],
    ["userns", nonEmpty(e.userns)],
    ["hostname", nonEmpty(e.hostname)],
    ["readonly", e.readonly],
    ["maskedPaths", strings(e.maskedPaths)],
    ["readonlyPaths", strings(e.readonlyPaths)],
    ["uid", e.uid],
    ["gid", e.gid],
    ["additionalGids", e.additionalGids?.map((g) => g)],
    ["noNewPrivileges", e.noNewPrivileges],
    ["oomScoreAdj", e.oomScoreAdj],
    ["rootfsPropagation", e.rootfsPropagation],
    ["cgroupsPath", e.cgroupsPath],
    ["resources", e.resources === undefined ? undefined : passThrough(e.resources)],
    ["sysctl", e.sysctl === undefined ? undefined : new GoMapValue(e.sysctl)],
    ["rlimits", strings(e.rlimits)],
    ["uidMappings", e.uidMappings?.map(idMapping)],
    ["gidMappings", e.gidMappings?.map(idMapping)],
    ["annotations", e.annotations === undefined ? undefined : new GoMapValue(e.annotations)],
    ["runtime", e.runtime === undefined ? undefined : runtime(e.runtime)],
  ]);
}

function passThrough(v: unknown): Value {
  if (Array.isArray(v)) return v.map(passThrough);
  if (typeof v === "object" && v !== null) {
    return struct(Object.entries(v).map(([k, x]) => [k, passThrough(x)] as const));
  }
  return v as Value;
}

function runtime(r: RuntimeSpec): Value {
  const ns = r.bindNS ?? {};
  const bindNS = new OmitEmptyStruct(
    struct(
      (["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"] as const).map(
        (k) => [k, ns[k]] as const,
      ),
    ).fields,
  );
  return struct([
    ["cgroups", strings(r.cgroups)],
    ["mounts", r.mounts?.map(mount)],
    ["mkdir", strings(r.mkdir)],
    ["interfaces", r.interfaces?.map(iface)],
    ["bindNS", bindNS],
    ["namespace", r.namespace],
  ]);
}

function iface(i: InterfaceSpec): Value {
  return struct([
    ["name", nonEmpty(i.name)],
    ["add", nonEmpty(i.add)],
    ["peer", nonEmpty(i.peer)],
    ["createInRoot", i.createInRoot ?? false],
  ]);
}

function file(f: FileSpec): Value {
  const written = writtenFile(f);
  return struct([
    ["path", written.path ?? f.path],
    ["directory", f.directory ?? false],
    ["symlink", nonEmpty(f.symlink)],
    ["contents", f.contents],
    ["source", nonEmpty(written.source ?? f.source)],
    ["metadata", nonEmpty(f.metadata)],
    ["optional", f.optional ?? false],
    ["mode", nonEmpty(f.mode)],
    ["uid", f.uid],
    ["gid", f.gid],
  ]);
}

function volume(v: VolumeSpec): Value {
  return struct([
    ["name", v.name],
    ["image", nonEmpty(v.image)],
    ["readonly", v.readonly === true ? true : undefined],
    ["format", nonEmpty(v.format)],
    [
      "platforms",
      v.platforms !== undefined && v.platforms.length > 0 ? [...v.platforms] : undefined,
    ],
  ]);
}
