/**
 * `docker`: `<name>.docker`, LinuxKit's docker output (a streamable format:
 * cmd/linuxkit/build.go names it `<name>.` + the format): the whole build
 * tar, `boot/` included, with a `Dockerfile` entry appended at the end
 * (moby/build/build.go's `additions["docker"]`), so that
 * `docker build - < NAME.docker` or `docker import NAME.docker` gives an
 * image of the root filesystem.
 *
 * The build tar's bytes are copied unchanged up to its end-of-archive
 * marker (found by walking the 512-byte headers), then the Dockerfile
 * entry (mode 0644, owner 0:0, mtime 0) and a new end-of-archive follow:
 * the same input gives the same bytes.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { LinuxKitError } from "../../errors/errors";
import { publishOptions, writeAtomic } from "../blocks/atomic-file";
import { writeChunksToFile } from "../../tar/file-sink";
import { FIXED_MTIME } from "../../tar/tar-header";
import { tarBytesOfFiles } from "../../tar/tar-write";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "docker";

/** LinuxKit's Dockerfile, byte for byte. */
export const LINUXKIT_DOCKERFILE = `
FROM scratch

COPY . ./

ENTRYPOINT ["/bin/rc.init"]
`;

/** A tar number field: octal, or GNU base-256 when the top bit is set. */
function tarNumber(field: Buffer): number {
  const first = field[0] ?? 0;
  if ((first & 0x80) !== 0) {
    let n = first & 0x7f;
    for (const b of field.subarray(1)) n = n * 256 + b;
    return n;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/**
 * The offset of the end-of-archive marker (the first all-zero header
 * block) in the tar at `tarPath`: everything before it is the entries.
 */
export async function tarDataEnd(tarPath: string, signal?: AbortSignal): Promise<number> {
  const fh = await open(tarPath, "r");
  try {
    const { size: fileSize } = await fh.stat();
    const block = Buffer.alloc(512);
    let off = 0;
    while (off + 512 <= fileSize) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(block, 0, 512, off);
      if (bytesRead < 512 || block.every((b) => b === 0)) return off;
      const size = tarNumber(block.subarray(124, 136));
      if (!Number.isSafeInteger(size) || size < 0)
        throw new LinuxKitError("BUILD", `bad tar header at offset ${off}`, { file: tarPath });
      off += 512 + Math.ceil(size / 512) * 512;
    }
    if (off === fileSize) return off;
    throw new LinuxKitError("BUILD", `the root filesystem tar is truncated at offset ${off}`, {
      file: tarPath,
    });
  } finally {
    await fh.close();
  }
}

/** The Dockerfile entry followed by the end-of-archive marker. */
function dockerfileTail(): Promise<Buffer> {
  const data = Buffer.from(LINUXKIT_DOCKERFILE);
  return tarBytesOfFiles([{ name: "Dockerfile", size: data.length, data }], {
    mode: 0o644,
    mtime: FIXED_MTIME,
  });
}

async function* dockerTarChunks(tarPath: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const end = await tarDataEnd(tarPath, signal);
  if (end > 0) {
    const stream = createReadStream(tarPath, {
      start: 0,
      end: end - 1,
      highWaterMark: 1024 * 1024,
      signal,
    });
    for await (const chunk of stream) yield chunk as Buffer;
  }
  yield await dockerfileTail();
}

export const dockerFormat: OutputFormat = {
  name: FORMAT,
  readsRootfsTar: true,
  files: (name) => [`${name}.docker`],

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const dest = path.resolve(ctx.outputDir, `${ctx.name}.docker`);
    const { signal } = ctx;
    const written = await writeAtomic(
      dest,
      (tmp) => writeChunksToFile(tmp, dockerTarChunks(ctx.rootfsTarPath, signal), { signal }),
      publishOptions(ctx),
    );
    return [{ format: FORMAT, path: dest, ...written }];
  },
};
