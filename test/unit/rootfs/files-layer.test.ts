import assert from "node:assert/strict";
import { mkdir, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { LinuxKitError } from "../../../components/errors/errors";
import {
  addFilesLayer,
  fileMode,
  parentDirMode,
  resolveSourcePath,
  type FilesLayerContext,
} from "../../../components/rootfs/files-layer";
import { FIXED_MTIME } from "../../../components/tar/tar-header";
import type { TarSpool } from "../../../components/tar/tar-spool";
import type { FileSpec, SourceLocation } from "../../../components/config/types";
import {
  byName,
  gnuExtract,
  names,
  pseudoRandom,
  sha256,
  spoolBytes,
  spoolEntries,
  withSpool,
  type ReadEntry,
} from "./helpers/tar";

const IDS: Record<string, number> = { sshd: 101, dhcpcd: 102 };

/** A context whose `locate` reports `files.yml`, line 10 + the index, column 5. */
function context(baseDir: string, extra: Partial<FilesLayerContext> = {}): FilesLayerContext {
  return {
    idFor: (name) => IDS[name],
    metadata: (kind) => Buffer.from(kind === "json" ? '{"kernel":{}}\n' : "kernel: {}\n"),
    locate: (field): SourceLocation => ({
      file: "files.yml",
      line: 10 + Number(/\[(\d+)\]/.exec(field)?.[1] ?? 0),
      column: 5,
    }),
    baseDir,
    ...extra,
  };
}

/** The spool's output after adding `files` (after `before` ran on the spool). */
async function filesLayer(
  files: FileSpec[],
  opts: {
    before?: (s: TarSpool) => Promise<void>;
    ctx?: Partial<FilesLayerContext>;
    setup?: (dir: string) => Promise<void>;
  } = {},
): Promise<ReadEntry[]> {
  return withSpool(async (spool, dir) => {
    await opts.setup?.(dir);
    await opts.before?.(spool);
    await addFilesLayer(spool, files, context(dir, opts.ctx));
    return spoolEntries(spool);
  });
}

function summary(e: ReadEntry | undefined): [string, string, number, number] | undefined {
  return e === undefined
    ? undefined
    : [e.header.type, e.header.mode.toString(8).padStart(4, "0"), e.header.uid, e.header.gid];
}

describe("fileMode and parentDirMode", () => {
  const modes: [FileSpec, number][] = [
    [{ path: "f" }, 0o600],
    [{ path: "f", mode: "" }, 0o600],
    [{ path: "d", directory: true }, 0o700],
    [{ path: "f", mode: "0644" }, 0o644],
    [{ path: "f", mode: "4755" }, 0o4755],
    [{ path: "f", mode: "0" }, 0],
    [{ path: "d", directory: true, mode: "0755" }, 0o755],
  ];
  for (const [spec, mode] of modes) {
    it(`${JSON.stringify(spec)} has mode ${mode.toString(8)}`, () =>
      assert.equal(fileMode(spec), mode));
  }

  const dirs: [number, number][] = [
    [0o600, 0o700],
    [0o644, 0o755],
    [0o640, 0o750],
    [0o604, 0o705],
    [0o004, 0o005],
    [0o000, 0o000],
    [0o4600, 0o4700],
    [0o755, 0o755],
  ];
  for (const [file, dir] of dirs) {
    it(`a file of mode ${file.toString(8)} gets missing parents of mode ${dir.toString(8)} (search for every class that can read)`, () =>
      assert.equal(parentDirMode(file), dir));
  }
});

describe("addFilesLayer: kinds of entries", () => {
  it("writes contents, a directory, a symlink and metadata with their modes and LinuxKit's defaults", async () => {
    const m = byName(
      await filesLayer([
        { path: "etc/motd", contents: "héllo\n" },
        { path: "etc/issue", contents: "x", mode: "0644" },
        { path: "var/lib/app", directory: true },
        { path: "etc/localtime", symlink: "/usr/share/zoneinfo/UTC" },
        { path: "etc/linuxkit.yml", metadata: "yaml", mode: "0444" },
        { path: "etc/linuxkit.json", metadata: "json" },
        { path: "etc/empty", contents: "" },
      ]),
    );
    assert.equal(m.get("etc/motd")?.data.toString("utf8"), "héllo\n");
    assert.deepEqual(summary(m.get("etc/motd")), ["file", "0600", 0, 0]);
    assert.deepEqual(summary(m.get("etc/issue")), ["file", "0644", 0, 0]);
    assert.deepEqual(summary(m.get("var/lib/app")), ["directory", "0700", 0, 0]);
    assert.equal(m.get("etc/localtime")?.header.type, "symlink");
    assert.equal(m.get("etc/localtime")?.header.linkname, "/usr/share/zoneinfo/UTC");
    assert.equal(m.get("etc/linuxkit.yml")?.data.toString(), "kernel: {}\n");
    assert.equal(m.get("etc/linuxkit.yml")?.header.mode, 0o444);
    assert.equal(m.get("etc/linuxkit.json")?.data.toString(), '{"kernel":{}}\n');
    assert.equal(m.get("etc/empty")?.header.size, 0);
    for (const e of m.values())
      assert.equal(e.header.mtime.getTime(), FIXED_MTIME * 1000, e.header.name);
  });

  it("a later file replaces an image's file at the same path", async () => {
    const m = byName(
      await filesLayer([{ path: "etc/hosts", contents: "mine" }], {
        before: (s) =>
          s.addBuffer(
            { name: "etc/hosts", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: FIXED_MTIME },
            Buffer.from("image's"),
          ),
      }),
    );
    assert.equal(m.get("etc/hosts")?.data.toString(), "mine");
    assert.equal(m.get("etc/hosts")?.header.mode, 0o600);
  });
});

describe("addFilesLayer: parent directories", () => {
  it("creates missing parents with the file's owner and a mode derived from the file's", async () => {
    const m = byName(
      await filesLayer([
        { path: "opt/app/conf/app.conf", contents: "x", mode: "0640", uid: 1000, gid: 1001 },
      ]),
    );
    for (const d of ["opt", "opt/app", "opt/app/conf"])
      assert.deepEqual(summary(m.get(d)), ["directory", "0750", 1000, 1001], d);
    assert.deepEqual(summary(m.get("opt/app/conf/app.conf")), ["file", "0640", 1000, 1001]);
  });

  it("keeps an existing directory's mode and owner (LinuxKit would make /etc 0700 for a default-mode file)", async () => {
    const entries = await filesLayer([{ path: "etc/motd", contents: "x" }], {
      before: (s) =>
        s.addBuffer({
          name: "etc",
          type: "directory",
          mode: 0o755,
          uid: 0,
          gid: 0,
          mtime: FIXED_MTIME,
        }),
    });
    assert.deepEqual(summary(byName(entries).get("etc")), ["directory", "0755", 0, 0]);
  });

  it("a directory made for one file keeps its mode when a later file lands in it", async () => {
    const m = byName(
      await filesLayer([
        { path: "srv/a", contents: "a", mode: "0644" },
        { path: "srv/b", contents: "b" },
      ]),
    );
    assert.deepEqual(summary(m.get("srv")), ["directory", "0755", 0, 0]);
  });

  it("GNU tar extracts the modes and owners as written", async () => {
    await withSpool(async (spool, dir) => {
      await addFilesLayer(
        spool,
        [
          {
            path: "root/.ssh/authorized_keys",
            contents: "ssh-ed25519 AAAA\n",
            mode: "0600",
            uid: "sshd",
            gid: "dhcpcd",
          },
          { path: "usr/local/bin/tool", contents: "#!/bin/sh\n", mode: "0755" },
        ],
        context(dir),
      );
      const root = await gnuExtract(await spoolBytes(spool), dir);
      const ssh = await stat(path.join(root, "root/.ssh"));
      const keys = await stat(path.join(root, "root/.ssh/authorized_keys"));
      assert.deepEqual([ssh.mode & 0o7777, ssh.uid, ssh.gid], [0o700, 101, 102]);
      assert.deepEqual([keys.mode & 0o7777, keys.uid, keys.gid], [0o600, 101, 102]);
      assert.equal((await stat(path.join(root, "usr/local/bin/tool"))).mode & 0o7777, 0o755);
    });
  });
});

describe("addFilesLayer: uid and gid", () => {
  const cases: { uid: FileSpec["uid"]; gid: FileSpec["gid"]; expected: [number, number] }[] = [
    { uid: undefined, gid: undefined, expected: [0, 0] },
    { uid: 7, gid: 8, expected: [7, 8] },
    { uid: "42", gid: "43", expected: [42, 43] },
    { uid: "sshd", gid: "dhcpcd", expected: [101, 102] },
  ];
  for (const c of cases) {
    it(`uid ${JSON.stringify(c.uid)} gid ${JSON.stringify(c.gid)} → ${c.expected.join(":")}`, async () => {
      const m = byName(await filesLayer([{ path: "f", contents: "x", uid: c.uid, gid: c.gid }]));
      assert.deepEqual([m.get("f")?.header.uid, m.get("f")?.header.gid], c.expected);
    });
  }

  for (const field of ["uid", "gid"] as const) {
    it(`an unknown container name in ${field} is a SPEC_INVALID error at files[1].${field}`, async () => {
      await assert.rejects(
        filesLayer([
          { path: "ok", contents: "x" },
          { path: "f", contents: "x", [field]: "nginx" },
        ]),
        (e: unknown) => {
          assert.ok(e instanceof LinuxKitError);
          assert.equal(e.code, "SPEC_INVALID");
          assert.equal(e.field, `files[1].${field}`);
          assert.match(e.message, /no container is named "nginx"/);
          assert.deepEqual([e.file, e.line, e.column], ["files.yml", 11, 5]);
          return true;
        },
      );
    });
  }
});

describe("addFilesLayer: source", () => {
  it("streams a host file read relative to baseDir, byte for byte", async () => {
    const blob = pseudoRandom(3 * 1024 * 1024 + 5, "source");
    const m = byName(
      await filesLayer([{ path: "opt/blob.bin", source: "data/blob.bin", mode: "0644" }], {
        setup: async (dir) => {
          await mkdir(path.join(dir, "data"));
          await writeFile(path.join(dir, "data/blob.bin"), blob);
        },
      }),
    );
    assert.equal(m.get("opt/blob.bin")?.header.size, blob.length);
    assert.equal(sha256(m.get("opt/blob.bin")!.data), sha256(blob));
  });

  it("a missing source is a FILE_SOURCE error naming the field, the path and where the YAML says it", async () => {
    await assert.rejects(
      filesLayer([
        { path: "a", contents: "x" },
        { path: "b", contents: "y" },
        { path: "etc/secret", source: "missing.key" },
      ]),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError);
        assert.equal(e.code, "FILE_SOURCE");
        assert.equal(e.field, "files[2].source");
        assert.match(e.message, /files\[2\]\.source .*missing\.key cannot be read: ENOENT/);
        assert.deepEqual([e.file, e.line, e.column], ["files.yml", 12, 5]);
        assert.match(e.describe(), /^files\.yml:12:5: /);
        assert.match(e.hint ?? "", /optional: true/);
        return true;
      },
    );
  });

  it("without a locate function the error still names the field", async () => {
    await assert.rejects(
      filesLayer([{ path: "x", source: "nope" }], { ctx: { locate: undefined } }),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError);
        assert.equal(e.field, "files[0].source");
        assert.equal(e.file, undefined);
        return true;
      },
    );
  });

  it("an optional missing source is skipped, parents and all", async () => {
    const entries = await filesLayer([
      { path: "opt/maybe/key", source: "absent.key", optional: true },
      { path: "etc/kept", contents: "x" },
    ]);
    assert.deepEqual(names(entries), ["etc", "etc/kept"]);
  });

  for (const optional of [false, true]) {
    it(`a source that is a directory is a FILE_SOURCE error${optional ? " even when optional (LinuxKit fails to read it too)" : ""}`, async () => {
      await assert.rejects(
        filesLayer([{ path: "etc/conf", source: "a-dir", optional }], {
          setup: (dir) => mkdir(path.join(dir, "a-dir")),
        }),
        (e: unknown) => {
          assert.ok(e instanceof LinuxKitError);
          assert.equal(e.code, "FILE_SOURCE");
          assert.equal(e.field, "files[0].source");
          assert.match(e.message, /is not a regular file/);
          return true;
        },
      );
    });
  }
});

