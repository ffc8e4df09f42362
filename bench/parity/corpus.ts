/** LinuxKit's own YAML corpus: which files, and what each one names. */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";

/** One YAML of the corpus and what it refers to. */
export interface CorpusYaml {
  /** Absolute path. */
  file: string;
  /** Path relative to the LinuxKit source folder, e.g. `examples/sshd.yml`. */
  label: string;
  /** Image references as written, with the role of their first use. */
  images: Map<string, ImageRole>;
  /** `files:` paths without a leading `/`. */
  files: string[];
  /** `volumes:` names. */
  volumes: string[];
}

/** Where an image is used; decides what its stand-in is made from. */
export type ImageRole = "kernel" | "init" | "container" | "volume";

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith(".yml")) out.push(p);
  }
}

/** `examples/*.yml` and `test/cases/**\/*.yml` of a LinuxKit checkout, sorted. */
export function corpusFiles(linuxkitSrc: string): string[] {
  const out = readdirSync(path.join(linuxkitSrc, "examples"))
    .filter((n) => n.endsWith(".yml"))
    .map((n) => path.join(linuxkitSrc, "examples", n));
  walk(path.join(linuxkitSrc, "test", "cases"), out);
  return out.sort();
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * Reads what a YAML names. A file that is not a LinuxKit document (a
 * package's build.yml, a fragment) still loads: it just names less; the
 * tools decide whether it builds.
 */
export function readCorpusYaml(file: string, linuxkitSrc: string): CorpusYaml {
  const images = new Map<string, ImageRole>();
  const add = (ref: string | undefined, role: ImageRole): void => {
    if (ref !== undefined && !images.has(ref)) images.set(ref, role);
  };
  let doc: unknown;
  try {
    doc = yaml.load(readFileSync(file, "utf8"));
  } catch {
    doc = undefined;
  }
  const d = isObj(doc) ? doc : {};
  if (isObj(d.kernel)) add(str(d.kernel.image), "kernel");
  for (const i of list(d.init)) add(str(i), "init");
  for (const v of list(d.volumes)) if (isObj(v)) add(str(v.image), "volume");
  for (const section of ["onboot", "onshutdown", "services"]) {
    for (const e of list(d[section])) if (isObj(e)) add(str(e.image), "container");
  }
  const files = list(d.files)
    .map((f) => (isObj(f) ? str(f.path) : undefined))
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/^\/+/, ""));
  const volumes = list(d.volumes)
    .map((v) => (isObj(v) ? str(v.name) : undefined))
    .filter((n): n is string => n !== undefined);
  return { file, label: path.relative(linuxkitSrc, file), images, files, volumes };
}
