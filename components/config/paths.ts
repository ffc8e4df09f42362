/**
 * Field paths: how a value in a configuration is named in errors and in
 * location look-ups. Schema fields are joined with dots
 * (`onboot[2].capabilities.add`), list items take `[i]`, and keys of free
 * maps (`sysctl`, `annotations`) are quoted: `sysctl["net.ipv4.ip_forward"]`.
 *
 * In messages an entry's name is shown after its index,
 * `onboot[2] (dhcpcd).capabilities`; {@link plainPath} removes those names
 * again, so either form can be passed to location look-ups.
 */

/** `parent.field`, or `field` at the top. */
export function fieldPath(parent: string, field: string): string {
  return parent === "" ? field : `${parent}.${field}`;
}

/** `parent[index]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** `parent["key"]`, for keys of free-form maps. */
export function mapKeyPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}

/** A path with the ` (name)` decorations after list indexes removed. */
export function plainPath(path: string): string {
  return path.replace(/\] \((?:[^()]|\([^()]*\))*\)(?=\.|\[|$)/g, "]");
}

/**
 * Adds ` (name)` after list indexes that `nameOf` knows, e.g.
 * `services[1].binds[0]` → `services[1] (sshd).binds[0]`.
 */
export function decoratePath(path: string, nameOf: (entry: string) => string | undefined): string {
  const match = /^(onboot|onshutdown|services|files|volumes)\[(\d+)\]/.exec(path);
  if (match === null) return path;
  const name = nameOf(match[0]);
  if (name === undefined || name === "") return path;
  return `${match[0]} (${name})${path.slice(match[0].length)}`;
}

/**
 * The list and index a path starts with, e.g. `["services", 3, ".binds[0]"]`
 * or `["trust.image", 0, ""]`.
 */
export function splitSectionIndex(path: string): [string, number, string] | undefined {
  const match = /^([A-Za-z.]+)\[(\d+)\](.*)$/.exec(path);
  if (match === null) return undefined;
  return [match[1] ?? "", Number(match[2]), match[3] ?? ""];
}
