/**
 * `tar`: `<name>.tar`, the root filesystem tar exactly as the build made
 * it, `boot/` included (LinuxKit streams its build tar out unchanged).
 */
import path from "node:path";
import { publishOptions, writeAtomic } from "../blocks/atomic-file";
import { fileChunks, writeChunksToFile } from "../../tar/file-sink";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "tar";

export const tarFormat: OutputFormat = {
  name: FORMAT,
  readsRootfsTar: true,
  files: (name) => [`${name}.tar`],

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const dest = path.resolve(ctx.outputDir, `${ctx.name}.tar`);
    const { signal } = ctx;
    const written = await writeAtomic(
      dest,
      (tmp) => writeChunksToFile(tmp, fileChunks(ctx.rootfsTarPath, { signal }), { signal }),
      publishOptions(ctx),
    );
    return [{ format: FORMAT, path: dest, ...written }];
  },
};
