/**
 * The image examples/gcp deploys, booted the way Compute Engine boots it:
 * examples/gcp/linuxkit.yml is built by the pipeline in the `gcp` format,
 * the tarball unpacked as GCE imports it (`disk.raw`, whole GiB), and the
 * disk booted under qemu TCG with SeaBIOS from a virtio-scsi disk, a
 * virtio NIC and the serial console on ttyS0. Then the GcpFleet's health
 * check is played from outside: `GET /` on the guest's port 80 (forwarded
 * from a loopback port) must answer 200, as Google's health checkers need.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { loadSpecFiles } from "../../../../components/config";
import { build, type BuildResult } from "../../../../components/pipeline/pipeline";
import { ensureTestImages, freePort, httpGetWithRetry, tail } from "../../../helpers/boot";
import { bootSkipReason, diskQemuArgs } from "../../../helpers/formats/disk-boot";
import { run } from "../../../helpers/formats/run";
import { repoRoot } from "../../../helpers/paths";
import { withQemu } from "../../../helpers/qemu-launch";

const BOOT_TIMEOUT_MS = 240_000;
const EXAMPLE = path.join(repoRoot, "examples", "gcp");

let work = "";
let skipReason: string | undefined;
let built: BuildResult;

before(async () => {
  skipReason = await bootSkipReason(false);
  if (skipReason !== undefined) return;
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-gcp-"));
  const yml = path.join(EXAMPLE, "linuxkit.yml");
  const parsed = await loadSpecFiles([yml]);
  built = await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: EXAMPLE,
    name: "web",
    outputDir: path.join(work, "out"),
    formats: ["gcp"],
  });
});

after(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

describe("examples/gcp's image, booted as GCE boots it", () => {
  it("boots from virtio-scsi with SeaBIOS, console on ttyS0, and answers the HTTP health check on port 80", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const a = built.artifacts.find((x) => x.file === "web.img.tar.gz");
    assert.ok(a, `built web.img.tar.gz (got ${built.artifacts.map((x) => x.file).join(", ")})`);
    t.diagnostic(`web.img.tar.gz: ${(a.size / 1e6).toFixed(1)} MB`);
    const dir = path.join(work, "unpacked");
    await mkdir(dir);
    run("tar", ["-xzf", a.path, "-C", dir]);
    const disk = path.join(dir, "disk.raw");
    assert.equal((await stat(disk)).size, 1024 ** 3, "disk.raw is exactly 1 GiB");

    const port = await freePort();
    const args = await diskQemuArgs({
      path: disk,
      format: "raw",
      firmware: "bios",
      bus: "virtio-scsi",
      scratch: work,
      memoryMiB: 1024,
      timeoutMs: BOOT_TIMEOUT_MS,
    });
    args.push(
      "-netdev",
      `user,id=net0,hostfwd=tcp:127.0.0.1:${port}-:80`,
      "-device",
      "virtio-net-pci,netdev=net0",
      "-device",
      "virtio-rng-pci",
    );
    await withQemu({ args, encoding: "latin1" }, async (guest) => {
      const booted = await guest.waitFor(["LINUXKIT-TEST: boot complete"], BOOT_TIMEOUT_MS).then(
        () => true,
        () => false,
      );
      const serial = guest.console;
      const where = `\n--- console ---\n${tail(serial, 60)}`;
      assert.ok(booted, `the guest reached "boot complete"${where}`);
      assert.match(serial, /SYSLINUX/, "SYSLINUX loaded the kernel");
      assert.match(serial, /console=ttyS0/, "the image's command line reached the kernel");
      const bootSeconds = guest.elapsedSeconds;
      const res = await httpGetWithRetry(`http://127.0.0.1:${port}/`, 60_000);
      assert.equal(res.status, 200, `health check status${where}`);
      assert.match(res.body, /linuxkit-test httpd says hello/);
      t.diagnostic(
        `boot complete after ${bootSeconds.toFixed(1)} s (TCG); GET / → ${res.status} after ${guest.elapsedSeconds.toFixed(1)} s`,
      );
    });
  });
});
