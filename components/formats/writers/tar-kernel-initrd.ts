/**
 * `tar-kernel-initrd`: `<name>-initrd.tar`, a tar holding `kernel`,
 * `initrd.img` (gzip'd cpio WITHOUT the microcode), `cmdline` and
 * `ucode.cpio`, in that order, mode 0644, owner 0:0, each only when not
 * empty — as LinuxKit writes it (moby/build/output.go). Members get the
 * mtime `boot/kernel` has in the root filesystem tar.
 */
import path from "node:path";
import { publishOptions, writeAtomic } from "../blocks/atomic-file";
import { splitBootFiles } from "../blocks/boot-files";
import { rootfsOf, writeInitrdFile } from "../blocks/boot-payload";
import { writeChunksToFile } from "../../tar/file-sink";
import { withScratchDir } from "../blocks/scratch";
import { tarOfFiles, type TarMember } from "../../tar/tar-write";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "tar-kernel-initrd";

/** The members and their mtime, from the build's boot payload or made in `scratch`. */
async function membersFor(
  ctx: FormatContext,
  scratch: string,
): Promise<{ members: TarMember[]; mtime: number }> {
  const { signal } = ctx;
  const shared = ctx.boot;
  // Without microcode the build's boot payload holds exactly this initrd.
  if (shared !== undefined && !shared.hasUcode) {
    return {
      members: [
        { name: "kernel", size: shared.kernel.size, path: shared.kernelPath },
        { name: "initrd.img", size: shared.initrd.size, path: shared.initrdPath },
        { name: "cmdline", size: shared.cmdlineBytes.length, data: shared.cmdlineBytes },
      ],
      mtime: shared.kernelMtime,
    };
  }
  const kernelPath = path.join(scratch, "kernel");
  const ucodePath = path.join(scratch, "ucode.cpio");
  const initrdPath = path.join(scratch, "initrd.img");
  const boot = await splitBootFiles(rootfsOf(ctx), { kernelPath, ucodePath }, { signal });
  // LinuxKit leaves the microcode out of this initrd.
  const initrd = await writeInitrdFile(ctx, boot.scan, initrdPath);
  return {
    members: [
      { name: "kernel", size: boot.kernel.size, path: kernelPath },
      { name: "initrd.img", size: initrd.size, path: initrdPath },
      { name: "cmdline", size: boot.cmdline.length, data: boot.cmdline },
      { name: "ucode.cpio", size: boot.ucodeSize ?? 0, path: ucodePath },
    ],
    mtime: boot.kernelMtime,
  };
}

export const tarKernelInitrdFormat: OutputFormat = {
  name: FORMAT,
  files: (name) => [`${name}-initrd.tar`],

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const dest = path.resolve(ctx.outputDir, `${ctx.name}-initrd.tar`);
    const { signal } = ctx;
    return withScratchDir(ctx.tmpDir, "tar-kernel-initrd", async (scratch) => {
      const { members, mtime } = await membersFor(ctx, scratch);
      const present = members.filter((m) => m.size > 0);
      const written = await writeAtomic(
        dest,
        (tmp) =>
          writeChunksToFile(tmp, tarOfFiles(present, { mode: 0o644, mtime }, signal), { signal }),
        publishOptions(ctx),
      );
      return [{ format: FORMAT, path: dest, ...written }];
    });
  },
};
