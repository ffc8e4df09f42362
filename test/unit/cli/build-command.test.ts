import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { defaultName, parseSizeMiB } from "../../../components/cli/build-command";
import { LinuxKitError } from "../../../components/errors/errors";

describe("parseSizeMiB", () => {
  const valid: [string, number][] = [
    ["1024", 1024],
    ["1024M", 1024],
    ["512m", 512],
    ["512MB", 512],
    ["512MiB", 512],
    ["1G", 1024],
    ["2g", 2048],
    ["1GiB", 1024],
    ["2048K", 2],
    ["1500K", 2],
    [" 4G ", 4096],
    ["8 G", 8192],
  ];
  for (const [text, mib] of valid) {
    it(`${JSON.stringify(text)} is ${mib} MiB`, () => assert.equal(parseSizeMiB(text), mib));
  }

  for (const text of ["", "G", "1.5G", "1T", "-1G", "abc", "1GG", "0x10"]) {
    it(`${JSON.stringify(text)} is a USAGE error with a hint`, () => {
      assert.throws(
        () => parseSizeMiB(text),
        (e: unknown) => {
          assert.ok(e instanceof LinuxKitError);
          assert.equal(e.code, "USAGE");
          assert.match(e.message, /not a size/);
          assert.match(e.hint ?? "", /1024M/);
          return true;
        },
      );
    });
  }
});

describe("defaultName", () => {
  const cases: [string, string][] = [
    ["linuxkit.yml", "linuxkit"],
    ["/srv/images/web.yaml", "web"],
    ["examples/sshd.YML", "sshd"],
    ["a.b.yml", "a.b"],
    ["noext", "noext"],
    ["config.json", "config.json"],
    ["dir.yml/file", "file"],
  ];
  for (const [file, name] of cases) {
    it(`${file} → ${name}`, () => assert.equal(defaultName(file), name));
  }
});
