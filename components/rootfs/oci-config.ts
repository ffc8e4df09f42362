/**
 * An image entry + its image → the container's config.json (OCI runtime
 * spec) and runtime section, following LinuxKit's `ConfigToOCI`.
 */
import type { ImageEntrySpec } from "../config/types";
import { entryError, type EntryRef } from "./entry-error";
import { goMap, marshalIndent, type GoJson } from "../config/go-json";
import { imageConfigFromDocker, mergeImageConfig } from "./image-config";
import type { ImageInfo } from "./image-info";
import { ociDevicesAndResources } from "./oci-devices";
import { ociMounts, type VolumeInfo } from "./oci-mounts";
import { ociNamespaces } from "./oci-namespaces";
import { ociCapabilities, ociRlimits, ociUser } from "./oci-process";
import { OCI_VERSION, type OciLinux, type OciProcess, type OciSpec } from "./oci-types";
import { runtimeDefaults, type RuntimeJson } from "./runtime-config";

/** What an entry's config may refer to outside itself. */
export interface OciContext {
  /**
   * The uid/gid allocated to the container called `name` (LinuxKit counts
   * from 100 across onboot, onshutdown, then services), or undefined when
   * no container has that name.
   */
  idFor(name: string): number | undefined;
  /** The declared volumes by name; a bind source without a leading `/` names one. */
  volumes: ReadonlyMap<string, VolumeInfo>;
  /** Where the entry is in the YAML, e.g. `onboot[2]`, used in error fields. */
  location?: string;
}

/** A container's generated configuration. */
export interface OciResult {
  /** The OCI runtime spec; write it with {@link serializeOciConfig}. */
  config: OciSpec;
  /** The merged `runtime` section (label < YAML), every member filled. */
  runtime: RuntimeJson;
  /** Whether the root is read-only (image in `rootfs/`, not an overlay). */
  readonly: boolean;
}

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

const nonEmptyMap = (m: Record<string, string> | undefined): Record<string, string> | undefined =>
  m !== undefined && Object.keys(m).length > 0 ? { ...m } : undefined;

/**
 * Builds a container's config.json and runtime section from its YAML entry
 * and its image, as LinuxKit does: settings come from the image config <
 * its `org.mobyproject.config` label < the YAML (see {@link mergeImageConfig}).
 *
 * Defaults: args are the image's Entrypoint+Cmd; env the image's (no PATH
 * is added); cwd `/`; uid/gid 0; no capabilities; mounts /proc, /dev,
 * /dev/pts, /sys, /sys/fs/cgroup; net, ipc, uts, user shared with the host;
 * new pid, mount and cgroup namespaces; no masked or read-only paths.
 *
 * @throws LinuxKitError `SPEC_INVALID` naming the entry (and the field, as a
 *   path under `ctx.location`) for an invalid label, no command, an unknown
 *   capability/rlimit/id name/volume, a malformed bind, tmpfs or mount, a
 *   read-only volume bound read-write, a bad namespace value or device.
 */
export function ociConfig(entry: ImageEntrySpec, image: ImageInfo, ctx: OciContext): OciResult {
  const ref: EntryRef = { name: entry.name, image: entry.image, location: ctx.location };
  const fromImage = imageConfigFromDocker(image);
  const m = mergeImageConfig(entry, fromImage.label);

  const args = m.command ?? fromImage.args;
  if (args.length === 0) {
    throw entryError(
      ref,
      "command",
      `no command: image ${image.ref} sets no Entrypoint or Cmd and the entry sets no command`,
      "set `command:` in the entry",
    );
  }
  const readonly = m.readonly ?? false;
  const process: OciProcess = {
    user: ociUser(ref, m, (name) => ctx.idFor(name)),
    args: [...args],
    env: nonEmpty([...(m.env ?? fromImage.env ?? [])]),
    cwd: m.cwd || fromImage.cwd || "/",
    capabilities: ociCapabilities(ref, m.capabilities, m.ambient),
    rlimits: nonEmpty(ociRlimits(ref, m.rlimits)),
    noNewPrivileges: m.noNewPrivileges ? true : undefined,
    oomScoreAdj: m.oomScoreAdj,
  };
  const { devices, resources } = ociDevicesAndResources(ref, m.devices, m.resources);
  const linux: OciLinux = {
    uidMappings: nonEmpty([...(m.uidMappings ?? [])]),
    gidMappings: nonEmpty([...(m.gidMappings ?? [])]),
    sysctl: nonEmptyMap(m.sysctl),
    resources,
    cgroupsPath: m.cgroupsPath || undefined,
    namespaces: ociNamespaces(ref, m),
    devices,
    rootfsPropagation: m.rootfsPropagation || undefined,
    maskedPaths: nonEmpty([...(m.maskedPaths ?? [])]),
    readonlyPaths: nonEmpty([...(m.readonlyPaths ?? [])]),
  };
  const config: OciSpec = {
    ociVersion: OCI_VERSION,
    process,
    root: { path: "rootfs", readonly: readonly || undefined },
    hostname: m.hostname || undefined,
    mounts: ociMounts(
      ref,
      { readonly, tmpfs: m.tmpfs, binds: m.binds, mounts: m.mounts },
      ctx.volumes,
    ),
    annotations: nonEmptyMap(m.annotations),
    linux,
  };
  return { config: withoutUndefined(config), runtime: runtimeDefaults(m.runtime), readonly };
}

/** Drops `undefined` members (recursively) so the object equals its JSON form. */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  ) as T;
}

/** Go writes maps with sorted keys; these members of config.json are maps. */
function withGoMaps(config: OciSpec): GoJson {
  const resources = { ...config.linux.resources };
  for (const key of ["rdma", "unified"]) {
    const v = resources[key];
    if (typeof v === "object" && v !== null && !Array.isArray(v))
      resources[key] = goMap(v as Record<string, GoJson>);
  }
  const maps = <T extends Record<string, string> | undefined>(m: T) =>
    m === undefined ? undefined : goMap(m);
  return {
    ...config,
    annotations: maps(config.annotations),
    linux: { ...config.linux, sysctl: maps(config.linux.sysctl), resources },
  } as unknown as GoJson;
}

/**
 * The text of config.json, byte-identical to LinuxKit's: Go's
 * `json.MarshalIndent` with 4-space indent, members in Go struct order,
 * map keys sorted, no trailing newline.
 */
export function serializeOciConfig(config: OciSpec): string {
  return marshalIndent(withGoMaps(config));
}
