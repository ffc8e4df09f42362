/**
 * The layer applier against the OCI image layer rules (image-spec
 * layer.md), with layers written here as real tars: whiteouts, opaque
 * directories, replacement of files and directories, hard links across
 * layers, gzip'd layers; and the `docker save` archive reader in both its
 * layouts (manifest.json with `<id>/layer.tar` and symlinked duplicates,
 * and an OCI layout with index.json and blobs).
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";

import { applyLayers, type LayerBlob } from "../../../components/sources/layer-apply";
import { SavedImage } from "../../../components/sources/saved-image";
import {
  type ReadEntry,
  readTar,
  tarBuffer,
  type TestEntry,
  withTmpDir,
} from "../../helpers/tar-kit";

function blob(name: string, bytes: Buffer): LayerBlob {
  return { name, open: async () => Readable.from([bytes]) };
}

/** Applies layers (each a list of entries) and returns `name type mode uid value` lines. */
async function applied(layers: TestEntry[][], gzip = false): Promise<string[]> {
  return withTmpDir(async (dir) => {
    const blobs = await Promise.all(
      layers.map(async (l, i) => {
        const t = await tarBuffer(l);
        return blob(`layer${i}`, gzip ? gzipSync(t) : t);
      }),
    );
    return lines(await readTar(await applyLayers(blobs, path.join(dir, "spool"))));
  });
}

function lines(entries: ReadEntry[]): string[] {
  return entries.map((e) => {
    const h = e.header;
    const value =
      h.type === "symlink" || h.type === "link" ? `-> ${h.linkname}` : e.data.toString();
    return `${h.name} ${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid} ${value}`.trimEnd();
  });
}

const dir = (name: string, mode = 0o755): TestEntry => ({ name, type: "directory", mode });
const file = (name: string, data: string, mode = 0o644): TestEntry => ({ name, data, mode });

describe("applyLayers: OCI layer rules", () => {
  it("a later layer's entry replaces the earlier one at the same path", async () => {
    assert.deepEqual(
      await applied([[dir("a/"), file("a/f", "one")], [file("a/f", "two", 0o600)]]),
      ["a directory 755 0", "a/f file 600 0 two"],
    );
  });

  it(".wh.<name> deletes a file, and a directory with everything below it", async () => {
    assert.deepEqual(
      await applied([
        [dir("a/"), file("a/f", "x"), file("a/g", "y"), dir("a/d/"), file("a/d/deep", "z")],
        [dir("a/"), file("a/.wh.f", ""), file("a/.wh.d", "")],
      ]),
      ["a directory 755 0", "a/g file 644 0 y"],
    );
  });

  it("a whiteout does not delete what its own layer puts there", async () => {
    assert.deepEqual(await applied([[file("f", "old")], [file("f", "new"), file(".wh.f", "")]]), [
      "f file 644 0 new",
    ]);
  });

  it(".wh..wh..opq empties the directory of lower layers' entries, not of its own layer's", async () => {
    assert.deepEqual(
      await applied([
        [dir("o/"), file("o/old", "1"), dir("o/sub/"), file("o/sub/deep", "2"), file("keep", "k")],
        [dir("o/", 0o700), file("o/early", "3"), file("o/.wh..wh..opq", ""), file("o/late", "4")],
      ]),
      ["keep file 644 0 k", "o directory 700 0", "o/early file 644 0 3", "o/late file 644 0 4"],
    );
  });

  it("a file replacing a directory takes the directory's children with it", async () => {
    assert.deepEqual(
      await applied([
        [dir("p/"), file("p/child", "c")],
        [{ name: "p", type: "symlink", linkname: "/x", mode: 0o777 }],
      ]),
      ["p symlink 777 0 -> /x"],
    );
  });

  it("a directory over a directory keeps the children and takes the new mode and owner", async () => {
    assert.deepEqual(
      await applied([
        [dir("d/"), file("d/c", "c")],
        [{ name: "d/", type: "directory", mode: 0o750, uid: 9 }],
      ]),
      ["d directory 750 9", "d/c file 644 0 c"],
    );
  });

  it("a hard link to a lower layer's file stays a link, with the bytes the target had", async () => {
    assert.deepEqual(
      await applied([
        [file("bin/tool", "v1", 0o755)],
        [{ name: "bin/alias", type: "link", linkname: "bin/tool" }],
      ]),
      ["bin directory 755 0", "bin/alias file 755 0 v1", "bin/tool link 755 0 -> bin/alias"],
    );
  });

  it("AUFS metadata (.wh..wh.plnk and the like) is not content", async () => {
    assert.deepEqual(await applied([[file("a", "1"), file(".wh..wh.plnk", ""), file("b", "2")]]), [
      "a file 644 0 1",
      "b file 644 0 2",
    ]);
  });

  it("gzip'd layers (as registries serve them) apply the same", async () => {
    const layers = [
      [dir("a/"), file("a/f", "x")],
      [file("a/.wh.f", ""), file("a/g", "y")],
    ];
    assert.deepEqual(await applied(layers, true), await applied(layers));
  });

  it("a zstd layer is refused with a message naming it", async () => {
    await withTmpDir(async (d) => {
      const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
      await assert.rejects(
        applyLayers([blob("sha256:abc", zstd)], path.join(d, "s")),
        /layer sha256:abc.*zstd/,
      );
    });
  });
});

