import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import { addImageLayer } from "../../../components/rootfs/image-filter";
import { FIXED_MTIME } from "../../../components/tar/tar-header";
import {
  INPUT_MTIME,
  byName,
  gnuExtract,
  names,
  spoolBytes,
  spoolEntries,
  tarStream,
  withSpool,
  type ReadEntry,
  type TestEntry,
} from "./helpers/tar";

/** LinuxKit's replacement /etc/hosts (moby/build/image.go). */
const HOSTS = `127.0.0.1       localhost
::1     localhost ip6-localhost ip6-loopback
fe00::0 ip6-localnet
ff00::0 ip6-mcastprefix
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
`;
const RESOLV_CONF = "\n# no resolv.conf configured\n";

/** What `docker export` of a created container looks like (names with ./ and trailing slashes as Docker writes them). */
const DOCKER_EXPORT: TestEntry[] = [
  { name: ".dockerenv", mode: 0o755, data: "" },
  { name: "Dockerfile", data: "FROM scratch\n" },
  { name: "bin/", type: "directory" },
  { name: "bin/busybox", mode: 0o755, data: "BUSYBOX" },
  { name: "bin/sh", type: "link", linkname: "bin/busybox", mode: 0o755 },
  { name: "dev/", type: "directory" },
  { name: "dev/console", mode: 0o755, data: "" },
  { name: "dev/pts/", type: "directory" },
  { name: "dev/pts/ptmx", type: "character-device", mode: 0o666, devmajor: 5, devminor: 2 },
  { name: "dev/shm/", type: "directory", mode: 0o1777 },
  { name: "dev/shm/leftover", data: "x" },
  { name: "etc/", type: "directory" },
  { name: "etc/hostname", mode: 0o755, data: "0123456789ab\n" },
  { name: "etc/hosts", mode: 0o755, data: "172.17.0.2 0123456789ab\n" },
  { name: "etc/resolv.conf", mode: 0o755, data: "nameserver 8.8.8.8\n" },
  { name: "etc/passwd", data: "root:x:0:0::/root:/bin/sh\n" },
  { name: "proc/", type: "directory", mode: 0o555 },
  { name: "sys/", type: "directory" },
  { name: "app/Dockerfile", data: "not Docker's" },
  { name: "usr/etc/hostname", data: "not Docker's either" },
];

/** The spool's output after adding one image made of `entries`. */
async function layer(
  entries: TestEntry[],
  options: Parameters<typeof addImageLayer>[2],
): Promise<ReadEntry[]> {
  return withSpool(async (spool) => {
    await addImageLayer(spool, await tarStream(entries), options);
    return spoolEntries(spool);
  });
}

