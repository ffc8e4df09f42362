/**
 * runtime.json: what LinuxKit's init does before starting a container
 * (mount its root filesystem, make cgroups and directories, move network
 * interfaces, bind namespaces). Not part of the OCI spec.
 */
import { posix } from "node:path";

import type { BindNamespacesSpec, InterfaceSpec, MountSpec, RuntimeSpec } from "../config/types";
import { marshalIndent, type GoJson } from "../config/go-json";

/** A runtime section with every member present, as LinuxKit writes it. */
export interface RuntimeJson {
  cgroups: string[];
  mounts: MountSpec[];
  mkdir: string[];
  interfaces: InterfaceSpec[];
  bindNS: Required<BindNamespacesSpec>;
  namespace: string;
}

const BIND_NS_KEYS = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"] as const;

/** Fills every unset member of a (merged) runtime section with its empty value. */
export function runtimeDefaults(runtime: RuntimeSpec = {}): RuntimeJson {
  const bindNS = Object.fromEntries(BIND_NS_KEYS.map((k) => [k, runtime.bindNS?.[k] ?? ""]));
  return {
    cgroups: [...(runtime.cgroups ?? [])],
    mounts: [...(runtime.mounts ?? [])],
    mkdir: [...(runtime.mkdir ?? [])],
    interfaces: [...(runtime.interfaces ?? [])],
    bindNS: bindNS as Required<BindNamespacesSpec>,
    namespace: runtime.namespace ?? "",
  };
}

/** An absolute, clean path for a tar-relative directory (`a/b` or `/a/b/` → `/a/b`). */
function abs(dir: string): string {
  return posix.normalize(`/${dir}`).replace(/\/+$/, "") || "/";
}

function mountJson(m: MountSpec): GoJson {
  const ids = (l: MountSpec["uidmappings"]): GoJson | undefined =>
    l === undefined || l.length === 0
      ? undefined
      : l.map((x) => ({
          containerID: x.containerID ?? 0,
          hostID: x.hostID ?? 0,
          size: x.size ?? 0,
        }));
  return {
    destination: m.destination ?? "",
    type: m.type || undefined,
    source: m.source || undefined,
    options: m.options === undefined || m.options.length === 0 ? undefined : m.options,
    uidMappings: ids(m.uidmappings),
    gidMappings: ids(m.gidmappings),
  };
}

/**
 * The mounts that put a container's image at `<prefix>/rootfs`. Read-write:
 * a tmpfs on `<prefix>/tmp` (remounted private), then an overlay of
 * `root` (lower) and the tmpfs (upper, work). Read-only: a bind of `root`
 * (a mount point even when `root` is the bundle's own rootfs, as runc prefers).
 */
export function rootfsMounts(prefix: string, root: string, readonly: boolean): MountSpec[] {
  const rootfs = `${abs(prefix)}/rootfs`;
  if (readonly) return [{ destination: rootfs, source: abs(root), options: ["bind"] }];
  const tmp = `${abs(prefix)}/tmp`;
  return [
    { destination: tmp, type: "tmpfs", source: "tmpfs" },
    { destination: tmp, options: ["remount", "private"] },
    {
      destination: rootfs,
      type: "overlay",
      source: "overlay",
      options: [`lowerdir=${abs(root)}`, `upperdir=${tmp}/upper`, `workdir=${tmp}/work`],
    },
  ];
}

/**
 * The text of a container's runtime.json, byte-identical to LinuxKit's
 * (Go's `json.MarshalIndent` with 4 spaces): the rootfs mounts of
 * {@link rootfsMounts} followed by the entry's own `runtime.mounts`.
 *
 * @param prefix the bundle directory in the image, e.g. `containers/onboot/000-sysctl`.
 * @param root where the image's files are, e.g. `containers/onboot/000-sysctl/lower`,
 *   or another bundle's directory when the same image was extracted there already.
 * @param readonly whether the container's root is read-only.
 * @param runtime the merged `runtime` section (label < YAML); unset members are empty.
 */
export function runtimeJson(
  prefix: string,
  root: string,
  readonly: boolean,
  runtime?: RuntimeSpec,
): string {
  const r = runtimeDefaults(runtime);
  const value: GoJson = {
    cgroups: r.cgroups,
    mounts: [...rootfsMounts(prefix, root, readonly), ...r.mounts].map(mountJson),
    mkdir: r.mkdir,
    interfaces: r.interfaces.map((i) => ({
      name: i.name || undefined,
      add: i.add || undefined,
      peer: i.peer || undefined,
      createInRoot: i.createInRoot ?? false,
    })),
    bindNS: { ...r.bindNS },
    namespace: r.namespace,
  };
  return marshalIndent(value);
}
