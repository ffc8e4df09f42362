/**
 * config.json `linux.devices` and `linux.resources`, which LinuxKit builds
 * together: each device also gets an allow rule in the device cgroup.
 */
import type { DeviceSpec } from "../config/types";
import { entryError, type EntryRef } from "./entry-error";
import type { OciDevice, OciDeviceRule, OciResources } from "./oci-types";

/** Member order of the Go structs under `LinuxResources`, keyed by path ("[]" = list item). */
const RESOURCE_ORDER: Record<string, readonly string[]> = {
  "": [
    "devices",
    "memory",
    "cpu",
    "pids",
    "blockIO",
    "hugepageLimits",
    "network",
    "rdma",
    "unified",
  ],
  "devices[]": ["allow", "type", "major", "minor", "access"],
  memory: [
    "limit",
    "reservation",
    "swap",
    "kernel",
    "kernelTCP",
    "swappiness",
    "disableOOMKiller",
  ].concat(["useHierarchy", "checkBeforeUpdate"]),
  cpu: [
    "shares",
    "quota",
    "burst",
    "period",
    "realtimeRuntime",
    "realtimePeriod",
    "cpus",
    "mems",
    "idle",
  ],
  pids: ["limit"],
  blockIO: [
    "weight",
    "leafWeight",
    "weightDevice",
    "throttleReadBpsDevice",
    "throttleWriteBpsDevice",
  ].concat(["throttleReadIOPSDevice", "throttleWriteIOPSDevice"]),
  "blockIO.weightDevice[]": ["major", "minor", "weight", "leafWeight"],
  "blockIO.throttleReadBpsDevice[]": ["major", "minor", "rate"],
  "blockIO.throttleWriteBpsDevice[]": ["major", "minor", "rate"],
  "blockIO.throttleReadIOPSDevice[]": ["major", "minor", "rate"],
  "blockIO.throttleWriteIOPSDevice[]": ["major", "minor", "rate"],
  "hugepageLimits[]": ["pageSize", "limit"],
  network: ["classID", "priorities"],
  "network.priorities[]": ["name", "priority"],
};

/** A copy of `value` with object members in Go struct order (unknown members last, as written). */
function ordered(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, `${path}[]`));
  if (typeof value !== "object" || value === null) return value;
  const order = RESOURCE_ORDER[path];
  if (order === undefined) return { ...value };
  const record = value as Record<string, unknown>;
  const keys = [
    ...order.filter((k) => k in record),
    ...Object.keys(record).filter((k) => !order.includes(k)),
  ];
  const child = (k: string): string => (path === "" ? k : `${path}.${k}`);
  return Object.fromEntries(keys.map((k) => [k, ordered(record[k], child(k))]));
}

const DEVICE_TYPES = new Set(["c", "b", "u", "p"]);

/**
 * The devices and resources of a container. `resources` is taken as
 * written (members put in OCI order); every device appends an `rwm` allow
 * rule to `resources.devices`. A device with `path: all` adds only a rule
 * allowing every device of its type.
 *
 * @throws LinuxKitError `SPEC_INVALID` for a bad device type or mode.
 */
export function ociDevicesAndResources(
  entry: EntryRef,
  devices: readonly DeviceSpec[] | undefined,
  resources: Readonly<Record<string, unknown>> | undefined,
): { devices?: OciDevice[]; resources: OciResources } {
  const { devices: written, ...rest } = (resources ?? {}) as OciResources;
  const rules: OciDeviceRule[] = [...(written ?? [])];
  const linuxDevices: OciDevice[] = [];
  (devices ?? []).forEach((d, i) => {
    const field = `devices[${i}]`;
    if (d.path === "all") {
      if (!DEVICE_TYPES.has(d.type) && d.type !== "a") {
        throw entryError(entry, `${field}.type`, `device type "${d.type}" is not a, c, b, u or p`);
      }
      rules.push({ allow: true, type: d.type, access: "rwm" });
      return;
    }
    if (!DEVICE_TYPES.has(d.type)) {
      throw entryError(
        entry,
        `${field}.type`,
        `device ${d.path}: type "${d.type}" is not c, b, u or p`,
      );
    }
    const mode = d.mode ?? "";
    if (!/^[0-7]{1,6}$/.test(mode) || parseInt(mode, 8) > 0o7777) {
      throw entryError(
        entry,
        `${field}.mode`,
        `device ${d.path}: cannot parse mode "${mode}" as an octal file mode`,
        'quote an octal string such as "0666"',
      );
    }
    const device: OciDevice = {
      path: d.path,
      type: d.type,
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      fileMode: parseInt(mode, 8),
    };
    linuxDevices.push(device);
    rules.push({
      allow: true,
      type: device.type,
      major: device.major,
      minor: device.minor,
      access: "rwm",
    });
  });
  const out = ordered(rules.length > 0 ? { ...rest, devices: rules } : rest, "") as OciResources;
  return linuxDevices.length > 0 ? { devices: linuxDevices, resources: out } : { resources: out };
}