describe("addImageLayer: Docker's injected files", () => {
  it("drops .dockerenv, Dockerfile, dev/console, etc/hostname, dev/pts and dev/shm by exact name", async () => {
    const m = byName(await layer(DOCKER_EXPORT, { prefix: "" }));
    for (const gone of [".dockerenv", "Dockerfile", "dev/console", "etc/hostname"]) {
      assert.equal(m.has(gone), false, `${gone} must be dropped`);
    }
    // LinuxKit matches exact names: what is below dev/pts and dev/shm stays.
    assert.equal(m.get("dev/pts/ptmx")?.header.type, "character-device");
    assert.equal(m.get("dev/shm/leftover")?.data.toString(), "x");
  });

  it("drops those names only at the image root", async () => {
    const m = byName(await layer(DOCKER_EXPORT, { prefix: "" }));
    assert.equal(m.get("app/Dockerfile")?.data.toString(), "not Docker's");
    assert.equal(m.get("usr/etc/hostname")?.data.toString(), "not Docker's either");
  });

  it("re-creates dev/pts and dev/shm as plain root-owned 0755 directories", async () => {
    const m = byName(await layer(DOCKER_EXPORT, { prefix: "" }));
    for (const d of ["dev/pts", "dev/shm"]) {
      const h = m.get(d)?.header;
      assert.deepEqual(
        [h?.type, h?.mode, h?.uid, h?.mtime.getTime()],
        ["directory", 0o755, 0, 0],
        d,
      );
    }
  });

  it("replaces etc/hosts and etc/resolv.conf by root-owned 0644 files at the fixed mtime, whatever the image's mode", async () => {
    const m = byName(await layer(DOCKER_EXPORT, { prefix: "" }));
    const hosts = m.get("etc/hosts")!;
    const resolv = m.get("etc/resolv.conf")!;
    assert.equal(hosts.data.toString(), HOSTS);
    assert.equal(resolv.data.toString(), RESOLV_CONF);
    for (const e of [hosts, resolv]) {
      assert.equal(e.header.type, "file");
      // LinuxKit writes its `touch` header after the replaced one: that is what extracts.
      assert.equal(e.header.mode, 0o644);
      assert.equal(e.header.uid, 0);
      assert.equal(e.header.mtime.getTime(), FIXED_MTIME * 1000);
    }
  });

  it("keeps an image's symlinked etc/resolv.conf and etc/hosts (LinuxKit fails the build there)", async () => {
    const m = byName(
      await layer(
        [
          { name: "etc/", type: "directory" },
          {
            name: "etc/resolv.conf",
            type: "symlink",
            linkname: "../run/systemd/resolve/stub-resolv.conf",
          },
          { name: "etc/hosts", type: "symlink", linkname: "/run/hosts", uid: 3 },
        ],
        { prefix: "" },
      ),
    );
    const resolv = m.get("etc/resolv.conf")!.header;
    assert.deepEqual(
      [resolv.type, resolv.linkname, resolv.mtime.getTime()],
      ["symlink", "../run/systemd/resolve/stub-resolv.conf", 0],
    );
    const hosts = m.get("etc/hosts")!.header;
    assert.deepEqual([hosts.type, hosts.linkname, hosts.uid], ["symlink", "/run/hosts", 3]);
  });

  it("keeps every other entry as it is, mtime included", async () => {
    const m = byName(await layer(DOCKER_EXPORT, { prefix: "" }));
    assert.equal(m.get("etc/passwd")?.data.toString(), "root:x:0:0::/root:/bin/sh\n");
    assert.equal(m.get("etc/passwd")?.header.mtime.getTime(), INPUT_MTIME.getTime());
    assert.equal(m.get("bin/busybox")?.header.mode, 0o755);
    assert.equal(m.get("bin/sh")?.header.type, "link");
    assert.equal(m.get("bin/sh")?.header.linkname, "bin/busybox");
  });

  it("ensured directories the image has become root-owned 0755 at the fixed mtime, children kept", async () => {
    const m = byName(await layer(DOCKER_EXPORT, { prefix: "" }));
    for (const n of ["dev", "etc", "proc", "sys"]) {
      const h = m.get(n)?.header;
      assert.deepEqual(
        [h?.type, h?.mode, h?.uid, h?.mtime.getTime()],
        ["directory", 0o755, 0, 0],
        n,
      );
    }
    assert.equal(m.get("etc/passwd")?.data.toString(), "root:x:0:0::/root:/bin/sh\n");
  });
});

describe("addImageLayer: resolvConfSymlink", () => {
  const cases: { title: string; entries: TestEntry[] }[] = [
    { title: "an image that has etc/resolv.conf", entries: DOCKER_EXPORT },
    { title: "an image without etc/resolv.conf", entries: [{ name: "bin/x", data: "x" }] },
  ];
  for (const c of cases) {
    it(`makes etc/resolv.conf a symlink for ${c.title}`, async () => {
      const m = byName(
        await layer(c.entries, { prefix: "", resolvConfSymlink: "/run/resolvconf/resolv.conf" }),
      );
      const h = m.get("etc/resolv.conf")!.header;
      assert.equal(h.type, "symlink");
      assert.equal(h.linkname, "/run/resolvconf/resolv.conf");
      assert.equal(h.mtime.getTime(), FIXED_MTIME * 1000);
      assert.equal(m.get("etc/hosts")?.header.type, "file", "hosts is still a file");
    });
  }
});

describe("addImageLayer: ensured paths", () => {
  it("creates what a bare image lacks: dev, dev/pts, dev/shm, etc, etc/hosts, etc/mtab, etc/resolv.conf, proc, sys", async () => {
    const entries = await layer([{ name: "bin/x", mode: 0o755, data: "x" }], { prefix: "" });
    const summary = entries.map((e) => [
      e.header.name.replace(/\/$/, ""),
      e.header.type,
      e.header.mode.toString(8),
      e.header.uid,
      e.header.gid,
      e.header.type === "symlink" ? e.header.linkname : e.data.toString(),
    ]);
    assert.deepEqual(summary, [
      ["bin", "directory", "755", 0, 0, ""],
      ["bin/x", "file", "755", 0, 0, "x"],
      ["dev", "directory", "755", 0, 0, ""],
      ["dev/pts", "directory", "755", 0, 0, ""],
      ["dev/shm", "directory", "755", 0, 0, ""],
      ["etc", "directory", "755", 0, 0, ""],
      ["etc/hosts", "file", "644", 0, 0, HOSTS],
      ["etc/mtab", "symlink", "755", 0, 0, "/proc/mounts"],
      ["etc/resolv.conf", "file", "644", 0, 0, RESOLV_CONF],
      ["proc", "directory", "755", 0, 0, ""],
      ["sys", "directory", "755", 0, 0, ""],
    ]);
    for (const e of entries.slice(2))
      assert.equal(e.header.mtime.getTime(), FIXED_MTIME * 1000, e.header.name);
  });

  it("leaves an image's own etc/mtab alone (apart from the mtime)", async () => {
    const m = byName(
      await layer([{ name: "etc/mtab", type: "symlink", linkname: "../proc/self/mounts" }], {
        prefix: "",
      }),
    );
    assert.equal(m.get("etc/mtab")?.header.linkname, "../proc/self/mounts");
    assert.equal(m.get("etc/mtab")?.header.mtime.getTime(), 0);
  });
});

