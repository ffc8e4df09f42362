/**
 * Dynamically linked binaries of another architecture, from an unpacked
 * Debian tree: `ldd` cannot run them, so the shared libraries come from
 * the ELF headers (`readelf`: the program interpreter and each DT_NEEDED
 * name, recursively), looked up in the tree's multiarch library folders.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import { Layout } from "./layout";

/** Library folders searched, in order, relative to the tree (Debian's multiarch layout). */
export function libraryDirs(triplet: string): string[] {
  return [`lib/${triplet}`, `usr/lib/${triplet}`, "lib", "usr/lib"];
}

/**
 * The host path of `p` (absolute inside the tree at `root`), following
 * symbolic links inside the tree: an absolute link target is read against
 * `root`, never against this machine's `/`. Undefined when missing.
 */
export function resolveInTree(root: string, p: string): string | undefined {
  let current = path.posix.normalize(`/${p}`);
  for (let hops = 0; hops < 40; hops++) {
    const hostPath = path.join(root, current);
    let st;
    try {
      st = lstatSync(hostPath);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) return hostPath;
    const target = readlinkSync(hostPath);
    current = target.startsWith("/")
      ? path.posix.normalize(target)
      : path.posix.normalize(path.posix.join(path.posix.dirname(current), target));
  }
  throw new Error(`${path.join(root, p)}: too many levels of symbolic links`);
}

function readelf(args: string[], file: string): string {
  const r = spawnSync("readelf", [...args, file], { encoding: "utf8" });
  if (r.error) throw new Error(`readelf: ${r.error.message} (apt-get install -y binutils)`);
  if (r.status !== 0) throw new Error(`readelf ${args.join(" ")} ${file} failed: ${r.stderr}`);
  return r.stdout;
}

/** The program interpreter (`PT_INTERP`) of an ELF file, if any. */
export function elfInterpreter(file: string): string | undefined {
  return /\[Requesting program interpreter: ([^\]]+)\]/.exec(readelf(["-lW"], file))?.[1];
}

/** The DT_NEEDED library names of an ELF file. */
export function elfNeeded(file: string): string[] {
  return [...readelf(["-dW"], file).matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map(
    (m) => m[1] ?? "",
  );
}

/**
 * The binary at `p` in the tree at `root` copied to `dest`, plus its
 * interpreter and every library it needs (transitively), each at its path
 * in the tree, as regular files (like {@link dynamicBinary} for the host).
 */
export function foreignDynamicBinary(
  root: string,
  p: string,
  dest: string,
  triplet: string,
): Layout {
  const binary = resolveInTree(root, p);
  if (binary === undefined) throw new Error(`${path.join(root, p)} missing`);
  const out = new Layout().file(dest, readFileSync(binary), 0o755);
  const interpreter = elfInterpreter(binary);
  if (interpreter !== undefined) {
    const host = resolveInTree(root, interpreter);
    if (host === undefined) throw new Error(`${p}: interpreter ${interpreter} not in ${root}`);
    out.file(interpreter, readFileSync(host), 0o755);
  }
  const seen = new Set<string>();
  const queue = elfNeeded(binary).map((name) => ({ name, by: p }));
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    if (seen.has(item.name)) continue;
    seen.add(item.name);
    const found = libraryDirs(triplet)
      .map((dir) => `/${dir}/${item.name}`)
      .map((inTree) => ({ inTree, host: resolveInTree(root, inTree) }))
      .find((c) => c.host !== undefined);
    if (found?.host === undefined) {
      throw new Error(
        `${item.by} needs ${item.name}, which is in none of ${libraryDirs(triplet).join(", ")} ` +
          `under ${root}: add its Debian package to scripts/fetch-debian-arm64.sh`,
      );
    }
    // the loader may also be named by DT_NEEDED; its path is already taken
    if (found.inTree !== interpreter) out.file(found.inTree, readFileSync(found.host), 0o755);
    for (const name of elfNeeded(found.host)) queue.push({ name, by: found.inTree });
  }
  return out;
}
