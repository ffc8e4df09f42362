/**
 * `kernel+initrd`: `<name>-kernel` (boot/kernel as is), `<name>-initrd.img`
 * (microcode cpio uncompressed, then the gzip'd newc cpio of the root
 * filesystem without `boot/`) and `<name>-cmdline` (boot/cmdline exactly,
 * no newline added). Unlike LinuxKit, `<name>-cmdline` is written even when
 * the command line is empty, so the set of files never varies.
 */
import path from "node:path";
import { publishOptions, publishTogether } from "../blocks/atomic-file";
import { bootPayloadFor } from "../blocks/boot-payload";
import { linkOrCopy } from "../blocks/link-or-copy";
import { chunksOf, writeChunksToFile, type WrittenFile } from "../../tar/file-sink";
import { withScratchDir } from "../blocks/scratch";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "kernel+initrd";

export const kernelInitrdFormat: OutputFormat = {
  name: FORMAT,
  files: (name) => [`${name}-kernel`, `${name}-initrd.img`, `${name}-cmdline`],
  usesBootPayload: true,

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const [kernelPath, initrdPath, cmdlinePath] = this.files(ctx.name).map((f) =>
      path.resolve(ctx.outputDir, f),
    ) as [string, string, string];
    const { signal } = ctx;
    // The same files the disk and ISO formats boot: made once per build (boot-payload.ts)
    // and linked, not copied, into place.
    return withScratchDir(ctx.tmpDir, "kernel-initrd", async (scratch) => {
      const boot = await bootPayloadFor(ctx, scratch);
      const copy = (from: string, written: WrittenFile) => async (tmp: string) => {
        signal?.throwIfAborted();
        await linkOrCopy(from, tmp);
        return written;
      };
      return publishTogether(async (set) => {
        const kernel = await set.add(kernelPath, copy(boot.kernelPath, boot.kernel));
        const initrd = await set.add(initrdPath, copy(boot.initrdPath, boot.initrd));
        const cmdline = await set.add(cmdlinePath, (tmp) =>
          writeChunksToFile(tmp, chunksOf(boot.cmdlineBytes), { signal }),
        );
        return [
          { format: FORMAT, path: kernelPath, ...kernel },
          { format: FORMAT, path: initrdPath, ...initrd },
          { format: FORMAT, path: cmdlinePath, ...cmdline },
        ];
      }, publishOptions(ctx));
    });
  },
};
