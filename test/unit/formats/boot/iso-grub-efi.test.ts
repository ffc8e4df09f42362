/** The GRUB EFI loader and configs the EFI ISO (and disk) formats use. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  buildGrubEfi,
  fatUuid,
  grubBootConfig,
  grubCmdline,
  grubEarlyConfig,
  grubIsoUuid,
  isoVolumeUuid,
  kernelWords,
  unquoteKernelWord,
} from "../../../../components/formats/blocks/grub-efi";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { toolClockSkipReason, withToolClock } from "../../../helpers/formats/tool-clock";

describe("buildGrubEfi", () => {
  it("writes the same PE/COFF loader twice (the second under another wall clock), with the early config embedded", async (t) => {
    const noClock = await toolClockSkipReason();
    if (noClock !== undefined) return t.skip(noClock);
    await withTmpDir(async (dir) => {
      const earlyConfig = grubEarlyConfig("2001-02-03-04-05-06-07", "/EFI/BOOT/grub.cfg");
      const a = await buildGrubEfi(path.join(dir, "a.efi"), { earlyConfig, tmpDir: dir });
      const b = await withToolClock("2011-06-15 12:34:56", ["grub-mkimage"], dir, () =>
        buildGrubEfi(path.join(dir, "b.efi"), { earlyConfig, tmpDir: dir }),
      );
      assert.equal(a.sha256, b.sha256);
      const bytes = await readFile(path.join(dir, "a.efi"));
      assert.equal(bytes.subarray(0, 2).toString("latin1"), "MZ");
      const pe = bytes.readUInt32LE(0x3c);
      assert.equal(bytes.subarray(pe, pe + 4).toString("latin1"), "PE\0\0");
      assert.equal(bytes.readUInt16LE(pe + 4), 0x8664, "x86_64 machine type");
      assert.ok(
        bytes.includes(
          Buffer.from("search --no-floppy --fs-uuid --set=root 2001-02-03-04-05-06-07"),
        ),
      );
      const c = await buildGrubEfi(path.join(dir, "c.efi"), {
        earlyConfig: grubEarlyConfig("2001-02-03-04-05-06-08", "/EFI/BOOT/grub.cfg"),
        tmpDir: dir,
      });
      assert.notEqual(c.sha256, a.sha256);
    });
  });
});

describe("GRUB configs", () => {
  it("early config finds the file system by UUID and runs its grub.cfg", () => {
    assert.equal(
      grubEarlyConfig("1234-abcd", "/EFI/BOOT/grub.cfg"),
      "search --no-floppy --fs-uuid --set=root 1234-abcd\nset prefix=($root)/EFI/BOOT\nconfigfile ($root)/EFI/BOOT/grub.cfg\n",
    );
    assert.throws(() => grubEarlyConfig("x; reboot", "/g.cfg"));
  });

  it("boot config: timeout 0, serial + console terminals, kernel, initrd, cmdline", () => {
    const cfg = grubBootConfig({
      kernel: "/kernel",
      initrd: "/initrd.img",
      cmdline: "console=ttyS0 quiet",
    });
    assert.match(cfg, /^set timeout=0$/m);
    assert.match(cfg, /^serial --unit=0 --speed=115200$/m);
    assert.match(cfg, /^terminal_output serial console$/m);
    assert.match(cfg, /^\tlinux \/kernel console=ttyS0 quiet$/m);
    assert.match(cfg, /^\tinitrd \/initrd\.img$/m);
    assert.doesNotMatch(
      grubBootConfig({ kernel: "/k", cmdline: "" }),
      /initrd/,
      "no initrd line without an initrd",
    );
  });

  it("command lines keep their meaning through GRUB's quoting", () => {
    assert.deepEqual(kernelWords(' a  b="c d"\te '), ["a", 'b="c d"', "e"]);
    assert.equal(unquoteKernelWord('b="c d"'), "b=c d");
    assert.equal(unquoteKernelWord('"b=c d"'), "b=c d");
    assert.equal(unquoteKernelWord('"flag"'), "flag");
    assert.equal(unquoteKernelWord('a"b'), 'a"b');
    assert.equal(grubCmdline("console=ttyS0 panic=-1"), " console=ttyS0 panic=-1");
    assert.equal(grubCmdline('x="a b" $HOME;'), " 'x=a b' '$HOME;'");
    assert.equal(grubCmdline("it's"), " 'it'\\''s'");
    assert.equal(grubCmdline(""), "");
  });
});

describe("UUIDs", () => {
  it("isoVolumeUuid is a valid, content-derived YYYYMMDDhhmmsscc", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const hex = Buffer.from(`${i}`.padStart(8, "x")).toString("hex").padEnd(16, "f");
      const u = isoVolumeUuid(createHash("sha256").update(hex).digest("hex"));
      assert.match(u, /^\d{16}$/);
      const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)\d\d$/.exec(u) ?? [];
      assert.ok(Number(y) >= 2000 && Number(y) <= 2999);
      assert.ok(Number(mo) >= 1 && Number(mo) <= 12);
      assert.ok(Number(d) >= 1 && Number(d) <= 28);
      assert.ok(Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59);
      seen.add(u);
    }
    assert.equal(seen.size, 200);
    assert.equal(isoVolumeUuid("00".repeat(32)), isoVolumeUuid("00".repeat(32)));
    assert.equal(grubIsoUuid("2010040711405800"), "2010-04-07-11-40-58-00");
    assert.equal(fatUuid(0xdeadbeef), "dead-beef");
    assert.equal(fatUuid(0x1), "0000-0001");
  });
});
