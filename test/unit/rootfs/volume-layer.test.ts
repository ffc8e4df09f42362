import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { RESOLV_CONF_SYMLINK } from "../../../components/rootfs/image-filter";
import { addVolumeLayer } from "../../../components/rootfs/volume-layer";
import { FIXED_MTIME } from "../../../components/tar/tar-header";
import type { ImageSource, ResolvedImage } from "../../../components/sources/image-source";
import { byName, spoolEntries, tarStream, withSpool, type TestEntry } from "./helpers/tar";

const VOLUME_IMAGE: ResolvedImage = { ref: "alpine:3.21", id: "sha256:vol", labels: {} };

/** A source holding one image made of `entries`. */
function sourceOf(entries: TestEntry[]): ImageSource {
  return {
    resolve: () => Promise.resolve(VOLUME_IMAGE),
    exportRootfs: (image) => {
      assert.equal(image.id, VOLUME_IMAGE.id);
      return tarStream(entries);
    },
  };
}

const ALPINE_LIKE: TestEntry[] = [
  { name: "bin/busybox", mode: 0o755, data: "BUSYBOX" },
  { name: "etc/resolv.conf", data: "nameserver 8.8.8.8\n" },
  { name: "etc/hosts", data: "127.0.0.1 alpine\n" },
];

describe("addVolumeLayer", () => {
  for (const [title, entries] of [
    ["has", ALPINE_LIKE],
    ["lacks", ALPINE_LIKE.filter((e) => e.name !== "etc/resolv.conf")],
  ] as const) {
    it(`a volume image that ${title} etc/resolv.conf gets LinuxKit's resolv.conf symlink, as init images do`, async () => {
      const m = await withSpool(async (spool) => {
        await addVolumeLayer(
          spool,
          sourceOf([...entries]),
          { name: "vola", image: "alpine:3.21" },
          VOLUME_IMAGE,
        );
        return byName(await spoolEntries(spool));
      });
      const resolv = m.get("containers/volumes/vola/lower/etc/resolv.conf")?.header;
      assert.deepEqual(
        [resolv?.type, resolv?.linkname, resolv?.mtime.getTime()],
        ["symlink", RESOLV_CONF_SYMLINK, FIXED_MTIME * 1000],
      );
      const hosts = m.get("containers/volumes/vola/lower/etc/hosts");
      assert.equal(hosts?.header.type, "file", "etc/hosts is still replaced by a file");
      assert.match(hosts?.data.toString() ?? "", /^127\.0\.0\.1 +localhost\n/);
      assert.equal(m.get("containers/volumes/vola/lower/bin/busybox")?.data.toString(), "BUSYBOX");
    });
  }

  it("a blank volume is empty lower/, tmp/ and merged/ directories", async () => {
    const entries = await withSpool(async (spool) => {
      await addVolumeLayer(spool, sourceOf([]), { name: "blank" }, undefined);
      return spoolEntries(spool);
    });
    assert.deepEqual(
      entries.map((e) => [e.header.name.replace(/\/$/, ""), e.header.type, e.header.mode]),
      [
        ["containers", "directory", 0o755],
        ["containers/volumes", "directory", 0o755],
        ["containers/volumes/blank", "directory", 0o755],
        ["containers/volumes/blank/lower", "directory", 0o755],
        ["containers/volumes/blank/merged", "directory", 0o755],
        ["containers/volumes/blank/tmp", "directory", 0o755],
      ],
    );
  });

  it('refuses format "oci", naming the volume and what to use instead', async () => {
    await withSpool(async (spool) => {
      await assert.rejects(
        addVolumeLayer(
          spool,
          sourceOf(ALPINE_LIKE),
          { name: "v", image: "alpine:3.21", format: "oci" },
          VOLUME_IMAGE,
        ),
        /volume v: format "oci" is not supported yet/,
      );
    });
  });
});
