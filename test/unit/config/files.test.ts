/**
 * Root filesystem paths, octal modes, host source paths, and the
 * one-thing-per-file-entry rule.
 */
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  cleanRootPath,
  fileKinds,
  parseOctalMode,
  parseSpec,
  resolveSource,
} from "../../../components/config";
import { errorsOf } from "./helpers";

describe("cleanRootPath", () => {
  for (const [input, expected] of [
    ["etc/motd", { kind: "ok", path: "etc/motd" }],
    ["/etc/motd", { kind: "ok", path: "etc/motd" }],
    ["//etc//ssh/./sshd_config", { kind: "ok", path: "etc/ssh/sshd_config" }],
    ["var/lib/app/", { kind: "ok", path: "var/lib/app" }],
    ["etc/../root/.ssh", { kind: "ok", path: "root/.ssh" }],
    ["/", { kind: "root" }],
    [".", { kind: "root" }],
    ["etc/..", { kind: "root" }],
    ["..", { kind: "escape", cleaned: ".." }],
    ["/../etc/passwd", { kind: "escape", cleaned: "../etc/passwd" }],
    ["etc/../../x", { kind: "escape", cleaned: "../x" }],
  ] as const) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(cleanRootPath(input), expected);
    });
  }
});

describe("parseOctalMode", () => {
  for (const [input, expected] of [
    ["0644", 0o644],
    ["644", 0o644],
    ["0755", 0o755],
    ["4755", 0o4755],
    ["07777", 0o7777],
    ["0", 0],
    ["10000", undefined],
    ["0o644", undefined],
    ["0x1ff", undefined],
    ["-644", undefined],
    ["0689", undefined],
    ["", undefined],
    [" 644", undefined],
  ] as const) {
    it(`${JSON.stringify(input)} → ${expected === undefined ? "invalid" : `0o${expected.toString(8)}`}`, () => {
      assert.equal(parseOctalMode(input), expected);
    });
  }
});

describe("resolveSource", () => {
  it("expands ~/ to the home directory", () => {
    assert.equal(resolveSource("~/.ssh/id.pub", "/srv"), path.join(os.homedir(), ".ssh/id.pub"));
  });
  it("resolves relative paths against the base directory", () => {
    assert.equal(resolveSource("keys/id.pub", "/srv/app"), "/srv/app/keys/id.pub");
    assert.equal(resolveSource("../id.pub", "/srv/app"), "/srv/id.pub");
  });
  it("keeps absolute paths", () => {
    assert.equal(resolveSource("/etc/hosts", "/srv/app"), "/etc/hosts");
  });
});

describe("file entries", () => {
  it('count `contents: ""` as content but empty symlink/source/metadata and `directory: false` as unset', () => {
    assert.deepEqual(fileKinds({ contents: "" }), ["contents"]);
    assert.deepEqual(fileKinds({ symlink: "", source: "", metadata: "", directory: false }), []);
    assert.deepEqual(fileKinds({ directory: true, symlink: "/x" }), ["directory", "symlink"]);
  });

  for (const [a, b] of [
    ["directory: true", "symlink: /x"],
    ["symlink: /x", 'contents: "y"'],
    ['contents: "y"', "source: y.txt"],
    ["source: y.txt", "metadata: yaml"],
    ['contents: "y"', "metadata: json"],
  ] as const) {
    it(`reject ${a} with ${b}`, () => {
      const [error, ...rest] = errorsOf(() =>
        parseSpec(`files:\n  - path: etc/x\n    ${a}\n    ${b}\n`, "t.yml"),
      );
      assert.equal(rest.length, 0);
      assert.equal(error?.line, 4, "points at the second kind");
      assert.match(error?.message ?? "", /cannot be combined/);
    });
  }

  it("accept a directory with a mode and owner", () => {
    const { spec } = parseSpec(
      'files:\n  - path: var/x/\n    directory: true\n    mode: "0750"\n    uid: 0\n',
      "t.yml",
    );
    assert.deepEqual(spec.files, [{ path: "var/x", directory: true, mode: "0750", uid: 0 }]);
  });

  it("reject a mode above 07777", () => {
    const [error] = errorsOf(() =>
      parseSpec('files:\n  - path: x\n    contents: ""\n    mode: "17777"\n', "t.yml"),
    );
    assert.equal(error?.field, "files[0] (x).mode");
  });
});
