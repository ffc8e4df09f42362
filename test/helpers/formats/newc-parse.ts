/** An independent newc reader for the tests: strict about layout, returns every field. */

export interface ParsedEntry {
  /** Byte offset of the header in the archive. */
  offset: number;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  fileSize: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
  check: number;
  name: string;
  data: Buffer;
}

export interface ParsedArchive {
  entries: ParsedEntry[];
  /** Bytes up to and including the trailer's padding. */
  endOfTrailer: number;
  /** Total bytes given. */
  length: number;
}

const FIELDS = [
  "ino",
  "mode",
  "uid",
  "gid",
  "nlink",
  "mtime",
  "fileSize",
  "devMajor",
  "devMinor",
  "rdevMajor",
  "rdevMinor",
  "nameSize",
  "check",
] as const;

const align4 = (n: number): number => (n + 3) & ~3;

/** Parses `buf` up to `TRAILER!!!` (included in `entries`); throws on any layout error. */
export function parseNewc(buf: Buffer): ParsedArchive {
  const entries: ParsedEntry[] = [];
  let off = 0;
  for (;;) {
    if (off % 4 !== 0) throw new Error(`header at ${off} is not 4-aligned`);
    const magic = buf.toString("latin1", off, off + 6);
    if (magic !== "070701") throw new Error(`bad magic ${JSON.stringify(magic)} at ${off}`);
    const f: Record<string, number> = {};
    FIELDS.forEach((name, i) => {
      const text = buf.toString("latin1", off + 6 + i * 8, off + 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(text))
        throw new Error(`field ${name} ${JSON.stringify(text)} at ${off}`);
      f[name] = parseInt(text, 16);
    });
    const nameSize = f.nameSize ?? 0;
    const nameEnd = off + 110 + nameSize;
    if (buf[nameEnd - 1] !== 0) throw new Error(`name at ${off} is not NUL-terminated`);
    const name = buf.toString("utf8", off + 110, nameEnd - 1);
    const dataStart = align4(nameEnd);
    for (let i = nameEnd; i < dataStart; i++)
      if (buf[i] !== 0) throw new Error(`non-zero name padding at ${i}`);
    const size = f.fileSize ?? 0;
    const data = buf.subarray(dataStart, dataStart + size);
    const next = align4(dataStart + size);
    for (let i = dataStart + size; i < next; i++)
      if (buf[i] !== 0) throw new Error(`non-zero data padding at ${i}`);
    entries.push({
      offset: off,
      ...(f as Omit<ParsedEntry, "offset" | "name" | "data">),
      name,
      data,
    });
    off = next;
    if (name === "TRAILER!!!") return { entries, endOfTrailer: off, length: buf.length };
    if (off >= buf.length) throw new Error("archive ends without TRAILER!!!");
  }
}
