/**
 * LinuxKit's YAML schema as data, mirroring the JSON schema in LinuxKit's
 * `src/cmd/linuxkit/moby/schema.go` (the recent version with `devices`,
 * `binds.add`, `capabilities.add`), plus the top-level `volumes` section
 * (`name`, `image`, `readonly`, `format`, `platforms`) that its `Moby`
 * struct in config.go reads.
 *
 * Every object rejects unknown fields, as upstream's `additionalProperties:
 * false` does. Notable decisions:
 * - `outputs` (a list of `format:` entries) is not in today's LinuxKit
 *   schema but was read by the moby-era tool (2017) that the seed documents
 *   use: accepted, and its formats are built when no format is chosen
 *   explicitly (`--format`, the Image's `formats`).
 * - `runtime.noRestart` existed in older schemas only: rejected.
 * - `mounts[].uidmappings`/`gidmappings` (lower case, as upstream) accepted.
 * Value rules beyond types (octal modes, capability names, ...) are in
 * rules.ts.
 */

export type SchemaType =
  | { readonly kind: "string" }
  | { readonly kind: "boolean" }
  | { readonly kind: "integer" }
  /** uid/gid: an integer or the name of a container. */
  | { readonly kind: "idOrName" }
  | { readonly kind: "array"; readonly items: SchemaType }
  /** A mapping of string to string (`sysctl`, `annotations`). */
  | { readonly kind: "stringMap" }
  | ObjectSchema;

export interface ObjectSchema {
  readonly kind: "object";
  /** What the object is, for messages ("an image entry"). */
  readonly title: string;
  readonly properties: Readonly<Record<string, SchemaType>>;
  readonly required?: readonly string[];
}

const str: SchemaType = { kind: "string" };
const bool: SchemaType = { kind: "boolean" };
const int: SchemaType = { kind: "integer" };
const idOrName: SchemaType = { kind: "idOrName" };
const stringMap: SchemaType = { kind: "stringMap" };
const arrayOf = (items: SchemaType): SchemaType => ({ kind: "array", items });
const strings = arrayOf(str);
const object = (
  title: string,
  properties: Record<string, SchemaType>,
  required?: string[],
): ObjectSchema => ({ kind: "object", title, properties, required });

const idMapping = object("an id mapping", { hostID: int, containerID: int, size: int });

const mount = object("a mount", {
  destination: str,
  type: str,
  source: str,
  options: strings,
  uidmappings: arrayOf(idMapping),
  gidmappings: arrayOf(idMapping),
});

const device = object("a device", { path: str, type: str, major: int, minor: int, mode: str });

const deviceCgroup = object("a device cgroup rule", {
  allow: bool,
  type: str,
  major: int,
  minor: int,
  access: str,
});

const weightDevice = object("a weight device", {
  major: int,
  minor: int,
  weight: int,
  leafWeight: int,
});

const throttleDevice = object("a throttle device", { major: int, minor: int, rate: int });

/** OCI `LinuxResources`, as far as LinuxKit's schema describes it. */
const resources = object("OCI resources", {
  devices: arrayOf(deviceCgroup),
  memory: object("memory resources", {
    limit: int,
    reservation: int,
    swap: int,
    kernel: int,
    kernelTCP: int,
    swappiness: int,
    disableOOMKiller: bool,
  }),
  cpu: object("cpu resources", {
    shares: int,
    quota: int,
    period: int,
    realtimeRuntime: int,
    realtimePeriod: int,
    cpus: str,
    mems: str,
  }),
  pids: object("pids resources", { limit: int }),
  blockio: object("block io resources", {
    weight: int,
    leafWeight: int,
    weightDevice: arrayOf(weightDevice),
    throttleReadBpsDevice: arrayOf(throttleDevice),
    throttleWriteBpsDevice: arrayOf(throttleDevice),
    throttleReadIOPSDevice: arrayOf(throttleDevice),
    throttleWriteIOPSDevice: arrayOf(throttleDevice),
  }),
  hugepageLimits: arrayOf(object("a hugepage limit", { pageSize: int, limit: int })),
  network: object("network resources", {
    classID: int,
    priorities: arrayOf(object("an interface priority", { name: str, priority: int })),
  }),
});

const runtime = object("runtime settings", {
  cgroups: strings,
  mounts: arrayOf(mount),
  mkdir: strings,
  interfaces: arrayOf(
    object("an interface", { name: str, add: str, peer: str, createInRoot: bool }),
  ),
  bindNS: object("namespace bind paths", {
    cgroup: str,
    ipc: str,
    mnt: str,
    net: str,
    pid: str,
    user: str,
    uts: str,
  }),
  namespace: str,
});

/** An entry of `onboot`, `onshutdown` or `services`. */
export const imageEntrySchema = object(
  "an image entry",
  {
    name: str,
    image: str,
    capabilities: strings,
    "capabilities.add": strings,
    ambient: strings,
    mounts: arrayOf(mount),
    binds: strings,
    "binds.add": strings,
    devices: arrayOf(device),
    tmpfs: strings,
    command: strings,
    env: strings,
    cwd: str,
    net: str,
    pid: str,
    ipc: str,
    uts: str,
    userns: str,
    readonly: bool,
    maskedPaths: strings,
    readonlyPaths: strings,
    uid: idOrName,
    gid: idOrName,
    additionalGids: arrayOf(idOrName),
    noNewPrivileges: bool,
    hostname: str,
    oomScoreAdj: int,
    rootfsPropagation: str,
    cgroupsPath: str,
    resources,
    sysctl: stringMap,
    rlimits: strings,
    uidMappings: arrayOf(idMapping),
    gidMappings: arrayOf(idMapping),
    annotations: stringMap,
    runtime,
  },
  ["name", "image"],
);

const images = arrayOf(imageEntrySchema);

export const kernelSchema = object("the kernel section", {
  image: str,
  cmdline: str,
  binary: str,
  tar: str,
  ucode: str,
});

export const fileSchema = object(
  "a file entry",
  {
    path: str,
    directory: bool,
    symlink: str,
    contents: str,
    source: str,
    metadata: str,
    optional: bool,
    mode: str,
    uid: idOrName,
    gid: idOrName,
  },
  ["path"],
);

export const volumeSchema = object(
  "a volume",
  { name: str, image: str, readonly: bool, format: str, platforms: strings },
  ["name"],
);

/** The whole document (fields in the order LinuxKit writes them). */
export const documentSchema = object("a LinuxKit configuration", {
  kernel: kernelSchema,
  init: strings,
  onboot: images,
  onshutdown: images,
  services: images,
  files: arrayOf(fileSchema),
  volumes: arrayOf(volumeSchema),
  trust: object("the trust section", { image: strings, org: strings }),
  outputs: arrayOf(object("an output", { format: str }, ["format"])),
});

/**
 * Hints for fields that are not in the schema but that users plausibly
 * write, keyed by `<object title>/<field>`.
 */
export const removedFieldHints: Readonly<Record<string, string>> = {
  "a LinuxKit configuration/system": "`system` was renamed `onboot`",
  "a LinuxKit configuration/daemon": "`daemon` was renamed `services`",
  "runtime settings/noRestart": "`runtime.noRestart` was removed from LinuxKit: delete it",
};