describe("addFilesLayer: paths", () => {
  for (const p of ["../etc/passwd", "etc/../../x", "..", "", "/", "."]) {
    it(`${JSON.stringify(p)} is a PATH_ESCAPE error at files[0].path`, async () => {
      await assert.rejects(filesLayer([{ path: p, contents: "x" }]), (e: unknown) => {
        assert.ok(e instanceof LinuxKitError);
        assert.equal(e.code, "PATH_ESCAPE");
        assert.equal(e.field, "files[0].path");
        assert.deepEqual([e.file, e.line], ["files.yml", 10]);
        return true;
      });
    });
  }

  it("a leading slash and ./ are accepted", async () => {
    const entries = await filesLayer([
      { path: "/etc/a", contents: "a" },
      { path: "./etc/b", contents: "b" },
    ]);
    assert.deepEqual(names(entries), ["etc", "etc/a", "etc/b"]);
  });
});

describe("resolveSourcePath", () => {
  const cases: [string, string | undefined, string][] = [
    ["/abs/file", "/base", "/abs/file"],
    ["rel/file", "/base", "/base/rel/file"],
    ["../up", "/base/dir", "/base/up"],
    ["~/keys/id.pub", "/base", path.join(os.homedir(), "keys/id.pub")],
    ["rel", undefined, path.join(process.cwd(), "rel")],
  ];
  for (const [source, base, expected] of cases) {
    it(`${source} from ${base ?? "the cwd"} → ${expected}`, () =>
      assert.equal(resolveSourcePath(source, base), expected));
  }
});
