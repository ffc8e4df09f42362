/**
 * The newc ("070701") cpio header: pure encoding, no IO.
 *
 * Layout: the 6-byte magic, thirteen 8-digit hex fields, the NUL-terminated
 * name, zero padding so the data starts on a 4-byte boundary, the data, and
 * zero padding to the next 4-byte boundary. The Linux kernel's initramfs
 * unpacker (init/initramfs.c) and GNU cpio both read it.
 */

/** File type bits for the newc `mode` field (as in `stat.st_mode`). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** Size of the fixed part of a newc header, in bytes. */
export const NEWC_HEADER_SIZE = 110;
/** The magic that starts every newc header. */
export const NEWC_MAGIC = "070701";
/** The name of the entry that ends a cpio archive. */
export const NEWC_TRAILER = "TRAILER!!!";

/** The fields of one newc header. Every number must fit in 32 bits. */
export interface NewcHeader {
  ino: number;
  /** Permission bits and file type bits (`S_IF*`). */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of data following the header (for a symlink: the target's length). */
  fileSize: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  /** The entry's path, relative, without a trailing slash. */
  name: string;
}

const MAX_U32 = 0xffffffff;

/** Zero bytes needed after `length` bytes to reach a multiple of `align`. */
export function padLength(length: number, align = 4): number {
  return (align - (length % align)) % align;
}

/** `length` zero bytes (shared, read-only: do not modify the result). */
export function zeros(length: number): Buffer {
  return length <= ZEROS.length ? ZEROS.subarray(0, length) : Buffer.alloc(length);
}
const ZEROS = Buffer.alloc(512);

function hex8(value: number, field: string, name: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new RangeError(
      `cpio newc: ${field} ${value} of ${JSON.stringify(name)} does not fit in 32 bits`,
    );
  }
  return value.toString(16).padStart(8, "0");
}

/**
 * Encodes a header, its name, the name's NUL and the padding that brings
 * the whole to a multiple of 4 bytes (a header always starts 4-aligned).
 */
export function encodeNewcHeader(h: NewcHeader): Buffer {
  const name = Buffer.from(h.name, "utf8");
  const nameSize = name.length + 1;
  const fields = [
    hex8(h.ino, "ino", h.name),
    hex8(h.mode, "mode", h.name),
    hex8(h.uid, "uid", h.name),
    hex8(h.gid, "gid", h.name),
    hex8(h.nlink, "nlink", h.name),
    hex8(h.mtime, "mtime", h.name),
    hex8(h.fileSize, "size", h.name),
    hex8(h.devMajor, "devmajor", h.name),
    hex8(h.devMinor, "devminor", h.name),
    hex8(h.rdevMajor, "rdevmajor", h.name),
    hex8(h.rdevMinor, "rdevminor", h.name),
    hex8(nameSize, "namesize", h.name),
    "00000000", // check: only used by the "070702" crc format
  ];
  const unpadded = NEWC_HEADER_SIZE + nameSize;
  const out = Buffer.alloc(unpadded + padLength(unpadded));
  out.write(NEWC_MAGIC + fields.join(""), 0, "latin1");
  name.copy(out, NEWC_HEADER_SIZE);
  return out;
}

/** The `TRAILER!!!` entry that ends an archive (all fields zero but nlink 1). */
export function encodeNewcTrailer(): Buffer {
  return encodeNewcHeader({
    ino: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    nlink: 1,
    mtime: 0,
    fileSize: 0,
    devMajor: 0,
    devMinor: 0,
    rdevMajor: 0,
    rdevMinor: 0,
    name: NEWC_TRAILER,
  });
}
