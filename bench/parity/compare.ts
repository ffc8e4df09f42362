/**
 * The pure half of the LinuxKit parity check: two root filesystems, as
 * path → entry summaries, compared entry by entry, each difference put
 * down to a cause. No I/O here, so it is unit-tested
 * (test/unit/bench/parity-compare.test.ts).
 */
import { isDeepStrictEqual } from "node:util";

/** What is compared of one path (the last entry of that path in the tar wins, as on extraction). */
export interface EntrySummary {
  /** `file`, `directory`, `symlink`, `character-device`, … (a hard link counts as the file it names). */
  type: string;
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Symlink target. */
  linkname?: string;
  /** sha256 of a file's contents (a hard link: of the file it names). */
  sha256?: string;
  /** `major:minor` of a device. */
  device?: string;
  /** config.json / runtime.json of a bundle, parsed: compared as JSON, not as text. */
  json?: unknown;
}

export type RootfsSummary = ReadonlyMap<string, EntrySummary>;

/** One path whose entries differ. */
export interface EntryDifference {
  path: string;
  /** What differs: `missing in LinuxKit`, `missing in ours`, or the fields (`mode`, `json`, …). */
  fields: string[];
  linuxkit?: EntrySummary;
  ours?: EntrySummary;
}

/** What a cause may know about the YAML besides the two trees. */
export interface CompareContext {
  /** `files:` paths of the YAML (no leading `/`). */
  files: readonly string[];
  /** `volumes:` names of the YAML. */
  volumes: readonly string[];
}

/** A known reason for a difference; `deliberate` ones are listed in README's "Differences from LinuxKit". */
export interface Cause {
  id: string;
  title: string;
  deliberate: boolean;
  matches(d: EntryDifference, ctx: CompareContext): boolean;
}

const FIELDS = ["type", "mode", "uid", "gid", "linkname", "sha256", "device", "json"] as const;

/** The fields in which two summaries differ. */
export function differingFields(a: EntrySummary, b: EntrySummary): string[] {
  return FIELDS.filter((f) => !isDeepStrictEqual(a[f], b[f]));
}

/** Every path whose entries differ, sorted by path. */
export function diffRootfs(linuxkit: RootfsSummary, ours: RootfsSummary): EntryDifference[] {
  const out: EntryDifference[] = [];
  const paths = [...new Set([...linuxkit.keys(), ...ours.keys()])].sort();
  for (const path of paths) {
    const lk = linuxkit.get(path);
    const us = ours.get(path);
    if (lk === undefined) out.push({ path, fields: ["missing in LinuxKit"], ours: us });
    else if (us === undefined) out.push({ path, fields: ["missing in ours"], linuxkit: lk });
    else {
      const fields = differingFields(lk, us);
      if (fields.length > 0) out.push({ path, fields, linuxkit: lk, ours: us });
    }
  }
  return out;
}

const BUNDLE_CONFIG = /^containers\/(onboot|onshutdown|services)\/[^/]+\/config\.json$/;
const BUNDLE_RUNTIME = /^containers\/(onboot|onshutdown|services)\/[^/]+\/runtime\.json$/;
/** The roots images are unpacked at: `/` (init), a bundle's lower/ or rootfs/, a volume's lower/. */
const IMAGE_ROOT =
  /^(containers\/(onboot|onshutdown|services)\/[^/]+\/(lower|rootfs)\/|containers\/volumes\/[^/]+\/lower\/|)/;

function jsonOf(e: EntrySummary | undefined): Record<string, unknown> | undefined {
  const j = e?.json;
  return j !== null && typeof j === "object" ? (j as Record<string, unknown>) : undefined;
}

/** Both sides' config.json, when the path is one and both parsed. */
function configPair(
  d: EntryDifference,
): [Record<string, unknown>, Record<string, unknown>] | undefined {
  if (!BUNDLE_CONFIG.test(d.path)) return undefined;
  const a = jsonOf(d.linuxkit);
  const b = jsonOf(d.ours);
  return a !== undefined && b !== undefined ? [a, b] : undefined;
}

/** LinuxKit's config.json with bare volume names as mount sources replaced by the volumes' merged dirs. */
function withVolumePaths(config: Record<string, unknown>, volumes: readonly string[]): unknown {
  const mounts = config.mounts;
  if (!Array.isArray(mounts)) return config;
  return {
    ...config,
    mounts: mounts.map((m: unknown) => {
      const mount = m as Record<string, unknown>;
      const source = mount.source;
      return typeof source === "string" && volumes.includes(source)
        ? { ...mount, source: `/containers/volumes/${source}/merged` }
        : mount;
    }),
  };
}

