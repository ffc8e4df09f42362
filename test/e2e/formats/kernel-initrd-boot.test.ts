/**
 * Boots the kernel+initrd output in qemu (TCG) to prove a real kernel
 * accepts the archive: the microcode cpio in front, the gzip'd newc cpio,
 * a device node, and a hard link whose data sits on its first name (both
 * the shell interpreter and the file printed are reached through one).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { kernelInitrdFormat } from "../../../components/formats/writers/kernel-initrd";
import { findOnPath } from "../../../components/formats/blocks/tools";
import { run } from "../../helpers/formats/run";
import { hostKernel, runQemu } from "../../helpers/formats/disk-boot";
import { writeTar } from "../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../helpers/formats/tmp";
import { makeUcodeCpio } from "../../helpers/formats/ucode";

const MARKER = "LINUXKIT-FORMATS-BOOT-OK";
const BOOT_TIMEOUT_MS = 60_000;

/** Runs qemu until it exits or the timeout passes; returns the console output. */
function boot(kernel: string, initrd: string, cmdline: string): Promise<string> {
  const args = [
    "-accel",
    "tcg",
    "-m",
    "512",
    "-nographic",
    "-no-reboot",
    "-kernel",
    kernel,
    "-initrd",
    initrd,
    "-append",
    cmdline,
  ];
  return runQemu(args, BOOT_TIMEOUT_MS).then((r) => r.console);
}

describe("kernel+initrd boots", () => {
  it("in qemu: /init runs through a hard-linked shell and prints a hard-linked file", async (t) => {
    const kernel = await hostKernel();
    if (kernel === undefined || (await findOnPath("qemu-system-x86_64")) === undefined) {
      t.skip("needs /boot/vmlinuz-* and qemu-system-x86_64");
      return;
    }
    if ((await findOnPath("busybox", "/bin:/usr/bin")) === undefined) {
      t.skip("needs /bin/busybox (busybox-static)");
      return;
    }
    await withTmpDir(async (dir) => {
      const busybox = await readFile((await findOnPath("busybox", "/bin:/usr/bin")) as string);
      const ucode = await makeUcodeCpio(dir);
      const init = [
        "#!/bin/sh",
        `/bin/busybox echo "${MARKER}-$(/bin/busybox cat /etc/b-marker-link)"`,
        `/bin/busybox echo "UCODE-$(/bin/busybox ls /kernel/x86/microcode)"`,
        "/bin/busybox poweroff -f",
        "",
      ].join("\n");
      const tarPath = path.join(dir, "rootfs.tar");
      await writeTar(tarPath, [
        { name: "bin", type: "directory" },
        { name: "bin/busybox", type: "file", mode: 0o755, data: busybox },
        { name: "bin/sh", type: "link", linkname: "bin/busybox" },
        { name: "boot", type: "directory" },
        { name: "boot/cmdline", type: "file", data: Buffer.from("console=ttyS0 panic=-1") },
        { name: "boot/kernel", type: "file", data: await readFile(kernel) },
        { name: "boot/ucode.cpio", type: "file", data: ucode },
        { name: "dev", type: "directory" },
        { name: "dev/console", type: "character-device", mode: 0o600, devmajor: 5, devminor: 1 },
        { name: "etc", type: "directory" },
        { name: "etc/a-marker.txt", type: "file", data: Buffer.from("hardlink-ok") },
        { name: "etc/b-marker-link", type: "link", linkname: "etc/a-marker.txt" },
        { name: "init", type: "file", mode: 0o755, data: Buffer.from(init) },
      ]);
      const outputDir = path.join(dir, "out");
      run("mkdir", [outputDir]);
      const [k, i, c] = await kernelInitrdFormat.write({
        name: "boot",
        outputDir,
        rootfsTarPath: tarPath,
        tmpDir: path.join(dir, "tmp"),
        options: {},
      });
      assert.ok(k && i && c);
      const console = await boot(k.path, i.path, await readFile(c.path, "utf8"));
      assert.ok(
        console.includes(`${MARKER}-hardlink-ok`),
        `marker missing; console tail:\n${console.slice(-3000)}`,
      );
      assert.ok(
        console.includes("UCODE-GenuineIntel.bin"),
        "the microcode archive was unpacked too",
      );
    });
  });
});
