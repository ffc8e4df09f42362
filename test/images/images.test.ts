/**
 * The test-image builder's pure parts: deterministic layouts and tars, and
 * a kernel.tar module set that busybox modprobe can use; the arm64 inputs
 * (loader and libraries from ELF headers, arm64 kernel and busybox). No
 * Docker needed.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import * as tar from "tar-stream";
import { importChanges } from "./engine";
import { findKernel, kernelModules } from "./host";
import { HostInputs, TEST_IMAGES } from "./images";
import { Layout, normalise } from "./layout";

async function tarNames(
  buffer: Buffer,
): Promise<Array<{ name: string; mode: number; mtime: number }>> {
  const out: Array<{ name: string; mode: number; mtime: number }> = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      out.push({ name: header.name, mode: header.mode ?? 0, mtime: header.mtime?.getTime() ?? -1 });
      stream.on("end", () => next());
      stream.resume();
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  extract.end(buffer);
  await done;
  return out;
}

describe("Layout", () => {
  it("writes sorted entries with parents, fixed mtime, and the same bytes every time", async () => {
    const make = (): Layout =>
      new Layout()
        .file("usr/bin/b", "b", 0o755)
        .symlink("bin/sh", "/bin/busybox")
        .file("/a//x", "x")
        .dir("tmp", 0o1777);
    const one = await make().tarBuffer();
    const two = await make().tarBuffer();
    assert.ok(one.equals(two));
    const entries = await tarNames(one);
    assert.deepEqual(
      entries.map((e) => e.name),
      ["a/", "a/x", "bin/", "bin/sh", "tmp/", "usr/", "usr/bin/", "usr/bin/b"],
    );
    assert.ok(entries.every((e) => e.mtime === entries[0]?.mtime));
    assert.equal(entries.find((e) => e.name === "tmp/")?.mode, 0o1777);
  });

  it("changes its digest when a mode changes, and not when insertion order does", () => {
    const a = new Layout().file("x", "1").file("y", "2").digest({});
    const b = new Layout().file("y", "2").file("x", "1").digest({});
    const c = new Layout().file("x", "1", 0o600).file("y", "2").digest({});
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it("refuses .. and a file used as a folder", () => {
    assert.throws(() => normalise("a/../b"), /must not contain/);
    assert.throws(() => new Layout().file("a", "").file("a/b", "").list(), /parent a is a file/);
  });
});

describe("docker import changes", () => {
  it("writes JSON-form ENTRYPOINT/CMD and literal labels", () => {
    assert.deepEqual(
      importChanges({
        cmd: ["/bin/sh"],
        env: { B: "2", A: "x y" },
        workdir: "/www",
        labels: { l: '{"a":["b"]}' },
      }),
      ['CMD ["/bin/sh"]', 'ENV A="x y"', 'ENV B="2"', "WORKDIR /www", `LABEL l='{"a":["b"]}'`],
    );
  });
});

const haveKernel = (() => {
  try {
    return existsSync(findKernel().modulesDir);
  } catch {
    return false;
  }
})();

describe(
  "kernel.tar modules",
  { skip: haveKernel ? false : "no Debian cloud kernel installed" },
  () => {
    it("ships overlay and every dependency modules.dep names", () => {
      const kernel = findKernel();
      const layout = kernelModules(kernel);
      const paths = new Set(layout.list().map((e) => e.path));
      const root = `lib/modules/${kernel.version}`;
      assert.ok(paths.has(`${root}/kernel/fs/overlayfs/overlay.ko`));
      const dep = layout.list().find((e) => e.path === `${root}/modules.dep`);
      assert.ok(dep && dep.type === "file");
      for (const line of dep.data.toString("utf8").trim().split("\n")) {
        for (const file of line.replace(":", "").split(" ")) {
          assert.ok(
            paths.has(`${root}/${file}`),
            `modules.dep names ${file}, which is not shipped`,
          );
        }
      }
    });
  },
);

describe("the image table", () => {
  it("names each image once", () => {
    const names = TEST_IMAGES.map((i) => i.name);
    assert.equal(new Set(names).size, names.length);
  });

  it(
    "gives the init image an executable /init",
    { skip: existsSync("/bin/busybox") ? false : "no busybox" },
    async () => {
      const init = TEST_IMAGES.find((i) => i.name === "init");
      assert.ok(init);
      const layout = await init.contents(new HostInputs());
      const entry = layout.list().find((e) => e.path === "init");
      assert.ok(entry && entry.type === "file" && entry.mode === 0o755);
      assert.ok(entry.data.toString("utf8").startsWith("#!/bin/busybox sh\n"));
    },
  );
});

describe("arm64 inputs (Debian's arm64 packages, unpacked, never run)", () => {
  const host = new HostInputs("arm64");

  it("runc comes with its arm64 loader and libraries, found from the ELF headers", () => {
    const paths = host
      .dynamic("/usr/sbin/runc", "usr/bin/runc")
      .list()
      .filter((e) => e.type === "file")
      .map((e) => e.path);
    for (const want of [
      "usr/bin/runc",
      "lib/ld-linux-aarch64.so.1",
      "lib/aarch64-linux-gnu/libc.so.6",
      "usr/lib/aarch64-linux-gnu/libseccomp.so.2",
    ])
      assert.ok(paths.includes(want), `${want} in ${paths.join(", ")}`);
    assert.ok(!paths.some((p) => p.includes("x86_64")), "nothing of this machine's");
  });

  it("the kernel is Debian's arm64 cloud Image with the module set modprobe needs", () => {
    assert.match(host.kernel.version, /-cloud-arm64$/);
    const names = kernelModules(host.kernel)
      .list()
      .map((e) => e.path);
    assert.ok(names.some((n) => n.endsWith("/virtio_blk.ko")));
    assert.ok(names.some((n) => n.endsWith("/modules.dep")));
  });

  it("busybox is the arm64 binary, with this machine's applet list (same version)", () => {
    const entries = host.busybox().list();
    const bin = entries.find((e) => e.path === "bin/busybox");
    assert.ok(bin?.type === "file");
    // ELF header: e_machine 183 = AArch64
    assert.equal(bin.data.readUInt16LE(18), 183);
    assert.ok(entries.some((e) => e.path === "bin/sh" && e.type === "symlink"));
  });
});
