/**
 * Fault injection for the Image resource (issue 19): its output folder is
 * on a small tmpfs that fills up, once while the build writes (the tmpfs
 * is too small for the image) and once while it publishes (the test fills
 * what is left the moment every output is staged, so the manifest write
 * that publishes them fails). The error must name the full filesystem and
 * say how to fix it, nothing half-written may be left (no scratch folder,
 * no torn manifest, no artifact without a manifest), and `up` again with
 * room must build the image. The image's secret kernel argument must be in
 * no error and no progress line.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LinuxKitError } from "../../components/errors/errors";
import { artifactsIntact, readManifest } from "../../components/pipeline/manifest";
import { withProgress } from "../../components/progress";
import { imageProvider, type ImageOutputs } from "../../components/pulumi/image/image-provider";
import type { ImageInputs } from "../../components/pulumi/image/image-inputs";
import { describeFindings, findSecretIn } from "../helpers/secret-scan";
import { FaultTable, type FaultRow } from "./fault-table";

const table = new FaultTable("Image fault injection (output folder on a small tmpfs)");
const SECRET = `lkimg${process.pid}x${Date.now().toString(36)}`;
const FILLER = "filler";

/** Mounting a tmpfs needs root (CI runs as root; a skip fails CI, so a gap shows). */
const asRoot = process.getuid?.() === 0;

let work: string;
let disk: string;
let mounted = false;
let inputs: ImageInputs;
/** Bytes a clean build of the image puts in its output folder. */
let imageBytes = 0;

function mountTmpfs(bytes: number, remount = false): void {
  const size = `size=${Math.ceil(bytes / 4096) * 4096}`;
  execFileSync("mount", ["-t", "tmpfs", "-o", remount ? `remount,${size}` : size, "tmpfs", disk]);
  mounted = true;
}

/** Writes into `dir/filler` until the filesystem is full. */
function fill(dir: string): void {
  const fd = openSync(path.join(dir, FILLER), "a");
  try {
    for (const chunk of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
      const buf = Buffer.alloc(chunk);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Every file below `dir` (not the filler), relative: what a failed build left. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d).catch(() => [] as string[])) {
      const p = path.join(d, name);
      if ((await stat(p)).isDirectory()) await walk(p);
      else if (p !== path.join(disk, FILLER)) out.push(path.relative(disk, p));
    }
  };
  await walk(dir);
  return out;
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const st = await stat(path.join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}

before(async () => {
  if (!asRoot) return;
  work = await mkdtemp(path.join(os.tmpdir(), "lk-faults-image-"));
  disk = await mkdtemp(path.join(os.tmpdir(), "lk-faults-disk-"));
  const file = path.join(work, "small.yml");
  await writeFile(
    file,
    [
      "kernel:",
      "  image: linuxkit-test/kernel:test",
      `  cmdline: "console=ttyS0 lkfault.token=${SECRET}"`,
      "init:",
      "  - linuxkit-test/init:test",
      "",
    ].join("\n"),
  );
  const checked = await imageProvider.check(
    {},
    { configFiles: [file], name: "small", outputDir: disk, formats: ["kernel+initrd"] },
  );
  assert.deepEqual(checked.failures ?? [], []);
  inputs = checked.inputs;
  // How big the image is: one clean build elsewhere.
  const sized = await imageProvider.create({ ...inputs, outputDir: path.join(work, "sized") });
  imageBytes = await du(path.join(work, "sized"));
  assert.ok(imageBytes > 1 << 20, `the image has some size (${imageBytes} bytes)`);
  assert.ok(sized.outs.kernel !== undefined);
});

after(async () => {
  if (!asRoot) return;
  if (mounted) execFileSync("umount", [disk]);
  await rm(disk, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
  table.print();
});

/** One fault: `fail` makes the build hit a full disk; `room` gives room back; then up again. */
async function diskFull(
  row: FaultRow,
  doing: RegExp,
  fail: (listener: (line: string) => void) => Promise<void>,
  room: () => Promise<void>,
): Promise<void> {
  row.injected++;
  const lines: string[] = [];
  let err: unknown;
  await withProgress(
    (l) => lines.push(l),
    () =>
      fail((l) => lines.push(l)).then(
        () => assert.fail("the build should have failed on a full disk"),
        (e: unknown) => void (err = e),
      ),
  );
  assert.ok(err instanceof LinuxKitError, `a LinuxKitError: ${String(err)}`);
  process.stdout.write(`${row.fault}: ${err.message}\n  hint: ${err.hint ?? ""}\n`);
  assert.match(err.message, doing);
  assert.match(err.message, new RegExp(`no space left on ${disk}.*mounted at ${disk}`));
  assert.match(err.hint ?? "", new RegExp(`free space on ${disk}.*set outputDir`));
  const left = await filesUnder(disk);
  assert.deepEqual(left, [], "nothing half-written is left");
  row.orphans += left.length;
  const found = findSecretIn(
    { error: `${err.message}\n${err.hint ?? ""}`, progress: lines.join("\n") },
    SECRET,
  );
  row.secrets += found.length;
  assert.equal(found.length, 0, describeFindings(found));

  await room();
  const { outs } = await imageProvider.create(inputs);
  const manifest = await readManifest(outs.artifactDir, inputs.name);
  if (manifest !== undefined && (await artifactsIntact(outs.artifactDir, manifest))) {
    row.converged++;
  }
  await imageProvider.delete("", outs as ImageOutputs);
}

describe(
  "fault injection: Image on a full disk",
  {
    concurrency: false,
    skip: asRoot ? false : "mounting a tmpfs needs root",
  },
  () => {
    it("disk full while building: the error names the filesystem and the fix; nothing left; up again with room builds", async () => {
      const row = table.row("Image", "disk full during build");
      await table.timed(row, () =>
        diskFull(
          row,
          /while building/,
          async () => {
            mountTmpfs(imageBytes / 3);
            await imageProvider.create(inputs);
          },
          async () => mountTmpfs(imageBytes * 3 + (8 << 20), true),
        ),
      );
      assert.equal(row.converged, row.injected);
    });

    it("disk full while publishing: the error names the filesystem and the fix; nothing left; up again with room builds", async () => {
      const row = table.row("Image", "disk full during publish");
      await table.timed(row, () =>
        diskFull(
          row,
          /while publishing/,
          async (listener) => {
            // The outputs are staged when the build lists them: fill the disk then.
            const staged = new RegExp(`\\b${inputs.name}-initrd\\.img\\b`);
            await withProgress(
              (l) => {
                listener(l);
                if (staged.test(l)) fill(disk);
              },
              () => imageProvider.create(inputs),
            );
          },
          () => rm(path.join(disk, FILLER), { force: true }),
        ),
      );
      assert.equal(row.converged, row.injected);
    });
  },
);
