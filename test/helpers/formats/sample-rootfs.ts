/**
 * A sample root filesystem like the build makes, for the format tests:
 * sorted, boot files, every entry type, hard links after their targets,
 * parents missing for some entries. Tar bytes come from the one kit,
 * `../tar-kit.ts`.
 */
import { pseudoRandom, type TestEntry } from "../tar-kit";

export const HELLO = Buffer.from("hello, initramfs\n");
export const LARGE = pseudoRandom(200_003, "large");
export const KERNEL = pseudoRandom(70_001, "kernel");
export const CMDLINE = Buffer.from("console=ttyS0 quiet");
export const LONG_DIR = `long/${"d".repeat(120)}`;
export const LONG_FILE = `${LONG_DIR}/${"f".repeat(110)}.txt`;
export const UNICODE_DIR = "spaces and ünïcødé";
export const UNICODE_FILE = `${UNICODE_DIR}/file name ✓.txt`;

/**
 * A root filesystem like the build makes: sorted, boot files, every entry
 * type, hard links after their targets, parents missing for some entries.
 * `ucode` is the microcode cpio to include (none when undefined).
 */
export function rootfsEntries(ucode?: Buffer): TestEntry[] {
  const entries: TestEntry[] = [
    { name: "a-dir", type: "directory" },
    { name: "a-dir/empty", type: "file", data: Buffer.alloc(0) },
    { name: "a-dir/hello.txt", type: "file", data: HELLO },
    { name: "a-dir/large.bin", type: "file", data: LARGE, mode: 0o600 },
    { name: "a-dir/odd", type: "file", data: Buffer.from("odd") },
    {
      name: "a-dir/setuid",
      type: "file",
      data: Buffer.from("#!/bin/sh\n"),
      mode: 0o4755,
      uid: 100,
      gid: 101,
    },
    { name: "boot", type: "directory" },
    { name: "boot/cmdline", type: "file", data: CMDLINE },
    { name: "boot/kernel", type: "file", data: KERNEL },
    ...(ucode === undefined
      ? []
      : [{ name: "boot/ucode.cpio", type: "file" as const, data: ucode }]),
    { name: "deep/nested/dir/file.txt", type: "file", data: Buffer.from("deep\n") },
    { name: "dev", type: "directory" },
    { name: "dev/null", type: "character-device", mode: 0o666, devmajor: 1, devminor: 3 },
    { name: "dev/pipe", type: "fifo", mode: 0o600 },
    { name: "dev/sda", type: "block-device", mode: 0o660, devmajor: 8, devminor: 0 },
    { name: "links", type: "directory" },
    { name: "links/hard-a", type: "link", linkname: "a-dir/hello.txt" },
    { name: "links/hard-b", type: "link", linkname: "a-dir/hello.txt" },
    { name: "links/hard-empty", type: "link", linkname: "a-dir/empty" },
    { name: "links/sym", type: "symlink", linkname: "../a-dir/hello.txt" },
    { name: "links/sym-abs", type: "symlink", linkname: "/etc/passwd" },
    { name: LONG_FILE, type: "file", data: Buffer.from("long\n") },
    { name: UNICODE_FILE, type: "file", data: Buffer.from("unicode\n") },
    { name: "z-tmp", type: "directory", mode: 0o1777 },
  ];
  return entries;
}

/**
 * The names a cpio of {@link rootfsEntries} holds, in order: synthesised
 * parents appear just before their first child.
 */
export function expectedCpioNames(opts: { withBoot: boolean; ucode: boolean }): string[] {
  const bootFiles = opts.withBoot
    ? ["boot/cmdline", "boot/kernel", ...(opts.ucode ? ["boot/ucode.cpio"] : [])]
    : [];
  return [
    "a-dir",
    "a-dir/empty",
    "a-dir/hello.txt",
    "a-dir/large.bin",
    "a-dir/odd",
    "a-dir/setuid",
    "boot",
    ...bootFiles,
    "deep",
    "deep/nested",
    "deep/nested/dir",
    "deep/nested/dir/file.txt",
    "dev",
    "dev/null",
    "dev/pipe",
    "dev/sda",
    "links",
    "links/hard-a",
    "links/hard-b",
    "links/hard-empty",
    "links/sym",
    "links/sym-abs",
    "long",
    LONG_DIR,
    LONG_FILE,
    UNICODE_DIR,
    UNICODE_FILE,
    "z-tmp",
  ];
}