describe("addImageLayer: prefix", () => {
  const prefix = "containers/services/web/lower";

  it("moves every entry below the prefix, hard-link targets included, and ensures paths there", async () => {
    await withSpool(async (spool, tmp) => {
      await addImageLayer(spool, await tarStream(DOCKER_EXPORT), { prefix });
      const entries = await spoolEntries(spool);
      const all = names(entries);
      const outside = all.filter(
        (n) => n !== prefix && !n.startsWith(`${prefix}/`) && !prefix.startsWith(`${n}/`),
      );
      assert.deepEqual(outside, [], "nothing lands outside the prefix");
      const m = byName(entries);
      assert.equal(m.get(`${prefix}/bin/sh`)?.header.type, "link");
      assert.equal(m.get(`${prefix}/bin/sh`)?.header.linkname, `${prefix}/bin/busybox`);
      assert.equal(m.get(`${prefix}/etc/hosts`)?.data.toString(), HOSTS);
      assert.equal(
        m.get(`${prefix}/etc/mtab`)?.header.linkname,
        "/proc/mounts",
        "symlink targets are not moved",
      );
      assert.equal(m.has(`${prefix}/.dockerenv`), false);
      for (const d of ["containers", "containers/services", "containers/services/web", prefix]) {
        assert.equal(m.get(d)?.header.type, "directory", d);
        assert.equal(m.get(d)?.header.mode, 0o755, d);
      }

      const root = await gnuExtract(await spoolBytes(spool), tmp);
      const [busybox, sh] = await Promise.all([
        stat(path.join(root, prefix, "bin/busybox")),
        stat(path.join(root, prefix, "bin/sh")),
      ]);
      assert.equal(busybox.ino, sh.ino, "the hard link is one inode after extraction");
      assert.equal(await readFile(path.join(root, prefix, "bin/sh"), "utf8"), "BUSYBOX");
    });
  });

  it("a link name sorting before its target still extracts (the data moves to the first name)", async () => {
    await withSpool(async (spool, tmp) => {
      await addImageLayer(
        spool,
        await tarStream([
          { name: "usr/bin/zz-real", data: "real" },
          { name: "usr/bin/aa-alias", type: "link", linkname: "usr/bin/zz-real" },
        ]),
        { prefix },
      );
      const root = await gnuExtract(await spoolBytes(spool), tmp);
      assert.equal(await readFile(path.join(root, prefix, "usr/bin/aa-alias"), "utf8"), "real");
      assert.equal(await readFile(path.join(root, prefix, "usr/bin/zz-real"), "utf8"), "real");
    });
  });

  it("drops a hard link to a dropped file (it could not be extracted)", async () => {
    const m = byName(
      await layer(
        [
          { name: "etc/hostname", data: "h" },
          { name: "etc/name", type: "link", linkname: "etc/hostname" },
        ],
        { prefix },
      ),
    );
    assert.equal(m.has(`${prefix}/etc/name`), false);
  });

  it("two images at different prefixes do not disturb each other, nor the root filesystem", async () => {
    await withSpool(async (spool) => {
      await addImageLayer(spool, await tarStream([{ name: "etc/hosts", data: "root's own" }]), {
        prefix: "",
      });
      await addImageLayer(spool, await tarStream([{ name: "a", data: "1" }]), {
        prefix: "containers/onboot/000-a/lower",
      });
      await addImageLayer(spool, await tarStream([{ name: "a", data: "2" }]), {
        prefix: "containers/onboot/001-b/lower",
      });
      const m = byName(await spoolEntries(spool));
      assert.equal(m.get("etc/hosts")?.data.toString(), HOSTS);
      assert.equal(m.get("containers/onboot/000-a/lower/a")?.data.toString(), "1");
      assert.equal(m.get("containers/onboot/001-b/lower/a")?.data.toString(), "2");
      assert.equal(m.has("containers/onboot/000-a/lower/etc/hosts"), true);
    });
  });
});