function isStrictParent(dir: string, file: string): boolean {
  return file.startsWith(`${dir}/`);
}

/** An image-root-relative path: `etc/mtab` for `containers/services/x/lower/etc/mtab`. */
function inImage(path: string): string | undefined {
  const m = IMAGE_ROOT.exec(path);
  return m === null ? undefined : path.slice(m[0].length);
}

/**
 * The known causes, most specific first; the first that matches takes a
 * difference. What none matches is `other`.
 */
export const CAUSES: readonly Cause[] = [
  {
    id: "oci-version",
    title: "config.json ociVersion",
    deliberate: false,
    matches: (d) => {
      const pair = configPair(d);
      if (pair === undefined) return false;
      const [a, b] = pair;
      return (
        a.ociVersion !== b.ociVersion &&
        isDeepStrictEqual({ ...a, ociVersion: "" }, { ...b, ociVersion: "" })
      );
    },
  },
  {
    id: "mount-volume-name",
    title: "config.json: a `mounts:` bind naming a volume (LinuxKit leaves the name)",
    deliberate: true,
    matches: (d, ctx) => {
      const pair = configPair(d);
      return (
        pair !== undefined && isDeepStrictEqual(withVolumePaths(pair[0], ctx.volumes), pair[1])
      );
    },
  },
  {
    id: "config-json",
    title: "config.json, other",
    deliberate: false,
    matches: (d) => BUNDLE_CONFIG.test(d.path),
  },
  {
    id: "runtime-json",
    title: "runtime.json",
    deliberate: false,
    matches: (d) => BUNDLE_RUNTIME.test(d.path),
  },
  {
    id: "etc-mtab",
    title: "etc/mtab of an image",
    deliberate: false,
    matches: (d) => inImage(d.path) === "etc/mtab",
  },
  {
    id: "volume-resolv-conf",
    title: "etc/resolv.conf of a volume image",
    deliberate: false,
    matches: (d) => /^containers\/volumes\/[^/]+\/lower\/etc\/resolv\.conf$/.test(d.path),
  },
  {
    id: "files-parent-mode",
    title: "mode/owner of a directory above a `files:` entry (LinuxKit rewrites it)",
    deliberate: true,
    matches: (d, ctx) =>
      d.linuxkit?.type === "directory" &&
      d.ours?.type === "directory" &&
      d.fields.every((f) => f === "mode" || f === "uid" || f === "gid") &&
      ctx.files.some((f) => isStrictParent(d.path, f)),
  },
  {
    id: "touched-dir",
    title: "dev, dev/pts, dev/shm, etc, proc, sys of an image",
    deliberate: false,
    matches: (d) =>
      ["dev", "dev/pts", "dev/shm", "etc", "proc", "sys"].includes(inImage(d.path) ?? "-"),
  },
];

export const OTHER: Cause = { id: "other", title: "other", deliberate: false, matches: () => true };

/** The cause of one difference. */
export function causeOf(d: EntryDifference, ctx: CompareContext): Cause {
  return CAUSES.find((c) => c.matches(d, ctx)) ?? OTHER;
}

/** A compared YAML: its differences grouped by cause id. */
export interface YamlComparison {
  differences: EntryDifference[];
  /** cause id → the differences it explains. */
  byCause: Map<string, EntryDifference[]>;
  /** True when every difference is a deliberate one (no differences at all included). */
  sameApartFromDeliberate: boolean;
  /** True when nothing differs. */
  identical: boolean;
}

/** Compares two root filesystems of one YAML and puts each difference down to a cause. */
export function compareRootfs(
  linuxkit: RootfsSummary,
  ours: RootfsSummary,
  ctx: CompareContext,
): YamlComparison {
  const differences = diffRootfs(linuxkit, ours);
  const byCause = new Map<string, EntryDifference[]>();
  let deliberateOnly = true;
  for (const d of differences) {
    const cause = causeOf(d, ctx);
    if (!cause.deliberate) deliberateOnly = false;
    byCause.set(cause.id, [...(byCause.get(cause.id) ?? []), d]);
  }
  return {
    differences,
    byCause,
    sameApartFromDeliberate: deliberateOnly,
    identical: differences.length === 0,
  };
}
