/**
 * Value rules for one `onboot`/`onshutdown`/`services` entry, beyond the
 * schema's types. Each mirrors a check LinuxKit makes later (when writing
 * the OCI config) or one runc makes at boot, moved to parse time so the
 * error can point at the YAML line.
 */
import { fieldPath, indexPath } from "./paths";
import type { Problems } from "./problems";
import { parseOctalMode } from "./root-path";
import { closestMatch } from "./suggest";
import type { ImageEntrySpec, MountSpec } from "./types";
import {
  CAPABILITIES,
  CONTAINER_NAME_RE,
  DEFAULT_MOUNTPOINTS,
  DEVICE_TYPES,
  INFERRED_MOUNT_TYPES,
  RLIMITS,
  ROOTFS_PROPAGATIONS,
} from "./vocabulary";

const NAMESPACE_FIELDS = ["net", "pid", "ipc", "uts", "userns"] as const;

/** Checks an image entry at `path` (e.g. `onboot[2]`). */
export function checkImageEntry(
  entry: Partial<ImageEntrySpec>,
  path: string,
  problems: Problems,
): void {
  const at = (field: string): string => fieldPath(path, field);
  if (entry.name !== undefined && !CONTAINER_NAME_RE.test(entry.name)) {
    problems.add({
      field: at("name"),
      message: `invalid name ${JSON.stringify(entry.name)}`,
      hint: "names become container ids and directory names: use letters, digits, `_`, `.`, `+` and `-`, starting with a letter, digit or `_`",
    });
  }
  if (entry.image !== undefined) checkImageRef(entry.image, at("image"), problems);
  for (const field of ["capabilities", "capabilities.add", "ambient"] as const) {
    const list = entry[field];
    if (list !== undefined) checkCapabilities(list, at(field), problems);
  }
  for (const field of ["binds", "binds.add"] as const) {
    entry[field]?.forEach((bind, i) => checkBind(bind, indexPath(at(field), i), problems));
  }
  entry.tmpfs?.forEach((tmpfs, i) => checkTmpfs(tmpfs, indexPath(at("tmpfs"), i), problems));
  entry.mounts?.forEach((mount, i) => checkMount(mount, indexPath(at("mounts"), i), problems));
  for (const field of NAMESPACE_FIELDS) {
    const value = entry[field];
    if (value !== undefined) checkNamespace(value, field, at(field), problems);
  }
  entry.devices?.forEach((device, i) => {
    const devicePath = indexPath(at("devices"), i);
    checkDevice(device as Partial<typeof device>, devicePath, problems);
  });
  entry.rlimits?.forEach((rlimit, i) => checkRlimit(rlimit, indexPath(at("rlimits"), i), problems));
  const propagation = entry.rootfsPropagation;
  if (
    propagation !== undefined &&
    propagation !== "" &&
    !ROOTFS_PROPAGATIONS.includes(propagation)
  ) {
    problems.add({
      field: at("rootfsPropagation"),
      message: `unknown propagation ${JSON.stringify(propagation)}`,
      hint: `use one of ${ROOTFS_PROPAGATIONS.join(", ")}`,
    });
  }
  if (entry.oomScoreAdj !== undefined && Math.abs(entry.oomScoreAdj) > 1000) {
    problems.add({
      field: at("oomScoreAdj"),
      message: `${entry.oomScoreAdj} is out of range`,
      hint: "the kernel accepts -1000 (never kill) to 1000 (kill first)",
    });
  }
}

/** An image reference must be non-empty and free of whitespace. */
export function checkImageRef(ref: string, field: string, problems: Problems): void {
  if (ref !== "" && !/\s/.test(ref)) return;
  problems.add({
    field,
    message:
      ref === "" ? "empty image reference" : `invalid image reference ${JSON.stringify(ref)}`,
    hint: "write a reference like `linuxkit/init:<tag>` or `docker.io/library/alpine:3.20`",
  });
}

function checkCapabilities(list: string[], field: string, problems: Problems): void {
  const only = list.length === 1 ? list[0]?.toLowerCase() : undefined;
  if (only === "all" || only === "none") return;
  list.forEach((cap, i) => {
    if (CAPABILITIES.includes(cap)) return;
    const item = indexPath(field, i);
    if (["all", "none"].includes(cap.toLowerCase())) {
      problems.add({
        field: item,
        message: `\`${cap}\` must be the only entry of the list`,
        hint: `write \`[${cap}]\` alone, or list the capabilities one by one`,
      });
      return;
    }
    const upper = cap.toUpperCase().replace(/-/g, "_");
    const guess = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
    const match = CAPABILITIES.includes(guess) ? guess : closestMatch(guess, CAPABILITIES);
    problems.add({
      field: item,
      message: `unknown capability \`${cap}\``,
      hint:
        match === undefined
          ? "capabilities are written like `CAP_NET_ADMIN` (see capabilities(7)), or `all`/`none` alone"
          : `did you mean \`${match}\`?`,
    });
  });
}

