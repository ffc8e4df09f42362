import { rm } from "node:fs/promises";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { createGunzip } from "node:zlib";

import { forEachTarEntry } from "../tar/tar-entry";
import { TarSpool } from "../tar/tar-spool";

/** One layer of an image: a tar (plain or gzip'd) in the OCI layer format. */
export interface LayerBlob {
  /** What the layer is called in messages (its digest or path in the archive). */
  name: string;
  /** Opens the layer's bytes; called once, in layer order. */
  open(): Promise<Readable>;
}

/** The whiteout prefix of the OCI layer format: `.wh.<name>` deletes `<name>`. */
const WHITEOUT = ".wh.";
/** The opaque marker: `<dir>/.wh..wh..opq` hides everything lower layers put in `<dir>`. */
const OPAQUE = ".wh..wh..opq";

/**
 * Gives the uncompressed tar of a layer: gzip is recognised by its magic
 * bytes (registries serve gzip'd layers, `docker save` plain ones); zstd is
 * refused with a message naming the layer.
 */
export async function uncompressedLayer(raw: Readable, name: string): Promise<Readable> {
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) {
    raw.destroy();
    throw new Error(`layer ${name} is zstd-compressed, which is not supported yet`);
  }
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const pump = async (): Promise<void> => {
    if (head.length > 0 && !out.write(head)) await waitDrain(out);
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      if (!out.write(next.value)) await waitDrain(out);
    }
    out.end();
  };
  pump().catch((e: unknown) => out.destroy(e as Error));
  out.on("close", () => raw.destroy());
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    out.on("error", (e) => gunzip.destroy(e));
    return out.pipe(gunzip);
  }
  return out;
}

function waitDrain(s: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off("drain", done);
      s.off("close", done);
      resolve();
    };
    s.on("drain", done);
    s.on("close", done);
  });
}

/**
 * Applies one layer to the tree in `spool` by the OCI layer rules:
 * `.wh.<name>` deletes `<name>` (and all below it) from lower layers,
 * `<dir>/.wh..wh..opq` empties `<dir>` of what lower layers put there, an
 * entry replaces the one at its path (a non-directory replacing a directory
 * takes its children with it; a directory over a directory keeps them), and
 * a hard link shares the bytes its target has at that point.
 */
export async function applyLayer(spool: TarSpool, layer: Readable): Promise<void> {
  const thisLayer = new Set<string>();
  const fromThisLayer = (name: string): boolean => thisLayer.has(name);
  await forEachTarEntry(layer, async (header, body) => {
    const name = header.name;
    const base = path.posix.basename(name);
    const dir = path.posix.dirname(name);
    if (base === OPAQUE) {
      if (dir !== ".") spool.removeBelow(dir, fromThisLayer);
      return;
    }
    if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return; // other AUFS metadata: not content
    if (base.startsWith(WHITEOUT)) {
      const target = dir === "." ? base.slice(4) : `${dir}/${base.slice(4)}`;
      if (!thisLayer.has(target)) {
        const was = spool.get(target);
        spool.remove(target);
        if (was === undefined || was.type === "directory") spool.removeBelow(target, fromThisLayer);
      }
      return;
    }
    const existing = spool.get(name);
    if (
      existing !== undefined &&
      existing.type === "directory" &&
      header.type !== "directory" &&
      !thisLayer.has(name)
    ) {
      spool.removeBelow(name, fromThisLayer);
    }
    await spool.addStream(header, body);
    thisLayer.add(name);
  });
}

/**
 * Flattens `layers` (bottom first) into one tree and returns it as a tar
 * stream sorted by name, parents first, hard links kept as links. File
 * bodies go to the scratch file `spoolPath`, so memory holds only the index;
 * the scratch file is removed when the returned stream closes.
 */
export async function applyLayers(
  layers: readonly LayerBlob[],
  spoolPath: string,
): Promise<Readable> {
  const spool = await TarSpool.create(spoolPath);
  const cleanup = async (): Promise<void> => {
    await spool.close().catch(() => undefined);
    await rm(spoolPath, { force: true });
  };
  try {
    for (const layer of layers) {
      const raw = await layer.open();
      try {
        await applyLayer(spool, await uncompressedLayer(raw, layer.name));
      } catch (e) {
        raw.destroy();
        throw new Error(`layer ${layer.name}: ${(e as Error).message}`, { cause: e });
      }
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  const pack = spool.writeSorted();
  pack.once("close", () => void cleanup());
  // A Node stream for consumers (tar-stream's pack is a streamx stream).
  const out = Readable.from(pack, { objectMode: false, highWaterMark: 1 << 20 });
  out.once("close", () => pack.destroy());
  return out;
}
