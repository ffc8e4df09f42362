/**
 * Which architecture a built image is for, when `run qemu` is not told:
 * the build's manifest says so (`arch`, written for non-amd64 builds), else
 * the kernel's own header does (kernel+initrd), else amd64.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import { gunzipSync, constants as zlib } from "node:zlib";
import { DEFAULT_ARCH, isArch, type Arch } from "../arch";

function head(file: string, bytes: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * The architecture of a Linux kernel image from its header, or undefined:
 * arm64 `Image` (magic `ARM\x64` at 0x38, also inside `Image.gz` as
 * LinuxKit's arm64 kernels ship it), x86 `bzImage` (`HdrS` at 0x202), or
 * an EFI-stub/zboot PE image by its COFF machine (0x8664, 0xaa64).
 */
export function kernelArch(file: string): Arch | undefined {
  let h = head(file, 64 * 1024);
  if (h[0] === 0x1f && h[1] === 0x8b) {
    try {
      h = gunzipSync(h, { finishFlush: zlib.Z_SYNC_FLUSH });
    } catch {
      return undefined;
    }
  }
  if (h.length >= 0x3c && h.toString("latin1", 0x38, 0x3c) === "ARM\x64") return "arm64";
  if (h.length >= 0x206 && h.toString("latin1", 0x202, 0x206) === "HdrS") return "amd64";
  if (h.length >= 0x40 && h.toString("latin1", 0, 2) === "MZ") {
    const pe = h.readUInt32LE(0x3c);
    if (pe + 6 <= h.length && h.toString("latin1", pe, pe + 4) === "PE\0\0") {
      const machine = h.readUInt16LE(pe + 4);
      if (machine === 0xaa64) return "arm64";
      if (machine === 0x8664) return "amd64";
    }
  }
  return undefined;
}

/** The architecture of what `build` wrote for `prefix` (see the file comment). */
export function guestArch(prefix: string, kernel?: string): Arch {
  const manifest = path.join(path.dirname(prefix), `.${path.basename(prefix)}.linuxkit-build.json`);
  if (existsSync(manifest)) {
    try {
      const arch = (JSON.parse(readFileSync(manifest, "utf8")) as { arch?: unknown }).arch;
      if (isArch(arch)) return arch;
      if (arch === undefined && kernel === undefined) return DEFAULT_ARCH;
    } catch {
      // an unreadable manifest says nothing
    }
  }
  return (
    (kernel !== undefined && existsSync(kernel) ? kernelArch(kernel) : undefined) ?? DEFAULT_ARCH
  );
}
