/**
 * The disk formats end to end without booting (disk-boot.test.ts boots
 * them): every format is built twice from the same root filesystem, at
 * different times into different directories, and must come out
 * byte-identical; each artifact's structure is checked (partition tables,
 * FAT contents, qemu-img's view, VHD footers, VMDK descriptor, the gcp
 * tar's member rules); sizes follow `diskSizeMiB`; a disk too small or a
 * missing tool fails before anything is published.
 */
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, symlink } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createGunzip } from "node:zlib";
import { isLinuxKitError } from "../../../components/errors/errors";
import { SYSLINUX_MBR } from "../../../components/formats/blocks/disk-boot";
import { decodeTarNumber12 } from "../../../components/formats/writers/gcp";
import { parseGptHeader } from "../../../components/formats/blocks/gpt";
import { parseMbr } from "../../../components/formats/blocks/mbr";
import { checkFormatTools, formatTable, PLANNED_FORMATS } from "../../../components/formats/table";
import { findOnPath } from "../../../components/formats/blocks/tools";
import type { Artifact, FormatOptions } from "../../../components/formats/blocks/types";
import {
  parseVhdDynamicHeader,
  parseVhdFooter,
  VHD_DISK_TYPE,
} from "../../../components/formats/writers/vhd";
import { readVmdkDescriptor } from "../../../components/formats/writers/vmdk";
import { bootSkipReason, TEST_CMDLINE, writeMinimalBootTar } from "../../helpers/formats/disk-boot";
import { run } from "../../helpers/formats/run";
import { withTmpDir } from "../../helpers/formats/tmp";
import { toolClockSkipReason, withToolClock } from "../../helpers/formats/tool-clock";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Every disk format and the file it publishes for base name `lk`. */
const DISK_FORMATS: Record<string, string> = {
  "raw-bios": "lk-bios.img",
  "raw-efi": "lk-efi.img",
  "qcow2-bios": "lk.qcow2",
  "qcow2-efi": "lk-efi.qcow2",
  gcp: "lk.img.tar.gz",
  vhd: "lk.vhd",
  "dynamic-vhd": "lk.vhd",
  vmdk: "lk.vmdk",
  aws: "lk.raw",
};

let work = "";
let rootfs = "";
let skipReason: string | undefined;
/** Round 1 and round 2 artifacts, by format. */
const round1 = new Map<string, Artifact>();
const round2 = new Map<string, Artifact>();
const seconds = new Map<string, number>();

async function buildOne(
  format: string,
  tarPath: string,
  dir: string,
  options: FormatOptions = {},
): Promise<Artifact> {
  const f = formatTable.get(format);
  assert.ok(f, `${format} is in the formats table`);
  const outputDir = path.join(dir, "out");
  await mkdir(outputDir, { recursive: true });
  const [a, ...rest] = await f.write({
    name: "lk",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, "tmp"),
    options,
  });
  assert.ok(a && rest.length === 0, `${format} publishes one file`);
  return a;
}

