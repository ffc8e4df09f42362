/** Disk sizing, derived ids and boot loader configs of the disk formats (no tools needed). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLinuxKitError } from "../../../../components/errors/errors";
import { fatPartitionType, syslinuxConfig } from "../../../../components/formats/blocks/disk-boot";
import { derivedU32, derivedUuid, uuidBytes } from "../../../../components/formats/blocks/disk-ids";
import { minimumDiskMiB, MIB, planDiskMiB } from "../../../../components/formats/blocks/disk-image";

const H1 = "1".repeat(64);
const H2 = "2".repeat(64);

describe("disk sizing", () => {
  it("the smallest disk is the partition plus 1 MiB either side, in whole MiB", () => {
    assert.equal(minimumDiskMiB(18 * MIB), 20);
    assert.equal(minimumDiskMiB(18 * MIB + 1), 21);
    assert.equal(planDiskMiB(18 * MIB, undefined, { roundMiB: 1 }), 20);
  });

  it("cloud disks round up to whole GiB, requested sizes too", () => {
    assert.equal(planDiskMiB(18 * MIB, undefined, { roundMiB: 1024 }), 1024);
    assert.equal(planDiskMiB(18 * MIB, 1500, { roundMiB: 1024 }), 2048);
    assert.equal(planDiskMiB(18 * MIB, 2048, { roundMiB: 1024 }), 2048);
    assert.equal(planDiskMiB(1100 * MIB, undefined, { roundMiB: 1024 }), 2048);
  });

  it("a requested size is used as is when it fits", () => {
    assert.equal(planDiskMiB(18 * MIB, 20, { roundMiB: 1 }), 20);
    assert.equal(planDiskMiB(18 * MIB, 4096, { roundMiB: 1 }), 4096);
  });

  it("too small or not a whole positive number: USAGE naming the minimum", () => {
    assert.throws(
      () => planDiskMiB(18 * MIB, 19, { roundMiB: 1 }),
      (e: unknown) =>
        isLinuxKitError(e) &&
        e.code === "USAGE" &&
        /disk size 19 MiB is too small: .* need 20 MiB/.test(e.message) &&
        /--size 20M/.test(e.hint ?? ""),
    );
    assert.throws(() => planDiskMiB(18 * MIB, 0, { roundMiB: 1 }), { code: "USAGE" });
    assert.throws(() => planDiskMiB(18 * MIB, 20.5, { roundMiB: 1 }), { code: "USAGE" });
  });
});

describe("derived ids", () => {
  it("are stable per content and label, and differ otherwise", () => {
    assert.equal(derivedUuid(H1, "a"), derivedUuid(H1, "a"));
    assert.notEqual(derivedUuid(H1, "a"), derivedUuid(H2, "a"));
    assert.notEqual(derivedUuid(H1, "a"), derivedUuid(H1, "b"));
    assert.notEqual(derivedU32(H1, "a"), derivedU32(H2, "a"));
  });

  it("UUIDs look like random (v4, RFC 4122 variant) UUIDs", () => {
    for (const h of [H1, H2, "abc"]) {
      const u = derivedUuid(h, "x");
      assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(uuidBytes(u).toString("hex"), u.replace(/-/g, ""));
    }
  });
});

describe("boot loader configs", () => {
  it("syslinux.cfg boots /kernel with /initrd.img and the command line, serial first", () => {
    const cfg = syslinuxConfig("console=ttyS0 root=/dev/ram0");
    const lines = cfg.split("\n");
    assert.equal(lines[0], "SERIAL 0 115200");
    assert.ok(lines.includes("  KERNEL /kernel"));
    assert.ok(lines.includes("  INITRD /initrd.img"));
    assert.ok(lines.includes("  APPEND console=ttyS0 root=/dev/ram0"));
    assert.ok(lines.includes("TIMEOUT 0"));
  });

  it("the MBR partition type follows the FAT variant", () => {
    const boot = Buffer.alloc(512);
    boot.write("FAT16   ", 54, "latin1");
    assert.equal(fatPartitionType(boot), 0x0e);
    boot.write("FAT12   ", 54, "latin1");
    assert.equal(fatPartitionType(boot), 0x01);
    boot.write("FAT32   ", 82, "latin1");
    assert.equal(fatPartitionType(boot), 0x0c);
    assert.throws(() => fatPartitionType(Buffer.alloc(512)), /not a FAT boot sector/);
  });
});
