/**
 * Paths inside the image's root filesystem, as `files[].path` gives them.
 */
import path from "node:path";

export type RootPathResult =
  | { kind: "ok"; path: string }
  /** The path names the root itself (`/`, `.`, empty). */
  | { kind: "root" }
  /** The path leaves the root (`..` remains after cleaning). */
  | { kind: "escape"; cleaned: string };

/**
 * Cleans a root filesystem path: leading `/` stripped (LinuxKit writes
 * relative tar entries), `.`, `..` and repeated or trailing slashes
 * resolved. `etc/../../x` leaves the root and is reported as an escape.
 */
export function cleanRootPath(p: string): RootPathResult {
  const cleaned = path.posix.normalize(p.replace(/^\/+/, "")).replace(/\/+$/, "");
  if (cleaned === "" || cleaned === ".") return { kind: "root" };
  if (cleaned === ".." || cleaned.startsWith("../")) return { kind: "escape", cleaned };
  return { kind: "ok", path: cleaned };
}

/**
 * Parses an octal mode string as LinuxKit does (`strconv.ParseInt(s, 8)`:
 * digits 0-7 only, no `0o` prefix), limited to permission, setuid, setgid
 * and sticky bits. Undefined when invalid.
 */
export function parseOctalMode(mode: string): number | undefined {
  if (!/^[0-7]+$/.test(mode)) return undefined;
  const value = Number.parseInt(mode, 8);
  return value <= 0o7777 ? value : undefined;
}
