import { createReadStream, createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { forEachTarEntry } from "../tar/tar-entry";
import type { LayerBlob } from "./layer-apply";

/** One image in a `docker save` archive's manifest.json. */
interface SaveManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** An OCI image index or manifest (index.json of an OCI layout, or a blob). */
interface OciDocument {
  mediaType?: string;
  manifests?: { digest: string; mediaType?: string }[];
  config?: { digest: string };
  layers?: { digest: string }[];
}

/**
 * The files of an image archive, unpacked to disk: `docker save` writes
 * `manifest.json` (any position in the archive, often last), layer tars
 * (`<id>/layer.tar` before Docker 25, `blobs/sha256/<hex>` in the OCI
 * layout after) and symlinks between identical layers.
 */
export class SavedImage {
  private constructor(
    private readonly files: ReadonlyMap<string, string>,
    private readonly links: ReadonlyMap<string, string>,
  ) {}

  /**
   * Unpacks the archive `archive` into `dir` (which must exist and be
   * empty): every regular file becomes `dir/<n>`, streamed, so memory holds
   * only the list of names.
   */
  static async unpack(archive: Readable, dir: string): Promise<SavedImage> {
    const files = new Map<string, string>();
    const links = new Map<string, string>();
    await forEachTarEntry(archive, async (header, body) => {
      if (header.type === "file") {
        const file = path.join(dir, String(files.size));
        await pipeline(body, createWriteStream(file));
        files.set(header.name, file);
      } else if (header.type === "symlink") {
        links.set(
          header.name,
          path.posix.join(path.posix.dirname(header.name), header.linkname ?? ""),
        );
      } else if (header.type === "link" && header.linkname !== undefined) {
        links.set(header.name, header.linkname);
      }
    });
    return new SavedImage(files, links);
  }

  /** The file on disk holding archive member `name` (symlinks followed). */
  private fileOf(name: string): string | undefined {
    let n = path.posix.normalize(name).replace(/^\.\//, "");
    for (let hops = 0; hops < 16; hops++) {
      const file = this.files.get(n);
      if (file !== undefined) return file;
      const next = this.links.get(n);
      if (next === undefined) return undefined;
      n = path.posix.normalize(next);
    }
    return undefined;
  }

  private async json<T>(name: string): Promise<T | undefined> {
    const file = this.fileOf(name);
    if (file === undefined) return undefined;
    return JSON.parse(await readFile(file, "utf8")) as T;
  }

  private blob(digest: string): string {
    return `blobs/${digest.replace(":", "/")}`;
  }

  /**
   * The layers of image `id` (its config digest), bottom first. Reads
   * `manifest.json` when present, else the OCI layout's `index.json`.
   */
  async layers(id: string): Promise<LayerBlob[]> {
    const hex = id.replace(/^sha256:/, "");
    let names: string[] | undefined;
    const manifest = await this.json<SaveManifestEntry[]>("manifest.json");
    if (manifest !== undefined) {
      const entry =
        manifest.find((m) => path.posix.basename(m.Config).replace(/\.json$/, "") === hex) ??
        (manifest.length === 1 ? manifest[0] : undefined);
      names = entry?.Layers;
    } else {
      names = await this.ociLayers(hex);
    }
    if (names === undefined) {
      throw new Error(
        `the image archive has no manifest for ${id} (members: ${[...this.files.keys()].slice(0, 8).join(", ")})`,
      );
    }
    return names.map((name) => {
      const file = this.fileOf(name);
      if (file === undefined) throw new Error(`the image archive lacks layer ${name}`);
      return {
        name,
        open: async () => createReadStream(file, { highWaterMark: 1 << 20 }),
      };
    });
  }

  /** Layers from an OCI layout: index.json → (nested indexes) → the manifest whose config is `hex`. */
  private async ociLayers(hex: string): Promise<string[] | undefined> {
    const index = await this.json<OciDocument>("index.json");
    if (index === undefined) return undefined;
    const queue = [...(index.manifests ?? [])];
    for (let seen = 0; queue.length > 0 && seen < 64; seen++) {
      const d = queue.shift()!;
      const doc = await this.json<OciDocument>(this.blob(d.digest));
      if (doc === undefined) continue;
      if (doc.manifests !== undefined) queue.push(...doc.manifests);
      if (doc.config !== undefined && doc.layers !== undefined) {
        if (doc.config.digest.replace(/^sha256:/, "") === hex || index.manifests?.length === 1) {
          return doc.layers.map((l) => this.blob(l.digest));
        }
      }
    }
    return undefined;
  }
}
