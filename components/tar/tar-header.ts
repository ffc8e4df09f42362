/**
 * The one tar header model of the project: what a root filesystem entry
 * is, whoever reads or writes it (image layers, the spool, the format
 * writers). Times are whole seconds since the epoch, as tar stores them;
 * the conversion to and from tar-stream's `Date` happens only where
 * tar-stream is called (this folder).
 */

/** Entry types a root filesystem may hold (PAX and GNU long-name headers are resolved). */
export type TarEntryType =
  "file" | "directory" | "symlink" | "link" | "character-device" | "block-device" | "fifo";

/** One tar header, normalised. */
export interface TarHeader {
  /** Relative path without `./`, leading `/`, trailing `/` or empty parts; `""` for the root itself. */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (`0o7777` at most). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of body (0 for everything but regular files). */
  size: number;
  /** Hard link: the normalised path of the target. Symlink: the target as written. Else `""`. */
  linkname: string;
  devmajor: number;
  devminor: number;
}

/** A header being made: size, link target and device numbers may be left out. */
export type NewTarHeader = Omit<TarHeader, "size" | "linkname" | "devmajor" | "devminor"> &
  Partial<Pick<TarHeader, "size" | "linkname" | "devmajor" | "devminor">>;

/** The mtime (seconds) of everything the build generates: LinuxKit uses the epoch as well. */
export const FIXED_MTIME = 0;

/** Removes `./`, leading and trailing `/` and empty components: `./etc//hosts/` → `etc/hosts`. */
export function normaliseName(name: string): string {
  return name
    .split("/")
    .filter((p) => p !== "" && p !== ".")
    .join("/");
}

/** `h` with the fields it left out filled in (no link target, device 0:0, size 0). */
export function completeHeader(h: NewTarHeader): TarHeader {
  return { size: 0, linkname: "", devmajor: 0, devminor: 0, ...h };
}

/** Seconds since the epoch of a tar-stream `Date` (the epoch when absent). */
export function secondsOf(date: Date | undefined): number {
  return date === undefined ? FIXED_MTIME : Math.floor(date.getTime() / 1000);
}

/** tar-stream's `Date` for seconds since the epoch. */
export function dateOf(seconds: number): Date {
  return new Date(seconds * 1000);
}
