/**
 * The spool read as entries (what the boot payload streams from during a
 * build) must be exactly what a reader of the tar the spool writes sees:
 * same headers, same bytes, same order — so the initrd is byte-identical
 * whichever way it is made.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";

import { cpioChunks } from "../../../components/formats/blocks/newc-cpio";
import type { RootfsEntry } from "../../../components/tar/rootfs-entries";
import { scanTar } from "../../../components/tar/tar-scan";
import { readTarEntries } from "../../../components/tar/tar-read";
import { isBootFile } from "../../../components/formats/blocks/boot-files";
import { completeHeader, type TarHeader } from "../../../components/tar/tar-header";
import type { TarSpool } from "../../../components/tar/tar-spool";
import { pseudoRandom, spoolBytes, withSpool } from "./helpers/tar";

const MTIME = 1_600_000_000.75; // not a whole second: tar keeps seconds

function h(name: string, type: TarHeader["type"], extra: Partial<TarHeader> = {}): TarHeader {
  return completeHeader({ name, type, mode: 0o644, uid: 0, gid: 0, mtime: MTIME, ...extra });
}

async function add(spool: TarSpool, header: TarHeader, body?: Buffer): Promise<void> {
  await spool.addStream(
    { ...header, size: body?.length ?? 0 },
    body === undefined ? undefined : Readable.from([body]),
  );
}

/** A root filesystem with every kind of entry the readers must agree on. */
async function fill(spool: TarSpool): Promise<void> {
  await add(spool, h("boot", "directory", { mode: 0o755 }));
  await add(spool, h("boot/kernel", "file"), pseudoRandom(300_000, "kernel"));
  await add(spool, h("boot/cmdline", "file"), Buffer.from("console=ttyS0"));
  await add(spool, h("etc/shadow", "file", { mode: 0 }), Buffer.from("root:*:1::::::\n"));
  await add(
    spool,
    h("usr/bin/tool", "file", { mode: 0o4755, uid: 1000, gid: 100 }),
    pseudoRandom(2_500_000, "tool"),
  );
  await add(spool, h("usr/bin/alias", "link", { linkname: "usr/bin/tool" }));
  await add(spool, h("usr/bin/alias2", "link", { linkname: "usr/bin/tool" }));
  await add(spool, h("usr/lib/empty", "file"), Buffer.alloc(0));
  await add(spool, h("lib/sh", "symlink", { linkname: "/bin/busybox", mode: 0o777 }));
  await add(spool, h("dev/null", "character-device", { devmajor: 1, devminor: 3, mode: 0o666 }));
  await add(spool, h("dev/sda", "block-device", { devmajor: 8, devminor: 0, mode: 0o660 }));
  await add(spool, h("run/fifo", "fifo", { mode: 0o600 }));
  const deep = `${"very-long-directory-name/".repeat(8)}file-with-a-long-name.txt`;
  await add(spool, h(deep, "file"), Buffer.from("deep"));
  await add(spool, h("srv/naïve-ünïcode.txt", "file"), Buffer.from("utf-8 name"));
  await add(spool, h("srv/link-to-long", "symlink", { linkname: `/${deep}` }));
}

async function collect(entries: AsyncIterable<RootfsEntry>): Promise<[unknown, string][]> {
  const out: [unknown, string][] = [];
  for await (const { header, body } of entries) {
    const parts: Buffer[] = [];
    for await (const chunk of body ?? []) parts.push(chunk);
    out.push([header, Buffer.concat(parts).toString("hex")]);
  }
  return out;
}

async function bytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

describe("the spool read as entries", () => {
  it("gives the headers and bytes a reader of its tar gets, in the same order", async () => {
    await withSpool(async (spool, dir) => {
      await fill(spool);
      const tarPath = path.join(dir, "rootfs.tar");
      await writeFile(tarPath, await spoolBytes(spool));
      const fromTar = await collect(readTarEntries(tarPath));
      const fromSpool = await collect(spool.sortedEntries());
      assert.equal(fromSpool.length, fromTar.length);
      assert.deepEqual(fromSpool, fromTar);
      // and again: the reader can be read any number of times
      assert.deepEqual(await collect(spool.reader().entries()), fromTar);
    });
  });

  it("makes the same cpio (hard links counted, boot/ left out) as the tar does", async () => {
    await withSpool(async (spool, dir) => {
      await fill(spool);
      const tarPath = path.join(dir, "rootfs.tar");
      await writeFile(tarPath, await spoolBytes(spool));
      const opts = { skip: isBootFile };
      const viaTar = await bytes(cpioChunks(tarPath, await scanTar(tarPath, opts), opts));
      const reader = spool.reader();
      const viaSpool = await bytes(cpioChunks(reader, await scanTar(reader, opts), opts));
      assert.ok(viaTar.length > 2_500_000);
      assert.equal(viaSpool.toString("hex"), viaTar.toString("hex"));
    });
  });

  it("can no longer change once read", async () => {
    await withSpool(async (spool) => {
      await fill(spool);
      await spool.sortedEntries().next();
      await assert.rejects(
        add(spool, h("late", "file"), Buffer.from("x")),
        /read already; entries can no longer change/,
      );
      assert.throws(() => spool.remove("etc/shadow"), /can no longer change/);
    });
  });
});
