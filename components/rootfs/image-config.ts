/**
 * Where a container's settings come from, lowest precedence first: the
 * image's own config (Entrypoint+Cmd, Env, WorkingDir), the image's
 * `org.mobyproject.config` label, then the YAML entry.
 */
import type { ImageConfigSpec, ImageEntrySpec, RuntimeSpec } from "../config/types";
import { expandCapabilityKeyword } from "./capabilities";
import type { ImageInfo } from "./image-info";
import { MOBY_CONFIG_LABEL, parseMobyLabel } from "./moby-label";

/** The settings an image brings by itself. */
export interface ImageDefaults {
  /** Entrypoint followed by Cmd; empty when the image sets neither. */
  args: string[];
  /** The image's environment; undefined when it sets none. */
  env?: string[];
  /** The image's working directory; undefined or "" when it sets none. */
  cwd?: string;
  /** The validated `org.mobyproject.config` label; undefined when absent or empty. */
  label?: ImageConfigSpec;
}

/**
 * Reads the settings an image brings: its command, environment, working
 * directory and `org.mobyproject.config` label.
 *
 * @throws LinuxKitError `SPEC_INVALID` naming the image when the label is invalid.
 */
export function imageConfigFromDocker(image: ImageInfo): ImageDefaults {
  const labelText = image.labels[MOBY_CONFIG_LABEL];
  const label = labelText === undefined ? undefined : parseMobyLabel(labelText, image.ref);
  return {
    args: [...(image.entrypoint ?? []), ...(image.cmd ?? [])],
    ...(image.env === undefined ? {} : { env: [...image.env] }),
    ...(image.workingDir === undefined ? {} : { cwd: image.workingDir }),
    ...(label === undefined ? {} : { label }),
  };
}

/** `a` then the items of `b` not seen yet, without duplicates, order kept. */
function unique(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * A list and its `.add` extension from one source, folded together; undefined
 * when neither is set. `keywords` expands `all`/`none` first (capabilities).
 */
function withAdd(
  base: readonly string[] | undefined,
  add: readonly string[] | undefined,
  keywords: boolean,
): string[] | undefined {
  if (add === undefined) return base === undefined ? undefined : [...base];
  const expand = (l: readonly string[]): string[] =>
    keywords ? expandCapabilityKeyword(l) : [...l];
  return unique(expand(base ?? []), expand(add));
}

/** LinuxKit treats an empty string in these fields as "not set". */
const EMPTY_IS_UNSET = ["cwd", "net", "pid", "ipc", "uts", "userns", "hostname"] as const;

function mergeRuntime(
  label: RuntimeSpec | undefined,
  yaml: RuntimeSpec | undefined,
): RuntimeSpec | undefined {
  if (label === undefined) return yaml;
  if (yaml === undefined) return label;
  const merged: RuntimeSpec = { ...label, ...defined(yaml) };
  if (label.bindNS !== undefined || yaml.bindNS !== undefined) {
    merged.bindNS = { ...label.bindNS, ...defined(yaml.bindNS ?? {}) };
  }
  return merged;
}

/** The object without its `undefined` members, so spreading it overrides only what is set. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Applies the YAML entry over the image label, as LinuxKit does:
 * - a field set in YAML replaces the label's (lists are not concatenated);
 *   `cwd`, `net`, `pid`, `ipc`, `uts`, `userns`, `hostname` count as unset
 *   when empty;
 * - `binds.add` / `capabilities.add` extend the label's `binds` /
 *   `capabilities` (duplicates dropped), but are ignored when the YAML also
 *   sets plain `binds` / `capabilities`, which replace everything;
 * - `runtime` merges field by field (and `runtime.bindNS` per namespace).
 *
 * The result has no `.add` fields left: they are folded into the lists.
 */
export function mergeImageConfig(
  entry: ImageEntrySpec,
  label: ImageConfigSpec | undefined,
): ImageEntrySpec {
  const base: ImageConfigSpec = label ?? {};
  const merged: ImageEntrySpec = {
    ...base,
    ...defined(entry),
    name: entry.name,
    image: entry.image,
  };
  for (const key of EMPTY_IS_UNSET) {
    if (!entry[key]) {
      if (base[key] === undefined) delete merged[key];
      else merged[key] = base[key];
    }
  }
  const labelBinds = withAdd(base.binds, base["binds.add"], false);
  const labelCaps = withAdd(base.capabilities, base["capabilities.add"], true);
  const binds = entry.binds ?? withAdd(labelBinds, entry["binds.add"], false);
  const capabilities = entry.capabilities ?? withAdd(labelCaps, entry["capabilities.add"], true);
  delete merged["binds.add"];
  delete merged["capabilities.add"];
  delete merged.binds;
  delete merged.capabilities;
  if (binds !== undefined) merged.binds = binds;
  if (capabilities !== undefined) merged.capabilities = capabilities;
  const runtime = mergeRuntime(base.runtime, entry.runtime);
  if (runtime === undefined) delete merged.runtime;
  else merged.runtime = runtime;
  return merged;
}
