/**
 * config.json `mounts`: LinuxKit's defaults, then `tmpfs`, `binds` and
 * `mounts` entries (a later one replaces an earlier one at the same
 * destination), all sorted by destination.
 */
import type { IdMappingSpec, MountSpec } from "../config/types";
import { entryError, type EntryRef } from "./entry-error";
import { compareBytes } from "../config/go-json";
import type { OciIdMapping, OciMount } from "./oci-types";

/** A declared volume, as far as mounts care. */
export interface VolumeInfo {
  readonly: boolean;
}

/** What the mounts of one container are made from (label and YAML already merged). */
export interface MountInputs {
  readonly: boolean;
  tmpfs?: readonly string[];
  binds?: readonly string[];
  mounts?: readonly MountSpec[];
}

/** Where a volume's merged view is mounted at boot. */
export function volumeMergedDir(name: string): string {
  return `/containers/volumes/${name}/merged`;
}

/** Mount sources that name their own type when `type` is left out. */
const SELF_TYPED = new Set(["mqueue", "devpts", "proc", "sysfs", "cgroup"]);

/** Where a mount of this type goes when `destination` is left out. */
const DEFAULT_DESTINATION: Record<string, string> = {
  proc: "/proc",
  devpts: "/dev/pts",
  sysfs: "/sys",
  cgroup: "/sys/fs/cgroup",
  mqueue: "/dev/mqueue",
};

/** The mounts every container gets (no /dev/shm, no /dev/mqueue: LinuxKit omits them). */
function defaultMounts(readonly: boolean): OciMount[] {
  const ro = readonly ? ["ro"] : [];
  return [
    {
      destination: "/proc",
      type: "proc",
      source: "proc",
      options: ["nosuid", "nodev", "noexec", "relatime"],
    },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k", ...ro],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
    },
    {
      destination: "/sys",
      type: "sysfs",
      source: "sysfs",
      options: ["nosuid", "noexec", "nodev", ...ro],
    },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
    },
  ];
}

/** True when mount options end up read-only (the last of `ro`/`rw` wins, default rw). */
function isReadOnly(options: readonly string[]): boolean {
  let ro = false;
  for (const o of options) {
    if (o === "ro") ro = true;
    else if (o === "rw") ro = false;
  }
  return ro;
}

function mappings(list: readonly IdMappingSpec[] | undefined): OciIdMapping[] | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.map((m) => ({
    containerID: m.containerID ?? 0,
    hostID: m.hostID ?? 0,
    size: m.size ?? 0,
  }));
}

/** Builds one OCI mount, leaving out empty members as Go's omitempty does. */
function mount(
  destination: string,
  type: string,
  source: string,
  options: readonly string[] | undefined,
  spec?: MountSpec,
): OciMount {
  const m: OciMount = { destination, type, source };
  if (options !== undefined && options.length > 0) m.options = [...options];
  const uid = mappings(spec?.uidmappings);
  const gid = mappings(spec?.gidmappings);
  if (uid) m.uidMappings = uid;
  if (gid) m.gidMappings = gid;
  return m;
}

/**
 * Computes the OCI mounts of a container.
 *
 * A bind source (in `binds` or a `type: bind` mount) without a leading `/`
 * names a volume and becomes {@link volumeMergedDir}. Binding a read-only
 * volume without `ro` is an error.
 *
 * @throws LinuxKitError `SPEC_INVALID` for a malformed tmpfs/bind, a mount
 *   whose type or destination cannot be inferred, an unknown volume, or a
 *   read-only volume bound read-write.
 */
export function ociMounts(
  entry: EntryRef,
  inputs: MountInputs,
  volumes: ReadonlyMap<string, VolumeInfo>,
): OciMount[] {
  const byDestination = new Map<string, OciMount>();
  const add = (m: OciMount): void => void byDestination.set(m.destination, m);
  defaultMounts(inputs.readonly).forEach(add);

  const volumeSource = (
    name: string,
    options: readonly string[],
    field: string,
    what: string,
  ): string => {
    const volume = volumes.get(name);
    if (volume === undefined) {
      throw entryError(
        entry,
        field,
        `${what} uses volume "${name}", which is not declared`,
        "declare it under `volumes:`, or use an absolute host path as the source",
      );
    }
    if (volume.readonly && !isReadOnly(options)) {
      throw entryError(
        entry,
        field,
        `${what} binds read-only volume "${name}" read-write`,
        "add the `ro` option, or make the volume writable",
      );
    }
    return volumeMergedDir(name);
  };

  (inputs.tmpfs ?? []).forEach((t, i) => {
    const parts = t.split(":");
    const field = `tmpfs[${i}]`;
    if (parts.length > 2) {
      throw entryError(
        entry,
        field,
        `cannot parse tmpfs "${t}": too many ':'`,
        "write `dest[:opt,opt]`",
      );
    }
    const [destination = "", opts] = parts;
    if (destination === "") throw entryError(entry, field, `tmpfs "${t}" has no destination`);
    add(mount(destination, "tmpfs", "tmpfs", opts === undefined ? undefined : opts.split(",")));
  });

  (inputs.binds ?? []).forEach((b, i) => {
    const parts = b.split(":");
    const field = `binds[${i}]`;
    const hint = "write `source:destination[:opt,opt]`";
    if (parts.length < 2)
      throw entryError(entry, field, `cannot parse bind "${b}": missing ':'`, hint);
    if (parts.length > 3)
      throw entryError(entry, field, `cannot parse bind "${b}": too many ':'`, hint);
    const [src = "", destination = "", opts] = parts;
    if (destination === "") throw entryError(entry, field, `bind "${b}" has no destination`, hint);
    const options = opts === undefined ? ["rw", "rbind", "rshared"] : [...opts.split(","), "rbind"];
    const source = src.startsWith("/") ? src : volumeSource(src, options, field, `bind "${b}"`);
    add(mount(destination, "bind", source, options));
  });

  (inputs.mounts ?? []).forEach((m, i) => {
    const field = `mounts[${i}]`;
    let type = m.type ?? "";
    if (type === "" && SELF_TYPED.has(m.source ?? "")) type = m.source ?? "";
    if (type === "" && m.destination === "/dev") type = "tmpfs";
    if (type === "") {
      throw entryError(
        entry,
        field,
        `mount for destination ${m.destination ?? "(none)"} is missing type`,
        "set `type:` (e.g. bind, tmpfs, proc)",
      );
    }
    const destination = m.destination || DEFAULT_DESTINATION[type] || "";
    if (destination === "") {
      throw entryError(
        entry,
        field,
        `mount of type ${type} is missing destination`,
        "set `destination:`",
      );
    }
    let source = m.source || type;
    if (type === "bind" && !source.startsWith("/")) {
      if (!m.source) throw entryError(entry, field, `bind mount to ${destination} has no source`);
      source = volumeSource(source, m.options ?? [], field, `mount to ${destination}`);
    }
    add(mount(destination, type, source, m.options, m));
  });

  return [...byDestination.values()].sort((a, b) => compareBytes(a.destination, b.destination));
}
