/**
 * `kernel+initrd`: `<name>-kernel` (boot/kernel as is), `<name>-initrd.img`
 * (microcode cpio uncompressed, then the gzip'd newc cpio of the root
 * filesystem without `boot/`) and `<name>-cmdline` (boot/cmdline exactly,
 * no newline added). Unlike LinuxKit, `<name>-cmdline` is written even when
 * the command line is empty, so the set of files never varies.
 */
import path from "node:path";
import { publishTogether } from "./atomic-file";
import { splitBootFiles } from "./boot-files";
import { chunksOf, writeChunksToFile } from "./file-sink";
import { initrdChunks, initrdLogLine } from "./initrd";
import { withScratchDir } from "./scratch";
import type { Artifact, FormatContext, OutputFormat } from "./types";

const FORMAT = "kernel+initrd";

export const kernelInitrdFormat: OutputFormat = {
  name: FORMAT,
  files: (name) => [`${name}-kernel`, `${name}-initrd.img`, `${name}-cmdline`],

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const [kernelPath, initrdPath, cmdlinePath] = this.files(ctx.name).map((f) =>
      path.resolve(ctx.outputDir, f),
    ) as [string, string, string];
    const { signal } = ctx;
    return withScratchDir(ctx.tmpDir, "kernel-initrd", (scratch) =>
      publishTogether(
        async (set) => {
          const ucodePath = path.join(scratch, "ucode.cpio");
          const boot = await set.add(kernelPath, (tmp) =>
            splitBootFiles(ctx.rootfsTarPath, { kernelPath: tmp, ucodePath }, { signal }),
          );
          const started = Date.now();
          const initrd = await set.add(initrdPath, (tmp) =>
            writeChunksToFile(
              tmp,
              initrdChunks(ctx.rootfsTarPath, boot.scan, {
                gzipLevel: ctx.options.gzipLevel,
                ucodePath: boot.ucodeSize === undefined ? undefined : ucodePath,
                signal,
              }),
              { signal },
            ),
          );
          ctx.log?.(initrdLogLine(initrd.size, ctx.options.gzipLevel, started));
          const cmdline = await set.add(cmdlinePath, (tmp) =>
            writeChunksToFile(tmp, chunksOf(boot.cmdline), { signal }),
          );
          return [
            { format: FORMAT, path: kernelPath, ...boot.kernel },
            { format: FORMAT, path: initrdPath, ...initrd },
            { format: FORMAT, path: cmdlinePath, ...cmdline },
          ];
        },
        { signal },
      ),
    );
  },
};
