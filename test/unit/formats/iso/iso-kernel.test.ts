/**
 * kernel+iso: the kernel, the command line and an ISO 9660 (Rock Ridge +
 * Joliet) image of the root filesystem without boot/, built without
 * privileges from the tar's headers: modes, owners, times, symlinks,
 * FIFOs, hard links sharing data, awkward names; the same bytes every time.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { formatTable, PLANNED_FORMATS } from "../../../../components/formats/table";
import { kernelIsoFormat, xorrisoWord } from "../../../../components/formats/writers/iso-kernel";
import type { Artifact } from "../../../../components/formats/blocks/types";
import {
  CMDLINE,
  HELLO,
  KERNEL,
  LARGE,
  LONG_FILE,
  rootfsEntries,
  UNICODE_FILE,
  writeTar,
  type FixtureEntry,
} from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { isoFile, isoTree, pvdInfo } from "../../../helpers/formats/iso-inspect";

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

const ODD_NAMES = [
  'odd/quote"double',
  "odd/quote'single",
  "odd/back\\slash",
  "odd/new\nline",
  "odd/$dollar *star?",
];

function entries(): FixtureEntry[] {
  return [
    ...rootfsEntries(),
    { name: "odd", type: "directory" as const, mode: 0o750, uid: 7, gid: 8 },
    ...ODD_NAMES.map((name) => ({ name, type: "file" as const, data: Buffer.from(name) })),
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function writeOnce(
  dir: string,
  tarPath: string,
  run: string,
  log?: (m: string) => void,
): Promise<Artifact[]> {
  const outputDir = path.join(dir, `out-${run}`);
  await mkdir(outputDir, { recursive: true });
  return kernelIsoFormat.write({
    name: "lk",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, `tmp-${run}`),
    options: {},
    log,
  });
}

describe("kernel+iso", () => {
  it("is in the table with LinuxKit's file names", () => {
    assert.equal(formatTable.get("kernel+iso"), kernelIsoFormat);
    assert.ok(!PLANNED_FORMATS.includes("kernel+iso"));
    assert.deepEqual(kernelIsoFormat.files("lk"), ["lk-kernel", "lk.iso", "lk-cmdline"]);
  });

  it("writes the kernel, the command line and a reproducible ISO of the root filesystem", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = path.join(dir, "rootfs.tar");
      await writeTar(tarPath, entries());
      const logs: string[] = [];
      const first = await writeOnce(dir, tarPath, "1", (m) => logs.push(m));
      const second = await writeOnce(dir, tarPath, "2");
      assert.deepEqual(
        first.map((a) => [path.basename(a.path), a.sha256]),
        second.map((a) => [path.basename(a.path), a.sha256]),
        "same tar, same bytes",
      );
      const [kernel, iso, cmdline] = first as [Artifact, Artifact, Artifact];
      assert.deepEqual(await readFile(kernel.path), KERNEL);
      assert.deepEqual(await readFile(cmdline.path), CMDLINE);
      for (const a of first) assert.equal(a.sha256, sha256(await readFile(a.path)));
      assert.ok(
        logs.some((l) => /2 device node\(s\) left out \(dev\/null, dev\/sda\)/.test(l)),
        logs.join("\n"),
      );

      const tree = new Map(isoTree(iso.path).map((e) => [e.path, e]));
      assert.ok(!tree.has("/boot/kernel") && !tree.has("/boot/cmdline"), "boot/ is left out");
      assert.ok(tree.has("/boot"), "the boot directory itself stays, as in LinuxKit");
      assert.ok(!tree.has("/dev/null") && !tree.has("/dev/sda"), "no device nodes");
      const at = (p: string): NonNullable<ReturnType<typeof tree.get>> => {
        const e = tree.get(p);
        assert.ok(e, `${p} in the ISO`);
        return e;
      };
      assert.equal(at("/").mode, "drwxr-xr-x");
      assert.equal(at("/").date, "Jan 1 1980");
      assert.equal(at("/a-dir/large.bin").mode, "-rw-------");
      assert.equal(at("/a-dir/large.bin").size, LARGE.length);
      assert.equal(at("/a-dir/setuid").mode, "-rwsr-xr-x");
      assert.deepEqual([at("/a-dir/setuid").uid, at("/a-dir/setuid").gid], [100, 101]);
      assert.equal(at("/a-dir/hello.txt").date, "Jan 2 2024", "the tar's mtime");
      assert.equal(at("/z-tmp").mode, "drwxrwxrwt");
      assert.equal(at("/dev/pipe").mode, "prw-------");
      assert.equal(at("/deep/nested").mode, "drwxr-xr-x", "an implied parent");
      assert.equal(at("/deep/nested").date, "Jan 1 1980");
      assert.match(at("/links/sym").mode, /^l/);
      assert.equal(at("/links/sym").target, "../a-dir/hello.txt");
      assert.equal(at("/links/sym-abs").target, "/etc/passwd");
      assert.equal(at("/odd").mode, "drwxr-x---");
      assert.deepEqual([at("/odd").uid, at("/odd").gid], [7, 8]);
      assert.ok(tree.has(`/${LONG_FILE}`) && tree.has(`/${UNICODE_FILE}`));

      assert.deepEqual(isoFile(iso.path, "/links/hard-b", path.join(dir, "x1")), HELLO);
      assert.deepEqual(isoFile(iso.path, "/a-dir/large.bin", path.join(dir, "x2")), LARGE);
      for (const name of ODD_NAMES.filter((n) => !n.includes("\n"))) {
        assert.deepEqual(isoFile(iso.path, `/${name}`, path.join(dir, "x3")).toString(), name);
      }
      const listing = spawnSync(
        "xorriso",
        ["-indev", iso.path, "-find", "/odd", "-exec", "lsdl", "--"],
        {
          encoding: "utf8",
        },
      ).stdout;
      assert.equal((listing.match(/^-rw-r--r--/gm) ?? []).length, ODD_NAMES.length, listing);

      const lba = spawnSync(
        "xorriso",
        ["-indev", iso.path, "-find", "/", "-type", "f", "-exec", "report_lba", "--"],
        { encoding: "utf8" },
      ).stdout;
      const start = (p: string): string | undefined =>
        new RegExp(`^File data lba:\\s+\\d+ ,\\s+(\\d+) ,.*'${p}'$`, "m").exec(lba)?.[1];
      assert.ok(start("/a-dir/hello.txt"));
      assert.equal(start("/links/hard-a"), start("/a-dir/hello.txt"), "hard links share data");
      assert.equal(start("/links/hard-b"), start("/a-dir/hello.txt"));

      const pvd = pvdInfo(iso.path);
      assert.equal(pvd.get("Volume Id"), "LINUXKIT");
      assert.match(pvd.get("Creation Time") ?? "", /^\d{16}$/);
    });
  });

  it("quotes any name for xorriso", () => {
    assert.equal(xorrisoWord("/a-b_c.d"), '"/a-b_c.d"');
    assert.equal(xorrisoWord("a \"b'\n\\"), '"a\\x20\\x22b\\x27\\x0a\\x5c"');
    assert.equal(xorrisoWord("é"), '"\\xc3\\xa9"');
  });
});
