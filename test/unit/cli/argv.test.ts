import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { normaliseFlags, parseCommandArgs } from "../../../components/cli/argv";
import { LinuxKitError } from "../../../components/errors/errors";

const LONG = ["format", "dir", "name", "size", "no-cache"];

describe("normaliseFlags", () => {
  const cases: [string[], string[]][] = [
    [
      ["-format", "iso-bios"],
      ["--format", "iso-bios"],
    ],
    [
      ["-dir=out", "-size=1G"],
      ["--dir=out", "--size=1G"],
    ],
    [["-no-cache"], ["--no-cache"]],
    [
      ["--format", "raw-bios"],
      ["--format", "raw-bios"],
    ],
    [
      ["-f", "kernel+initrd", "-d", "out"],
      ["-f", "kernel+initrd", "-d", "out"],
    ],
    [
      ["-unknown", "-"],
      ["-unknown", "-"],
    ],
    [
      ["web.yml", "more.yaml"],
      ["web.yml", "more.yaml"],
    ],
    [["-Format"], ["-Format"]],
  ];
  for (const [input, expected] of cases) {
    it(`${input.join(" ")} → ${expected.join(" ")}`, () =>
      assert.deepEqual(normaliseFlags(input, LONG), expected));
  }
});

describe("parseCommandArgs", () => {
  const options = {
    format: { type: "string" as const, multiple: true, short: "f" },
    dir: { type: "string" as const },
    pull: { type: "boolean" as const },
  };

  it("accepts LinuxKit's single-dash flags next to GNU-style ones", () => {
    const { values, positionals } = parseCommandArgs(
      [
        "-format",
        "kernel+initrd",
        "--format=iso-bios",
        "-f",
        "raw-bios",
        "-dir",
        "out",
        "-pull",
        "linuxkit.yml",
      ],
      options,
      "usage text",
    );
    assert.deepEqual(
      { ...values },
      { format: ["kernel+initrd", "iso-bios", "raw-bios"], dir: "out", pull: true },
    );
    assert.deepEqual(positionals, ["linuxkit.yml"]);
  });

  it("an unknown flag is a USAGE error carrying the usage as its hint", () => {
    assert.throws(
      () => parseCommandArgs(["--formt", "x"], options, "usage text"),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError);
        assert.equal(e.code, "USAGE");
        assert.match(e.message, /--formt/);
        assert.equal(e.hint, "usage text");
        return true;
      },
    );
  });

  it("a string flag without its value is a USAGE error", () => {
    assert.throws(
      () => parseCommandArgs(["-dir"], options, "u"),
      (e: unknown) => e instanceof LinuxKitError && e.code === "USAGE",
    );
  });
});