async function sha256Of(file: string): Promise<string> {
  const { createHash } = await import("node:crypto");
  const h = createHash("sha256");
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest("hex");
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, position);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** `mdir -a -b` of the FAT file system at `offset` in `image`: its paths, sorted. */
function fatListing(image: string, offset: number): string[] {
  return run("mdir", ["-i", `${image}@@${offset}`, "-a", "-b", "-/", "::/"], {})
    .toString()
    .split("\n")
    .map((l) => l.trim().replace(/^::\//, ""))
    .filter((l) => l !== "" && !l.endsWith("/"))
    .sort();
}

function fatFile(image: string, offset: number, name: string): string {
  return run("mtype", ["-i", `${image}@@${offset}`, `::/${name}`]).toString();
}

function qemuInfo(file: string, format: string): Record<string, unknown> {
  return JSON.parse(
    run("qemu-img", ["info", "-f", format, "--output=json", file]).toString(),
  ) as Record<string, unknown>;
}

before(async () => {
  skipReason = (await bootSkipReason(true)) ?? (await toolClockSkipReason());
  if (skipReason !== undefined) return;
  process.env.MTOOLS_SKIP_CHECK = "1";
  work = await mkdtemp(path.join((await import("node:os")).tmpdir(), "lk-disk-formats-"));
  rootfs = path.join(work, "rootfs.tar");
  await writeMinimalBootTar(rootfs);
  for (const format of Object.keys(DISK_FORMATS)) {
    const started = Date.now();
    round1.set(format, await buildOne(format, rootfs, path.join(work, "r1", format)));
    seconds.set(format, (Date.now() - started) / 1000);
  }
  // VHD footers and FAT entries carry seconds: round 2's tools run under another wall clock.
  const tools = Object.keys(DISK_FORMATS).flatMap((format) =>
    (formatTable.get(format)?.requiredTools ?? []).map((t) => t.command),
  );
  await withToolClock("2011-06-15 12:34:56", tools, work, async () => {
    for (const format of Object.keys(DISK_FORMATS)) {
      round2.set(format, await buildOne(format, rootfs, path.join(work, "r2", format)));
    }
  });
});

after(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

describe("disk formats: table rows", () => {
  it("are implemented with LinuxKit's file names, none still planned", () => {
    for (const [format, file] of Object.entries(DISK_FORMATS)) {
      const f = formatTable.get(format);
      assert.ok(f, format);
      assert.deepEqual(f.files("lk"), [file], format);
      assert.ok(!PLANNED_FORMATS.includes(format), `${format} not planned any more`);
    }
  });

  it("declare the tools they run with their Debian packages", () => {
    const tools = (n: string): string[] =>
      (formatTable.get(n)?.requiredTools ?? []).map((t) => `${t.command}:${t.debianPackage}`);
    for (const n of ["raw-bios", "aws", "gcp", "vhd", "dynamic-vhd", "vmdk", "qcow2-bios"]) {
      assert.ok(tools(n).includes("syslinux:syslinux"), n);
      assert.ok(tools(n).includes("mcopy:mtools"), n);
    }
    for (const n of ["raw-efi", "qcow2-efi"])
      assert.ok(tools(n).includes("grub-mkimage:grub-common"), n);
    for (const n of ["qcow2-bios", "qcow2-efi", "vhd", "dynamic-vhd", "vmdk"]) {
      assert.ok(tools(n).includes("qemu-img:qemu-utils"), n);
    }
  });

  it("a missing tool is TOOL_MISSING naming the Debian package, before any work", async (t) => {
    if ((await findOnPath("syslinux")) === undefined) {
      t.skip("needs the tools installed to hide one of them");
      return;
    }
    await withTmpDir(async (dir) => {
      // A PATH with every tool of the vmdk format except qemu-img.
      for (const tool of formatTable.get("vmdk")?.requiredTools ?? []) {
        if (tool.command === "qemu-img") continue;
        const real = await findOnPath(tool.command);
        if (real !== undefined)
          await symlink(real, path.join(dir, tool.command)).catch(() => undefined);
      }
      const saved = process.env.PATH;
      process.env.PATH = dir;
      try {
        await assert.rejects(
          checkFormatTools([formatTable.get("vmdk")!]),
          (e: unknown) =>
            isLinuxKitError(e) &&
            e.code === "TOOL_MISSING" &&
            /apt-get install qemu-utils/.test(e.message),
        );
      } finally {
        process.env.PATH = saved;
      }
    });
  });
});

describe("disk formats: reproducible", () => {
  for (const format of Object.keys(DISK_FORMATS)) {
    it(`${format}: two builds, seconds apart in other directories, are byte-identical`, async (t) => {
      if (skipReason !== undefined) return t.skip(skipReason);
      const a = round1.get(format);
      const b = round2.get(format);
      assert.ok(a && b);
      assert.equal(path.basename(a.path), DISK_FORMATS[format]);
      assert.equal(a.sha256, b.sha256, `${format} digests differ`);
      assert.equal(a.size, b.size);
      assert.equal(await sha256Of(a.path), a.sha256, "the reported digest is the file's");
      assert.equal((await stat(a.path)).size, a.size);
      t.diagnostic(
        `${format}: ${(a.size / 1e6).toFixed(1)} MB, built in ${seconds.get(format)} s, sha256 ${a.sha256.slice(0, 16)}`,
      );
    });
  }

  it("leave nothing behind: no scratch in tmpDir, only the artifact in the output directory", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    for (const format of Object.keys(DISK_FORMATS)) {
      const dir = path.join(work, "r1", format);
      assert.deepEqual(await readdir(path.join(dir, "tmp")), [], `${format} tmpDir`);
      assert.deepEqual(
        await readdir(path.join(dir, "out")),
        [DISK_FORMATS[format]],
        `${format} outputDir`,
      );
    }
  });

  it("other contents (another command line) give other bytes and other disk ids", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const other = path.join(work, "other.tar");
    await writeMinimalBootTar(other, { cmdline: `${TEST_CMDLINE} quiet` });
    const a = round1.get("raw-efi");
    const b = await buildOne("raw-efi", other, path.join(work, "other"));
    assert.ok(a);
    assert.notEqual(a.sha256, b.sha256);
    const guid = async (f: string): Promise<string> =>
      parseGptHeader(await readAt(f, 512, 512), await readAt(f, 1024, 16384)).diskGuid;
    assert.notEqual(await guid(a.path), await guid(b.path));
  });
});

describe("disk formats: structure", () => {
  it("raw-bios: syslinux MBR, one active FAT partition at 1 MiB, smallest size; SYSLINUX and the boot files inside", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const img = round1.get("raw-bios")!.path;
    const size = (await stat(img)).size;
    assert.equal(size % MIB, 0);
    const mbr = parseMbr(await readAt(img, 0, 512));
    assert.deepEqual(mbr.bootCode, (await readFile(SYSLINUX_MBR)).subarray(0, 440));
    assert.equal(mbr.partitions.length, 1);
    const p = mbr.partitions[0]!;
    assert.equal(p.bootable, true);
    assert.equal(p.firstLba, 2048);
    assert.ok([0x01, 0x0e, 0x0c].includes(p.type));
    assert.equal(size, (2048 + p.sectors) * 512 + MIB, "1 MiB before and after the partition");
    const vbr = await readAt(img, MIB, 512);
    assert.deepEqual([vbr[510], vbr[511]], [0x55, 0xaa]);
    assert.equal(vbr.readUInt32LE(28), 2048, "FAT hidden sectors = partition start");
    assert.match(vbr.toString("latin1", 3, 11), /SYSLINUX/, "syslinux boot sector");
    assert.deepEqual(fatListing(img, MIB), [
      "initrd.img",
      "kernel",
      "ldlinux.c32",
      "ldlinux.sys",
      "syslinux.cfg",
    ]);
    const cfg = fatFile(img, MIB, "syslinux.cfg");
    assert.match(cfg, /KERNEL \/kernel/);
    assert.match(cfg, /INITRD \/initrd\.img/);
    assert.ok(cfg.includes(`APPEND ${TEST_CMDLINE}\n`));
    if ((await findOnPath("sfdisk")) !== undefined) {
      assert.match(
        run("sfdisk", ["--dump", img]).toString(),
        /lk-bios\.img1 : start=\s+2048, size=\s+\d+, type=(1|e|c), bootable/,
      );
    }
  });

  it("raw-efi: valid GPT (protective MBR, backup at the end), ESP with BOOTX64.EFI and grub.cfg", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const img = round1.get("raw-efi")!.path;
    const size = (await stat(img)).size;
    const sectors = size / 512;
    const pmbr = parseMbr(await readAt(img, 0, 512));
    assert.deepEqual(
      pmbr.partitions.map((p) => p.type),
      [0xee],
    );
    const primary = parseGptHeader(await readAt(img, 512, 512), await readAt(img, 1024, 16384));
    const backup = parseGptHeader(
      await readAt(img, size - 512, 512),
      await readAt(img, (sectors - 33) * 512, 16384),
    );
    assert.equal(primary.alternateLba, sectors - 1);
    assert.equal(backup.myLba, sectors - 1);
    assert.deepEqual(backup.partitions, primary.partitions);
    assert.equal(primary.partitions.length, 1);
    const esp = primary.partitions[0]!;
    assert.equal(esp.typeGuid, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    assert.equal(esp.name, "EFI System");
    assert.equal(esp.firstLba, 2048);
    assert.equal(size, (esp.lastLba + 1) * 512 + MIB);
    assert.deepEqual(fatListing(img, MIB), [
      "EFI/BOOT/BOOTX64.EFI",
      "EFI/BOOT/grub.cfg",
      "initrd.img",
      "kernel",
    ]);
    const grub = fatFile(img, MIB, "EFI/BOOT/grub.cfg");
    assert.match(grub, /set timeout=0/);
    assert.match(grub, /linux \/kernel console=ttyS0 panic=-1 linuxkit\.test\.poweroff=1/);
    assert.match(grub, /initrd \/initrd\.img/);
    const efi = run("mcopy", ["-i", `${img}@@${MIB}`, "::/EFI/BOOT/BOOTX64.EFI", "-"]);
    assert.equal(efi.toString("latin1", 0, 2), "MZ", "BOOTX64.EFI is a PE image");
    if ((await findOnPath("sgdisk")) !== undefined) {
      assert.match(run("sgdisk", ["-v", img]).toString(), /No problems found/);
    }
  });

  it("aws: the raw-bios disk in 1 GiB, sparse", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const aws = round1.get("aws")!.path;
    const bios = round1.get("raw-bios")!;
    const st = await stat(aws);
    assert.equal(st.size, GIB);
    assert.ok(st.blocks * 512 < 64 * MIB, `sparse: ${st.blocks * 512} bytes allocated`);
    // Same contents hash → same ids → the same first bytes as raw-bios.
    assert.ok((await readAt(aws, 0, bios.size)).equals(await readFile(bios.path)));
  });

  for (const [format, raw] of [
    ["qcow2-bios", "raw-bios"],
    ["qcow2-efi", "raw-efi"],
  ] as const) {
    it(`${format}: a qcow2 (qemu-img info) holding exactly the ${raw} disk`, async (t) => {
      if (skipReason !== undefined) return t.skip(skipReason);
      const q = round1.get(format)!.path;
      const r = round1.get(raw)!;
      const info = qemuInfo(q, "qcow2");
      assert.equal(info.format, "qcow2");
      assert.equal(info["virtual-size"], r.size);
      assert.equal(
        run("qemu-img", ["info", "--output=json", q]).toString().includes('"qcow2"'),
        true,
        "probed as qcow2",
      );
      run("qemu-img", ["check", "-f", "qcow2", q]);
      run("qemu-img", ["compare", "-f", "raw", "-F", "qcow2", r.path, q]);
    });
  }

  it("vhd: fixed VHD = the raw-bios disk + a valid footer (fixed time, content UUID)", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const v = round1.get("vhd")!;
    const r = round1.get("raw-bios")!;
    assert.equal(v.size, r.size + 512);
    const footer = parseVhdFooter(await readAt(v.path, v.size - 512, 512));
    assert.equal(footer.diskType, VHD_DISK_TYPE.FIXED);
    assert.equal(footer.currentSize, BigInt(r.size));
    assert.equal(footer.originalSize, BigInt(r.size));
    assert.equal(footer.timestamp, 0);
    assert.equal(footer.currentSize % BigInt(MIB), 0n, "Azure wants whole MiB");
    assert.ok((await readAt(v.path, 0, r.size)).equals(await readFile(r.path)));
    assert.equal(qemuInfo(v.path, "vpc")["virtual-size"], r.size);
  });

  it("dynamic-vhd: footer copies, dynamic header and BAT valid; holds the raw-bios disk; smaller", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const v = round1.get("dynamic-vhd")!;
    const r = round1.get("raw-bios")!;
    const head = await readAt(v.path, 0, 512);
    const tail = await readAt(v.path, v.size - 512, 512);
    assert.ok(head.equals(tail));
    const footer = parseVhdFooter(tail);
    assert.equal(footer.diskType, VHD_DISK_TYPE.DYNAMIC);
    assert.equal(footer.currentSize, BigInt(r.size));
    assert.equal(footer.timestamp, 0);
    assert.notEqual(
      footer.uuid,
      parseVhdFooter(await readAt(round1.get("vhd")!.path, round1.get("vhd")!.size - 512, 512))
        .uuid,
    );
    const dyn = parseVhdDynamicHeader(await readAt(v.path, Number(footer.dataOffset), 1024));
    assert.equal(dyn.maxTableEntries, Math.ceil(r.size / dyn.blockSize));
    assert.ok(v.size < r.size);
    const info = qemuInfo(v.path, "vpc");
    assert.equal(info["virtual-size"], r.size);
    run("qemu-img", ["compare", "-f", "raw", "-F", "vpc", r.path, v.path]);
  });

  it("vmdk: stream-optimized, hardware version 6, lsilogic, content CID, extent named after the file", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const v = round1.get("vmdk")!;
    const r = round1.get("raw-bios")!;
    const { header, text } = await readVmdkDescriptor(v.path);
    assert.equal(header.capacity, BigInt(r.size / 512));
    assert.match(text, /^createType="streamOptimized"$/m);
    assert.match(text, new RegExp(`^RW ${r.size / 512} SPARSE "lk\\.vmdk"$`, "m"));
    assert.match(text, /^ddb\.virtualHWVersion = "6"$/m);
    assert.match(text, /^ddb\.adapterType = "lsilogic"$/m);
    assert.match(text, /^CID=[0-9a-f]{8}$/m);
    const info = qemuInfo(v.path, "vmdk");
    assert.equal(info.format, "vmdk");
    run("qemu-img", ["check", "-f", "vmdk", v.path]);
    run("qemu-img", ["compare", "-f", "raw", "-F", "vmdk", r.path, v.path]);
  });

  it("gcp: gzip (mtime 0, OS Unix) of an oldgnu tar with one member disk.raw of whole GiB: the raw-bios disk, zero-filled", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const g = round1.get("gcp")!;
    const r = round1.get("raw-bios")!;
    const gz = await readAt(g.path, 0, 10);
    assert.deepEqual([gz[0], gz[1], gz[2]], [0x1f, 0x8b, 8]);
    assert.equal(gz.readUInt32LE(4), 0, "gzip mtime 0");
    assert.equal(gz[9], 3, "gzip OS = Unix");
    assert.match(
      run("tar", ["-tvzf", g.path]).toString(),
      /^-rw-r--r-- 0\/0\s+1073741824 .* disk\.raw\n$/,
    );
    const biosBytes = await readFile(r.path);
    let offset = 0; // into the tar stream
    let memberSize = -1;
    let mismatch = -1;
    let header = Buffer.alloc(0);
    for await (const chunk of createReadStream(g.path).pipe(createGunzip())) {
      const c = chunk as Buffer;
      if (offset < 512) header = Buffer.concat([header, c.subarray(0, 512 - offset)]);
      if (memberSize < 0 && header.length === 512)
        memberSize = decodeTarNumber12(header.subarray(124, 136));
      // Compare the part of this chunk that lies in disk.raw with raw-bios, then zeros.
      const start = Math.max(0, 512 - offset); // chunk index where disk.raw begins
      const end = Math.max(start, Math.min(c.length, 512 + memberSize - offset));
      if (mismatch < 0 && end > start) {
        const at = offset + start - 512;
        const got = c.subarray(start, end);
        const want = Buffer.alloc(got.length);
        if (at < biosBytes.length)
          biosBytes.copy(want, 0, at, Math.min(biosBytes.length, at + got.length));
        if (!got.equals(want)) mismatch = at;
      }
      offset += c.length;
    }
    assert.equal(header.toString("latin1", 0, 9), "disk.raw\0");
    assert.equal(header.toString("latin1", 257, 265), "ustar  \0", "oldgnu magic");
    assert.equal(memberSize, GIB);
    assert.equal(memberSize % GIB, 0);
    assert.equal(mismatch, -1, `disk.raw differs from raw-bios + zeros at byte ${mismatch}`);
    assert.equal(offset % 10240, 0, "GNU record padding");
    assert.equal(
      offset,
      Math.ceil((512 + GIB + 1024) / 10240) * 10240,
      "one member, then the end blocks",
    );
  });
});