function checkBind(bind: string, field: string, problems: Problems): void {
  const parts = bind.split(":");
  if (parts.length >= 2 && parts.length <= 3 && parts[0] !== "" && parts[1] !== "") return;
  problems.add({
    field,
    message: `cannot parse bind ${JSON.stringify(bind)}`,
    hint: "write `source:destination` or `source:destination:options`, e.g. `/var:/var:rshared,rbind`; a source without `/` names a volume",
  });
}

function checkTmpfs(tmpfs: string, field: string, problems: Problems): void {
  const parts = tmpfs.split(":");
  if (parts.length <= 2 && parts[0] !== "") return;
  problems.add({
    field,
    message: `cannot parse tmpfs ${JSON.stringify(tmpfs)}`,
    hint: "write `destination` or `destination:options`, e.g. `/tmp:size=64m,mode=1777`",
  });
}

function checkMount(mount: MountSpec, field: string, problems: Problems): void {
  let type = mount.type ?? "";
  if (type === "" && INFERRED_MOUNT_TYPES.includes(mount.source ?? "")) type = mount.source ?? "";
  if (type === "" && mount.destination === "/dev") type = "tmpfs";
  if (type === "") {
    problems.add({
      field,
      message: "mount has no `type` and none can be inferred",
      hint: "add `type:` (e.g. `bind`, `tmpfs`, `cgroup`); it is only inferred for proc, sysfs, devpts, cgroup, mqueue sources and `/dev`",
    });
    return;
  }
  const destination = mount.destination || DEFAULT_MOUNTPOINTS[type];
  if (destination === undefined) {
    problems.add({
      field,
      message: `mount of type \`${type}\` has no \`destination\``,
      hint: "add `destination:` with the absolute path inside the container",
    });
  }
}

function checkNamespace(value: string, name: string, field: string, problems: Problems): void {
  const allowed = ["host", "root", "new", ...(name === "net" ? ["none"] : [])];
  if (allowed.includes(value) || value.startsWith("/")) return;
  problems.add({
    field,
    message: `invalid ${name} namespace ${JSON.stringify(value)}`,
    hint: `use \`host\` (share the host's), \`new\`${name === "net" ? ", `none`" : ""} or the absolute path of a namespace to join, e.g. \`/run/netns/${name}\``,
  });
}

function checkDevice(
  device: Partial<{ path: string; type: string; mode: string }>,
  field: string,
  problems: Problems,
): void {
  if (device.path === undefined || device.path === "") {
    problems.add({
      field: fieldPath(field, "path"),
      message: "device has no `path`",
      hint: "add `path: /dev/<name>`, or `path: all` to allow every device of `type`",
    });
    return;
  }
  const all = device.path === "all";
  const types = all ? [...DEVICE_TYPES, "a"] : DEVICE_TYPES;
  if (device.type === undefined || !types.includes(device.type)) {
    problems.add({
      field: device.type === undefined ? field : fieldPath(field, "type"),
      message:
        device.type === undefined
          ? "device has no `type`"
          : `unknown device type ${JSON.stringify(device.type)}`,
      hint: `use one of ${types.join(", ")} (c: character, b: block, u: unbuffered, p: fifo${all ? ", a: all" : ""})`,
    });
  }
  if (all) return;
  if (device.mode === undefined || parseOctalMode(device.mode) === undefined) {
    problems.add({
      field: fieldPath(field, "mode"),
      message:
        device.mode === undefined
          ? "device has no `mode`"
          : `invalid mode ${JSON.stringify(device.mode)}`,
      hint: 'give the device file mode as a quoted octal string, e.g. `mode: "0666"`',
    });
  }
}

const UINT64_MAX = 2n ** 64n - 1n;

function parseLimit(text: string): bigint | undefined {
  const t = text.trim();
  if (t.toLowerCase() === "unlimited") return UINT64_MAX;
  if (!/^\d+$/.test(t)) return undefined;
  const value = BigInt(t);
  return value <= UINT64_MAX ? value : undefined;
}

function checkRlimit(rlimit: string, field: string, problems: Problems): void {
  const parts = rlimit.split(",");
  const fail = (message: string, hint: string): void => problems.add({ field, message, hint });
  const format =
    "write `name,soft,hard`, e.g. `RLIMIT_NOFILE,1024,4096` (limits may be `unlimited`)";
  if (parts.length !== 3) return fail(`cannot parse rlimit ${JSON.stringify(rlimit)}`, format);
  const [rawName, rawSoft, rawHard] = parts as [string, string, string];
  const upper = rawName.trim().toUpperCase();
  const name = upper.startsWith("RLIMIT_") ? upper : `RLIMIT_${upper}`;
  if (!RLIMITS.includes(name)) {
    const match = closestMatch(name, RLIMITS);
    return fail(
      `unknown limit ${JSON.stringify(rawName.trim())}`,
      match === undefined ? `use one of ${RLIMITS.join(", ")}` : `did you mean \`${match}\`?`,
    );
  }
  const soft = parseLimit(rawSoft);
  const hard = parseLimit(rawHard);
  if (soft === undefined || hard === undefined) {
    return fail(`cannot parse the limits in ${JSON.stringify(rlimit)}`, format);
  }
  if (soft > hard) {
    fail(
      "soft limit is above the hard limit",
      "make the soft limit (second value) at most the hard limit (third)",
    );
  }
}
