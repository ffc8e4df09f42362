/**
 * docker: `<name>.docker`, the build tar with LinuxKit's Dockerfile
 * appended; the same bytes every time; `docker import` accepts it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  dockerFormat,
  LINUXKIT_DOCKERFILE,
  tarDataEnd,
} from "../../../../components/formats/writers/docker";
import { formatTable, PLANNED_FORMATS } from "../../../../components/formats/table";
import type { Artifact } from "../../../../components/formats/blocks/types";
import { rootfsEntries, writeTar, type FixtureEntry } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";

const haveDocker = spawnSync("docker", ["info"], { stdio: "ignore" }).status === 0;

function entries(): FixtureEntry[] {
  return [
    ...rootfsEntries(),
    { name: "bin", type: "directory" as const },
    { name: "bin/rc.init", type: "file" as const, mode: 0o755, data: Buffer.from("#!/bin/sh\n") },
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function writeOnce(dir: string, tarPath: string, run: string): Promise<Artifact> {
  const outputDir = path.join(dir, `out-${run}`);
  await mkdir(outputDir, { recursive: true });
  const [a] = await dockerFormat.write({
    name: "lk",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, `tmp-${run}`),
    options: {},
  });
  assert.ok(a);
  return a;
}

describe("docker format", () => {
  it("is in the table with LinuxKit's file name", () => {
    assert.equal(formatTable.get("docker"), dockerFormat);
    assert.ok(!PLANNED_FORMATS.includes("docker"));
    assert.deepEqual(dockerFormat.files("lk"), ["lk.docker"]);
  });

  it("is the build tar plus the Dockerfile, the same bytes every time", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = path.join(dir, "rootfs.tar");
      await writeTar(tarPath, entries());
      const first = await writeOnce(dir, tarPath, "1");
      const second = await writeOnce(dir, tarPath, "2");
      assert.equal(path.basename(first.path), "lk.docker");
      assert.equal(first.sha256, second.sha256, "same tar, same bytes");
      const bytes = await readFile(first.path);
      assert.equal(first.sha256, createHash("sha256").update(bytes).digest("hex"));
      assert.equal(first.size, bytes.length);

      // The build tar's entries, byte for byte, come first.
      const src = await readFile(tarPath);
      const end = await tarDataEnd(tarPath);
      assert.ok(end > 0 && end < src.length);
      assert.deepEqual(bytes.subarray(0, end), src.subarray(0, end));

      const list = spawnSync("tar", ["-tf", first.path], { encoding: "utf8" });
      assert.equal(list.status, 0, list.stderr);
      const names = list.stdout.trim().split("\n");
      assert.equal(names.at(-1), "Dockerfile");
      assert.ok(names.includes("boot/kernel"), "boot/ is kept, as in LinuxKit");
      const df = spawnSync("tar", ["-xOf", first.path, "Dockerfile"], { encoding: "utf8" });
      assert.equal(df.stdout, LINUXKIT_DOCKERFILE);
      assert.match(df.stdout, /FROM scratch\n\nCOPY \. \.\/\n\nENTRYPOINT \["\/bin\/rc\.init"\]/);
    });
  });

  it(
    "is accepted by docker import, and the image holds /bin",
    { skip: haveDocker ? false : "no docker engine" },
    async () => {
      await withTmpDir(async (dir) => {
        const tarPath = path.join(dir, "rootfs.tar");
        await writeTar(tarPath, entries());
        const a = await writeOnce(dir, tarPath, "1");
        const tag = `lk-docker-format-test:${process.pid}`;
        const imp = spawnSync("docker", ["import", a.path, tag], { encoding: "utf8" });
        assert.equal(imp.status, 0, imp.stderr);
        let ctr = "";
        try {
          const create = spawnSync("docker", ["create", tag, "/bin/rc.init"], { encoding: "utf8" });
          assert.equal(create.status, 0, create.stderr);
          ctr = create.stdout.trim();
          const exp = spawnSync("sh", ["-c", `docker export ${ctr} | tar -t`], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
          });
          assert.equal(exp.status, 0, exp.stderr);
          const names = exp.stdout.split("\n");
          assert.ok(names.includes("bin/rc.init"), names.join(" "));
          assert.ok(names.includes("a-dir/hello.txt"));
        } finally {
          if (ctr !== "") spawnSync("docker", ["rm", "-f", ctr]);
          spawnSync("docker", ["rmi", "-f", tag]);
        }
      });
    },
  );
});
