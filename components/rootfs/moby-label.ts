/**
 * The `org.mobyproject.config` image label: LinuxKit settings an image
 * ships with (JSON of the image-entry fields other than `name`/`image`).
 */
import { parse as parseYaml } from "yaml";

import { LinuxKitError } from "../errors";
import type { ImageConfigSpec } from "../spec/types";

/** The label LinuxKit reads container settings from. */
export const MOBY_CONFIG_LABEL = "org.mobyproject.config";

/** Checks one value; pushes a problem per thing wrong, naming its path. */
type Check = (value: unknown, path: string, problems: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const scalar =
  (what: string, ok: (v: unknown) => boolean): Check =>
  (v, path, problems) => {
    if (!ok(v)) problems.push(`${path} must be ${what}`);
  };

const str = scalar("a string", (v) => typeof v === "string");
const bool = scalar("a boolean", (v) => typeof v === "boolean");
const int = scalar("an integer", (v) => Number.isSafeInteger(v));
const id = scalar(
  "an integer or a container name",
  (v) => typeof v === "string" || Number.isSafeInteger(v),
);

const list =
  (item: Check): Check =>
  (v, path, problems) => {
    if (!Array.isArray(v)) return void problems.push(`${path} must be a list`);
    v.forEach((x, i) => item(x, `${path}[${i}]`, problems));
  };

const strings = list(str);

const stringMap: Check = (v, path, problems) => {
  if (!isObject(v)) return void problems.push(`${path} must be a map of strings`);
  for (const [k, x] of Object.entries(v)) str(x, `${path}.${k}`, problems);
};

const object =
  (fields: Record<string, Check>, required: readonly string[] = []): Check =>
  (v, path, problems) => {
    if (!isObject(v)) return void problems.push(`${path} must be an object`);
    for (const name of required) {
      if (!(name in v)) problems.push(`${path}.${name} is required`);
    }
    for (const [k, x] of Object.entries(v)) {
      const check = fields[k];
      if (check === undefined) problems.push(`${path}.${k} is not a known field`);
      else check(x, `${path}.${k}`, problems);
    }
  };

const idMappings = list(object({ containerID: int, hostID: int, size: int }));

const mount = object({
  destination: str,
  type: str,
  source: str,
  options: strings,
  uidmappings: idMappings,
  gidmappings: idMappings,
});

const device = object({ path: str, type: str, major: int, minor: int, mode: str }, [
  "path",
  "type",
]);

const runtime = object({
  cgroups: strings,
  mounts: list(mount),
  mkdir: strings,
  interfaces: list(object({ name: str, add: str, peer: str, createInRoot: bool })),
  bindNS: object(
    Object.fromEntries(["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"].map((k) => [k, str])),
  ),
  namespace: str,
});

/** The label's fields and how each is checked (the YAML image entry minus name/image). */
const LABEL_FIELDS: Record<keyof ImageConfigSpec, Check> = {
  capabilities: strings,
  "capabilities.add": strings,
  ambient: strings,
  mounts: list(mount),
  binds: strings,
  "binds.add": strings,
  devices: list(device),
  tmpfs: strings,
  command: strings,
  env: strings,
  cwd: str,
  net: str,
  pid: str,
  ipc: str,
  uts: str,
  userns: str,
  hostname: str,
  readonly: bool,
  maskedPaths: strings,
  readonlyPaths: strings,
  uid: id,
  gid: id,
  additionalGids: list(id),
  noNewPrivileges: bool,
  oomScoreAdj: int,
  rootfsPropagation: str,
  cgroupsPath: str,
  resources: (v, path, problems) => {
    if (!isObject(v)) problems.push(`${path} must be an object`);
  },
  sysctl: stringMap,
  rlimits: strings,
  uidMappings: idMappings,
  gidMappings: idMappings,
  annotations: stringMap,
  runtime,
};

/**
 * Parses and validates the label text. LinuxKit reads it as YAML (JSON is
 * a subset), so flow-style YAML is accepted too. An empty label is no label.
 *
 * @throws LinuxKitError `SPEC_INVALID` naming the image when the text does
 *   not parse, is not an object, sets `name`/`image`, or has an unknown or
 *   mistyped field (every problem is listed).
 */
export function parseMobyLabel(text: string, imageRef: string): ImageConfigSpec | undefined {
  if (text.trim() === "") return undefined;
  const fail = (problem: string, cause?: unknown): LinuxKitError =>
    new LinuxKitError(
      "SPEC_INVALID",
      `image ${imageRef}: invalid ${MOBY_CONFIG_LABEL} label: ${problem}`,
      {
        image: imageRef,
        field: MOBY_CONFIG_LABEL,
        hint: "the label comes from the image; rebuild the image with a valid label, or use another image",
        cause,
      },
    );
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw fail(`not valid JSON: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  if (!isObject(value)) throw fail("it must be a JSON object");
  const problems: string[] = [];
  for (const key of ["name", "image"]) {
    if (key in value) problems.push(`${key} cannot be set in a label`);
  }
  const fields: Record<string, Check> = LABEL_FIELDS;
  for (const [key, v] of Object.entries(value)) {
    if (key === "name" || key === "image") continue;
    const check = fields[key];
    if (check === undefined) problems.push(`${key} is not a known field`);
    else check(v, key, problems);
  }
  if (problems.length > 0) throw fail(problems.join("; "));
  return value as ImageConfigSpec;
}
