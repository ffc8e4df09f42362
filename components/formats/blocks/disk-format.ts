/**
 * The shapes the disk formats share: a raw disk published as is
 * (`raw-bios`, `raw-efi`, `aws`), and a raw disk converted by `qemu-img`
 * and then made reproducible by a format-specific patch (qcow2, VHD,
 * VMDK).
 */
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { publishOptions, writeAtomic } from "./atomic-file";
import { BIOS_BOOT_TOOLS, EFI_BOOT_TOOLS, type Firmware } from "./disk-boot";
import { buildRawDisk, type DiskSizing, type RawDisk } from "./disk-image";
import { hashFile } from "./fat-image";
import { runTool } from "./iso-tools";
import { withScratchDir } from "./scratch";
import { requireTool } from "./tools";
import type { Artifact, FormatContext, OutputFormat, ToolRequirement } from "./types";

/** Disks sized as small as fits, rounded to whole MiB. */
export const SMALLEST: DiskSizing = { roundMiB: 1 };
/** Cloud disks, sized in whole GiB. */
export const WHOLE_GIB: DiskSizing = { roundMiB: 1024 };

export const QEMU_IMG: ToolRequirement = { command: "qemu-img", debianPackage: "qemu-utils" };

/** The tools a disk for `firmware` needs. */
export function bootTools(firmware: Firmware): ToolRequirement[] {
  return [...(firmware === "bios" ? BIOS_BOOT_TOOLS : EFI_BOOT_TOOLS)];
}

/** What describes a raw disk format. */
export interface RawDiskFormatSpec {
  name: string;
  /** File name for base name `n`. */
  file: (n: string) => string;
  firmware: Firmware;
  sizing: DiskSizing;
}

/** A format publishing the raw disk itself (sparse). */
export function rawDiskFormat(spec: RawDiskFormatSpec): OutputFormat {
  return {
    name: spec.name,
    files: (n) => [spec.file(n)],
    requiredTools: bootTools(spec.firmware),
    usesBootPayload: true,
    async write(ctx: FormatContext): Promise<Artifact[]> {
      const dest = path.resolve(ctx.outputDir, spec.file(ctx.name));
      const started = Date.now();
      const written = await withScratchDir(ctx.tmpDir, spec.name, (scratch) =>
        writeAtomic(
          dest,
          async (tmp) => {
            await buildRawDisk(ctx, scratch, tmp, spec.firmware, spec.sizing);
            return hashFile(tmp, ctx.signal);
          },
          publishOptions(ctx),
        ),
      );
      logDone(ctx, spec.name, written.size, started);
      return [{ format: spec.name, path: dest, ...written }];
    },
  };
}

/** What describes a converted disk format. */
export interface ConvertedDiskFormatSpec extends RawDiskFormatSpec {
  /** qemu-img's output format name (`qcow2`, `vpc`, `vmdk`). */
  qemuFormat: string;
  /** qemu-img `-o` creation options, if any. */
  qemuOptions?: string;
  /**
   * Convert into a file with the artifact's own base name, for formats that
   * record their file name inside (a VMDK's extent line).
   */
  keepName?: boolean;
  /** Makes the converted file reproducible, in place. */
  patch?: (file: string, disk: RawDisk) => Promise<void>;
}

/** Runs `qemu-img convert` from a raw image to `format`. */
export async function qemuImgConvert(
  src: string,
  dest: string,
  format: string,
  options: string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const qemuImg = await requireTool(QEMU_IMG.command, QEMU_IMG.debianPackage);
  const args = ["convert", "-q", "-f", "raw", "-O", format];
  if (options !== undefined) args.push("-o", options);
  args.push(src, dest);
  await runTool(qemuImg, args, { signal, purpose: `converting the disk to ${format}` });
}

/** A format publishing the raw disk converted by qemu-img and patched. */
export function convertedDiskFormat(spec: ConvertedDiskFormatSpec): OutputFormat {
  return {
    name: spec.name,
    files: (n) => [spec.file(n)],
    requiredTools: [...bootTools(spec.firmware), QEMU_IMG],
    usesBootPayload: true,
    async write(ctx: FormatContext): Promise<Artifact[]> {
      const fileName = spec.file(ctx.name);
      const dest = path.resolve(ctx.outputDir, fileName);
      const { signal } = ctx;
      const started = Date.now();
      const written = await withScratchDir(ctx.tmpDir, spec.name, async (scratch) => {
        const raw = path.join(scratch, "disk.raw");
        const disk = await buildRawDisk(ctx, scratch, raw, spec.firmware, spec.sizing);
        return writeAtomic(
          dest,
          async (tmp) => {
            // qemu-img writes straight into the temporary file, unless the
            // format records its own name, which must then be the final one.
            const converted =
              spec.keepName && path.basename(tmp) !== fileName ? path.join(scratch, fileName) : tmp;
            await qemuImgConvert(raw, converted, spec.qemuFormat, spec.qemuOptions, signal);
            if (spec.patch) await spec.patch(converted, disk);
            if (converted !== tmp) await copyFile(converted, tmp);
            return hashFile(tmp, signal);
          },
          publishOptions(ctx),
        );
      });
      logDone(ctx, spec.name, written.size, started);
      return [{ format: spec.name, path: dest, ...written }];
    },
  };
}

function logDone(ctx: FormatContext, name: string, size: number, startedAt: number): void {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  ctx.log?.(`  ${name}: ${(size / 1e6).toFixed(1)} MB in ${seconds} s`);
}
