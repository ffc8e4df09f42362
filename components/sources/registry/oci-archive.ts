import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { forEachTarEntry } from "../../tar/tar-entry";
import type { TarHeader } from "../../tar/tar-header";
import { tarOfEntries } from "../../tar/tar-write";
import type { Descriptor, ImageIndex } from "./media-types";
import { MEDIA } from "./media-types";
import { OciLayout, REF_NAME } from "./oci-layout";

/**
 * Writes the images `names` (all when empty) of `layout`, with every blob
 * they reach, as an OCI layout in a tar at `file`: what `cache import`
 * reads on a machine without network access.
 */
export async function exportLayout(
  layout: OciLayout,
  file: string,
  names: readonly string[] = [],
): Promise<{ images: number; blobs: number; bytes: number }> {
  const index = await layout.readIndex();
  const entries =
    names.length === 0
      ? index.manifests
      : index.manifests.filter((m) => names.includes(m.annotations?.[REF_NAME] ?? ""));
  const missing = names.filter((n) => !entries.some((m) => m.annotations?.[REF_NAME] === n));
  if (missing.length > 0) throw new Error(`not in the cache: ${missing.join(", ")}`);
  const blobs = [...(await layout.reachable(entries))].sort();
  const header = (name: string, size: number): TarHeader => ({
    name,
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 0,
    size,
    linkname: "",
    devmajor: 0,
    devminor: 0,
  });
  let bytes = 0;
  const { stream, fed } = tarOfEntries(async (add) => {
    const small = async (name: string, data: Buffer): Promise<void> =>
      add(header(name, data.length), [data] as unknown as AsyncIterable<Buffer>);
    await small("oci-layout", Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    const doc: ImageIndex = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: entries };
    await small("index.json", Buffer.from(JSON.stringify(doc, null, 2) + "\n"));
    for (const digest of blobs) {
      const size = (await stat(layout.blobPath(digest))).size;
      bytes += size;
      await add(header(`blobs/${digest.replace(":", "/")}`, size), layout.openBlob(digest));
    }
  });
  await Promise.all([pipeline(stream, createWriteStream(file)), fed]);
  return { images: entries.length, blobs: blobs.length, bytes };
}

/**
 * Reads an OCI layout tar (from `cache export`, or any tool writing OCI
 * layouts) into `layout`: every blob is verified against its name while it
 * streams (a bad one fails the import and is not kept), then the names of
 * index.json are added. Returns the names imported.
 */
export async function importLayout(layout: OciLayout, archive: Readable): Promise<string[]> {
  let index: ImageIndex | undefined;
  await forEachTarEntry(archive, async (header, body) => {
    const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(header.name);
    if (header.type === "file" && m) {
      const digest = `sha256:${m[1]}`;
      if (await layout.hasBlob(digest)) {
        body.resume();
        return;
      }
      await layout.putBlob(digest, body, { size: header.size });
      return;
    }
    if (header.type === "file" && header.name === "index.json") {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      index = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ImageIndex;
      return;
    }
    body.resume();
  });
  if (index === undefined) throw new Error("the archive has no index.json: not an OCI layout");
  const named: Descriptor[] = [];
  for (const m of index.manifests ?? []) {
    if (m.annotations?.[REF_NAME] && (await layout.hasBlob(m.digest))) named.push(m);
  }
  const names = new Set(named.map((m) => m.annotations![REF_NAME]!));
  await layout.updateIndex((entries) => [
    ...entries.filter((e) => !names.has(e.annotations?.[REF_NAME] ?? "")),
    ...named.map((m) => ({
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.size,
      annotations: { [REF_NAME]: m.annotations![REF_NAME]! },
    })),
  ]);
  return [...names];
}
