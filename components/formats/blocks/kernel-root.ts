/**
 * The formats that ship the kernel beside a root filesystem image instead
 * of an initrd (`kernel+iso`, `kernel+squashfs`): `<name>-kernel`, the root
 * image, `<name>-cmdline`, published together or not at all.
 */
import path from "node:path";

import { publishOptions, publishTogether } from "./atomic-file";
import { splitBootFiles } from "./boot-files";
import { rootfsOf } from "./boot-payload";
import { chunksOf, writeChunksToFile } from "../../tar/file-sink";
import { withScratchDir } from "./scratch";
import type { Artifact, FormatContext } from "./types";

/** What a root image maker wrote, and a phrase for the log ("12.3 MiB squashfs of 900 entries"). */
export interface RootImage {
  size: number;
  sha256: string;
  describe: string;
}

/**
 * Writes `files` = [kernel, root image, cmdline] for `format`; `makeRoot`
 * writes the root image to `tmp`, with `scratch` for its working files.
 */
export function writeKernelAndRoot(
  ctx: FormatContext,
  format: string,
  files: string[],
  makeRoot: (scratch: string, tmp: string) => Promise<RootImage>,
): Promise<Artifact[]> {
  const [kernelPath, rootPath, cmdlinePath] = files.map((f) => path.resolve(ctx.outputDir, f)) as [
    string,
    string,
    string,
  ];
  const { signal } = ctx;
  return withScratchDir(ctx.tmpDir, format.replace(/\+/g, "-"), (scratch) =>
    publishTogether(async (set) => {
      const boot = await set.add(kernelPath, (tmp) =>
        splitBootFiles(
          rootfsOf(ctx),
          { kernelPath: tmp, ucodePath: path.join(scratch, "ucode.cpio") },
          { signal },
        ),
      );
      const started = Date.now();
      const root = await set.add(rootPath, (tmp) => makeRoot(scratch, tmp));
      ctx.log?.(
        `  ${path.basename(rootPath)}: ${root.describe} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const cmdline = await set.add(cmdlinePath, (tmp) =>
        writeChunksToFile(tmp, chunksOf(boot.cmdline), { signal }),
      );
      return [
        { format, path: kernelPath, ...boot.kernel },
        { format, path: rootPath, size: root.size, sha256: root.sha256 },
        { format, path: cmdlinePath, ...cmdline },
      ];
    }, publishOptions(ctx)),
  );
}