describe("disk formats: diskSizeMiB", () => {
  it("raw-efi at 64 MiB: backup GPT at the end of 64 MiB; the partition stays as small", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    await withTmpDir(async (dir) => {
      const a = await buildOne("raw-efi", rootfs, dir, { diskSizeMiB: 64 });
      assert.equal(a.size, 64 * MIB);
      const primary = parseGptHeader(
        await readAt(a.path, 512, 512),
        await readAt(a.path, 1024, 16384),
      );
      assert.equal(primary.alternateLba, 64 * 2048 - 1);
      assert.equal(primary.lastUsableLba, 64 * 2048 - 34);
      const small = round1.get("raw-efi")!.path;
      const smallEsp = parseGptHeader(
        await readAt(small, 512, 512),
        await readAt(small, 1024, 16384),
      ).partitions[0];
      assert.equal(primary.partitions[0]?.lastLba, smallEsp?.lastLba);
      if ((await findOnPath("sgdisk")) !== undefined) {
        assert.match(run("sgdisk", ["-v", a.path]).toString(), /No problems found/);
      }
    });
  });

  it("qcow2-bios at 3000 MiB: the virtual size (the file stays small)", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    await withTmpDir(async (dir) => {
      const a = await buildOne("qcow2-bios", rootfs, dir, { diskSizeMiB: 3000 });
      assert.equal(qemuInfo(a.path, "qcow2")["virtual-size"], 3000 * MIB);
      assert.ok(a.size < 64 * MIB);
    });
  });

  it("too small: USAGE error, nothing published, no scratch left", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    await withTmpDir(async (dir) => {
      await assert.rejects(
        buildOne("vhd", rootfs, dir, { diskSizeMiB: 4 }),
        (e: unknown) =>
          isLinuxKitError(e) &&
          e.code === "USAGE" &&
          /disk size 4 MiB is too small/.test(e.message),
      );
      assert.deepEqual(await readdir(path.join(dir, "out")), []);
      assert.deepEqual(await readdir(path.join(dir, "tmp")), []);
    });
  });
});
