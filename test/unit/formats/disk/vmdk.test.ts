/** The VMDK header/descriptor reader and the CID patch, on real qemu-img output. */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { qemuImgConvert } from "../../../../components/formats/blocks/disk-format";
import { findOnPath } from "../../../../components/formats/blocks/tools";
import {
  readVmdkDescriptor,
  replaceCid,
  setVmdkCid,
  vmdkCid,
} from "../../../../components/formats/writers/vmdk";
import { run } from "../../../helpers/formats/run";
import { pseudoRandom } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";

const OPTIONS = "adapter_type=lsilogic,subformat=streamOptimized,compat6=on";

describe("VMDK", () => {
  it("replaceCid swaps exactly the one CID line", () => {
    const d =
      '# Disk DescriptorFile\nversion=1\nCID=3d670acf\nparentCID=ffffffff\ncreateType="streamOptimized"\n';
    assert.equal(
      replaceCid(d, "0badc0de"),
      '# Disk DescriptorFile\nversion=1\nCID=0badc0de\nparentCID=ffffffff\ncreateType="streamOptimized"\n',
    );
    assert.throws(() => replaceCid("version=1\n", "0badc0de"), /found 0/);
    assert.throws(() => replaceCid(d, "xyz"), /bad VMDK CID/);
  });

  it("vmdkCid is 8 hex digits, stable, and differs between contents", () => {
    assert.match(vmdkCid("a".repeat(64)), /^[0-9a-f]{8}$/);
    assert.equal(vmdkCid("a".repeat(64)), vmdkCid("a".repeat(64)));
    assert.notEqual(vmdkCid("a".repeat(64)), vmdkCid("b".repeat(64)));
  });

  it("qemu-img streamOptimized output: CID patched, identical across runs, still valid, same data", async (t) => {
    if ((await findOnPath("qemu-img")) === undefined) {
      t.skip("needs qemu-img (apt-get install qemu-utils)");
      return;
    }
    await withTmpDir(async (dir) => {
      const raw = path.join(dir, "disk.raw");
      const data = Buffer.alloc(8 * 1024 * 1024);
      pseudoRandom(500_000, "vmdk").copy(data, 1024 * 1024);
      await writeFile(raw, data);
      const outs: Buffer[] = [];
      for (const sub of ["a", "b"]) {
        const vmdk = path.join(dir, sub, "lk.vmdk");
        run("mkdir", [path.join(dir, sub)]);
        await qemuImgConvert(raw, vmdk, "vmdk", OPTIONS);
        await setVmdkCid(vmdk, "0badc0de");
        outs.push(await readFile(vmdk));
        const { header, text } = await readVmdkDescriptor(vmdk);
        assert.equal(header.version, 3);
        assert.equal(header.capacity, 16384n);
        assert.equal(header.compressAlgorithm, 1, "deflate");
        assert.match(text, /^CID=0badc0de$/m);
        assert.match(text, /^parentCID=ffffffff$/m);
        assert.match(text, /^createType="streamOptimized"$/m);
        assert.match(text, /^RW 16384 SPARSE "lk\.vmdk"$/m, "the extent names the file itself");
        assert.match(text, /^ddb\.virtualHWVersion = "6"$/m);
        assert.match(text, /^ddb\.adapterType = "lsilogic"$/m);
        run("qemu-img", ["check", "-f", "vmdk", vmdk]);
        run("qemu-img", ["compare", "-f", "raw", "-F", "vmdk", raw, vmdk]);
      }
      assert.ok(outs[0]?.equals(outs[1] as Buffer), "byte-identical after patching");
    });
  });
});
