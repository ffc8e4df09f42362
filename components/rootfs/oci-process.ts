/**
 * config.json `process` pieces: capability sets, rlimits and the user.
 */
import { expandCapabilityKeyword, isCapability, suggestCapability } from "./capabilities";
import { entryError, type EntryRef } from "./entry-error";
import { compareBytes } from "../config/go-json";
import type { OciCapabilities, OciRlimit, OciUser } from "./oci-types";

function checkedCapabilities(entry: EntryRef, field: string, list: readonly string[]): string[] {
  const caps = expandCapabilityKeyword(list);
  caps.forEach((c, i) => {
    if (!isCapability(c)) {
      const suggestion = suggestCapability(c);
      throw entryError(
        entry,
        `${field}[${i}]`,
        `unknown capability: ${c}`,
        suggestion === undefined
          ? "use names such as CAP_NET_ADMIN, or a list of just `all` or `none`"
          : `did you mean ${suggestion}?`,
      );
    }
  });
  return caps;
}

/**
 * The capability sets: effective is the list as written (`all` expands to
 * every capability in kernel order, `none` to nothing); bounding, permitted
 * and inheritable are the list plus `ambient`, sorted; ambient as written.
 * Empty sets are left out.
 *
 * @throws LinuxKitError `SPEC_INVALID` for an unknown capability name.
 */
export function ociCapabilities(
  entry: EntryRef,
  capabilities: readonly string[] | undefined,
  ambient: readonly string[] | undefined,
): OciCapabilities {
  const effective = checkedCapabilities(entry, "capabilities", capabilities ?? []);
  const amb = checkedCapabilities(entry, "ambient", ambient ?? []);
  const bounding = [...new Set([...effective, ...amb])].sort(compareBytes);
  const set = (l: string[]): string[] | undefined => (l.length > 0 ? l : undefined);
  return {
    bounding: set(bounding),
    effective: set(effective),
    inheritable: set([...bounding]),
    permitted: set([...bounding]),
    ambient: set(amb),
  };
}

/** The rlimits runc knows (`RLIMIT_` + name). */
const RLIMITS = new Set(
  ["CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS"]
    .concat(["SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"])
    .map((n) => `RLIMIT_${n}`),
);

const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Parses `rlimits` entries, each `name,soft,hard`: the name in any case,
 * with or without `RLIMIT_`; a limit is a decimal uint64 or `unlimited`.
 *
 * @throws LinuxKitError `SPEC_INVALID` for a malformed entry or unknown name.
 */
export function ociRlimits(entry: EntryRef, rlimits: readonly string[] | undefined): OciRlimit[] {
  return (rlimits ?? []).map((text, i) => {
    const field = `rlimits[${i}]`;
    const hint = "write `name,soft,hard`, e.g. `nofile,1024,4096` or `memlock,unlimited,unlimited`";
    const parts = text.split(",");
    if (parts.length < 3) throw entryError(entry, field, `cannot parse rlimit "${text}"`, hint);
    const [rawName = "", rawSoft = "", ...rest] = parts;
    let type = rawName.trim().toUpperCase();
    if (!type.startsWith("RLIMIT_")) type = `RLIMIT_${type}`;
    const limit = (s: string): bigint => {
      const v = s.trim();
      if (v.toLowerCase() === "unlimited") return UINT64_MAX;
      if (!/^[0-9]+$/.test(v) || BigInt(v) > UINT64_MAX) {
        throw entryError(entry, field, `rlimit "${text}": cannot parse "${v}" as a uint64`, hint);
      }
      return BigInt(v);
    };
    const soft = limit(rawSoft);
    const hard = limit(rest.join(","));
    if (!RLIMITS.has(type)) {
      throw entryError(
        entry,
        field,
        `unknown rlimit: ${rawName.trim()}`,
        `known: ${[...RLIMITS].join(", ")}`,
      );
    }
    return { type, hard, soft };
  });
}

/** The id settings of a container (label and YAML already merged). */
export interface UserInputs {
  uid?: number | string;
  gid?: number | string;
  additionalGids?: ReadonlyArray<number | string>;
}

/**
 * The process user. A number is used as is; `root` or "" is 0; any other
 * string is the name of a container, whose allocated id `idFor` returns.
 * Unset ids are 0.
 *
 * @throws LinuxKitError `SPEC_INVALID` for an unknown name or an id that is
 *   not a whole number in 0..2^32-1.
 */
export function ociUser(
  entry: EntryRef,
  inputs: UserInputs,
  idFor: (name: string) => number | undefined,
): OciUser {
  const numeric = (v: number | string | undefined, field: string): number => {
    if (v === undefined || v === "" || v === "root") return 0;
    const id = typeof v === "number" ? v : idFor(v);
    if (id === undefined) {
      throw entryError(
        entry,
        field,
        `cannot find id: ${v} is not the name of a container`,
        "use a number, `root`, or the name of an onboot, onshutdown or service container",
      );
    }
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw entryError(entry, field, `${String(v)} is not a valid id (0 to 4294967295)`);
    }
    return id;
  };
  const user: OciUser = { uid: numeric(inputs.uid, "uid"), gid: numeric(inputs.gid, "gid") };
  const groups = (inputs.additionalGids ?? []).map((g, i) => numeric(g, `additionalGids[${i}]`));
  if (groups.length > 0) user.additionalGids = groups;
  return user;
}
