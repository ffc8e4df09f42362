/**
 * config.json `linux.namespaces`: which namespaces a container gets.
 */
import { entryError, type EntryRef } from "./entry-error";
import type { OciNamespace } from "./oci-types";

/** The YAML namespace settings (label and YAML already merged). */
export interface NamespaceInputs {
  net?: string;
  ipc?: string;
  uts?: string;
  pid?: string;
  userns?: string;
}

/** YAML field, OCI type, and whether the host's is shared when the field is unset. */
const CONFIGURABLE: ReadonlyArray<readonly [keyof NamespaceInputs, string, boolean]> = [
  ["net", "network", true],
  ["ipc", "ipc", true],
  ["uts", "uts", true],
  ["pid", "pid", false],
  ["userns", "user", true],
];

/**
 * The namespaces, in LinuxKit's order. Each of `net`, `ipc`, `uts`, `pid`,
 * `userns` is `host` (or `root`): share the host's; `new` (or `none`): a
 * fresh one; an absolute path: join that namespace. Unset means host for
 * all but `pid`, which defaults to new. The mount namespace is always new.
 *
 * No cgroup namespace, exactly as LinuxKit's ConfigToOCI ("TODO cgroup
 * namespaces"): a container sees the host's cgroup hierarchy, which
 * services that mount `cgroup` (docker, cadvisor, node_exporter) expect.
 * The YAML has no field that asks for one; `runtime.bindNS.cgroup` only
 * names where init binds the container's (i.e. the host's) cgroup
 * namespace, in runtime.json.
 *
 * @throws LinuxKitError `SPEC_INVALID` for a value that is none of these.
 */
export function ociNamespaces(entry: EntryRef, inputs: NamespaceInputs): OciNamespace[] {
  const namespaces: OciNamespace[] = [];
  for (const [field, type, hostByDefault] of CONFIGURABLE) {
    const value = inputs[field] || (hostByDefault ? "host" : "new");
    if (value === "host" || value === "root") continue;
    if (value === "new" || value === "none") {
      namespaces.push({ type });
    } else if (value.startsWith("/")) {
      namespaces.push({ type, path: value });
    } else {
      throw entryError(
        entry,
        field,
        `${field}: "${value}" is not host, new, none or a namespace path`,
        "use `host`, `new`, or an absolute path such as /run/netns/foo",
      );
    }
  }
  namespaces.push({ type: "mount" });
  return namespaces;
}
