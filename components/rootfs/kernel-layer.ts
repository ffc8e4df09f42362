import type { Readable } from "node:stream";

import { LinuxKitError } from "../errors/errors";
import type { KernelSpec } from "../config/types";
import { forEachTarEntry } from "../tar/tar-entry";
import { FIXED_MTIME, normaliseName } from "../tar/tar-header";
import type { TarSpool } from "../tar/tar-spool";

/** What the kernel image contributed. */
export interface KernelLayerResult {
  kernelSize: number;
  modules: number;
  ucode: boolean;
}

/**
 * Adds the kernel image the way LinuxKit does: its kernel binary becomes
 * `boot/kernel`, the command line `boot/cmdline`, an optional microcode
 * archive `boot/ucode.cpio`, and the modules tarball is unpacked into `/`.
 * Everything else in the kernel image is dropped.
 */
export async function addKernelLayer(
  spool: TarSpool,
  rootfs: Readable,
  kernel: KernelSpec,
): Promise<KernelLayerResult> {
  const binary = normaliseName(kernel.binary ?? "kernel");
  const tarName =
    kernel.tar === undefined
      ? "kernel.tar"
      : kernel.tar === "none"
        ? ""
        : normaliseName(kernel.tar);
  const ucodeName = kernel.ucode === undefined ? "" : normaliseName(kernel.ucode);
  const result: KernelLayerResult = { kernelSize: -1, modules: 0, ucode: false };
  let sawTar = false;
  const dir = { type: "directory" as const, mode: 0o755, uid: 0, gid: 0, mtime: FIXED_MTIME };

  await spool.addBuffer({ ...dir, name: "boot" });
  await spool.addBuffer(
    { name: "boot/cmdline", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: FIXED_MTIME },
    Buffer.from(kernel.cmdline ?? ""),
  );
  await forEachTarEntry(rootfs, async (header, body) => {
    if (header.type !== "file" && header.type !== "link") return;
    if (header.name === binary) {
      await spool.addStream(
        { ...header, type: "file", name: "boot/kernel", mtime: FIXED_MTIME },
        body,
      );
      result.kernelSize = header.size;
    } else if (header.name === ucodeName) {
      await spool.addStream(
        { ...header, type: "file", name: "boot/ucode.cpio", mtime: FIXED_MTIME },
        body,
      );
      result.ucode = true;
    } else if (header.name === tarName) {
      sawTar = true;
      await forEachTarEntry(body, async (inner, innerBody) => {
        await spool.addStream(inner, innerBody);
        result.modules++;
      });
    }
  });
  const hint = "set kernel.binary / kernel.tar to the paths inside the image, or kernel.tar: none";
  if (result.kernelSize < 0) {
    throw new LinuxKitError(
      "BUILD",
      `kernel image ${kernel.image} has no kernel binary at /${binary}`,
      {
        image: kernel.image,
        field: "kernel.binary",
        hint,
      },
    );
  }
  if (tarName !== "" && !sawTar) {
    throw new LinuxKitError(
      "BUILD",
      `kernel image ${kernel.image} has no modules tarball at /${tarName}`,
      {
        image: kernel.image,
        field: "kernel.tar",
        hint,
      },
    );
  }
  if (ucodeName !== "" && !result.ucode) {
    throw new LinuxKitError(
      "BUILD",
      `kernel image ${kernel.image} has no microcode archive at /${ucodeName}`,
      {
        image: kernel.image,
        field: "kernel.ucode",
        hint: "set kernel.ucode to the path of the cpio inside the image, or remove it",
      },
    );
  }
  return result;
}