describe("SavedImage: docker save archives", () => {
  async function layersOf(archive: TestEntry[], id: string): Promise<string[]> {
    return withTmpDir(async (d) => {
      await mkdir(path.join(d, "a"));
      const saved = await SavedImage.unpack(
        Readable.from([await tarBuffer(archive)]),
        path.join(d, "a"),
      );
      const layers = await saved.layers(id);
      return lines(await readTar(await applyLayers(layers, path.join(d, "spool"))));
    });
  }

  it("legacy layout: manifest.json last, layer.tar per id, a symlinked duplicate layer", async () => {
    const l1 = await tarBuffer([file("one", "1")]);
    const l2 = await tarBuffer([file("two", "2")]);
    const manifest = [
      {
        Config: "c0ffee.json",
        RepoTags: ["x:1"],
        Layers: ["aa/layer.tar", "bb/layer.tar", "cc/layer.tar"],
      },
    ];
    assert.deepEqual(
      await layersOf(
        [
          dir("aa/"),
          { name: "aa/layer.tar", data: l1 },
          dir("bb/"),
          { name: "bb/layer.tar", data: l2 },
          dir("cc/"),
          { name: "cc/layer.tar", type: "symlink", linkname: "../aa/layer.tar" },
          file("c0ffee.json", "{}"),
          file("manifest.json", JSON.stringify(manifest)),
        ],
        "sha256:c0ffee",
      ),
      ["one file 644 0 1", "two file 644 0 2"],
    );
  });

  it("OCI layout (Docker 25+): index.json → manifest blob → layer blobs", async () => {
    const l1 = await tarBuffer([file("from-oci", "yes")]);
    const manifest = {
      config: { digest: "sha256:cafe" },
      layers: [{ digest: "sha256:1111" }],
    };
    const index = { manifests: [{ digest: "sha256:2222" }] };
    assert.deepEqual(
      await layersOf(
        [
          file("oci-layout", '{"imageLayoutVersion":"1.0.0"}'),
          { name: "blobs/sha256/1111", data: gzipSync(l1) },
          file("blobs/sha256/2222", JSON.stringify(manifest)),
          file("index.json", JSON.stringify(index)),
        ],
        "sha256:cafe",
      ),
      ["from-oci file 644 0 yes"],
    );
  });

  it("an archive without a manifest for the image is an error saying so", async () => {
    await assert.rejects(
      layersOf([file("other", "x")], "sha256:beef"),
      /no manifest for sha256:beef/,
    );
  });
});
