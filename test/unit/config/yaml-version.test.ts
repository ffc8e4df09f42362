/**
 * LinuxKit parses YAML with go-yaml v3, which follows YAML 1.2 for untyped
 * values: only `true`/`false` are booleans; `yes`, `no`, `on`, `off` are
 * strings. The schema then rejects them where a boolean is needed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSpec, yamlOptions } from "../../../components/config";
import { errorsOf } from "./helpers";

const service = (fields: string): string =>
  `services:\n  - name: app\n    image: alpine:3.20\n${fields}`;

describe("YAML 1.2 scalars", () => {
  it("uses YAML 1.2", () => {
    assert.equal(yamlOptions.version, "1.2");
  });

  it("keeps yes/no/on/off as strings where strings are expected", () => {
    const { spec } = parseSpec(
      service(
        "    command: [echo, yes, no, on, off, y, n]\n    hostname: on\n    sysctl:\n      a: yes\n",
      ),
      "t.yml",
    );
    assert.deepEqual(spec.services[0]?.command, ["echo", "yes", "no", "on", "off", "y", "n"]);
    assert.equal(spec.services[0]?.hostname, "on");
    assert.deepEqual(spec.services[0]?.sysctl, { a: "yes" });
  });

  it("reads true and false as booleans", () => {
    const { spec } = parseSpec(
      service("    readonly: true\n    noNewPrivileges: false\n"),
      "t.yml",
    );
    assert.equal(spec.services[0]?.readonly, true);
    assert.equal(spec.services[0]?.noNewPrivileges, false);
  });

  for (const [word, meant] of [
    ["yes", true],
    ["no", false],
    ["on", true],
    ["off", false],
    ["Yes", true],
  ] as const) {
    it(`rejects \`readonly: ${word}\` and suggests \`${meant}\``, () => {
      const [error, ...rest] = errorsOf(() =>
        parseSpec(service(`    readonly: ${word}\n`), "t.yml"),
      );
      assert.equal(rest.length, 0);
      assert.equal(error?.code, "SPEC_INVALID");
      assert.equal(error?.field, "services[0] (app).readonly");
      assert.equal(error?.line, 4);
      assert.match(error?.hint ?? "", new RegExp(`readonly: ${meant}`));
    });
  }

  it("reads a hexadecimal or 0o-octal integer like go-yaml", () => {
    const { spec } = parseSpec(service("    oomScoreAdj: 0x10\n    uid: 0o17\n"), "t.yml");
    assert.equal(spec.services[0]?.oomScoreAdj, 16);
    assert.equal(spec.services[0]?.uid, 15);
  });

  it("refuses a leading-zero integer whose meaning differs between YAML 1.1 and 1.2", () => {
    const [error] = errorsOf(() => parseSpec(service("    uid: 010\n"), "t.yml"));
    assert.match(error?.message ?? "", /`010` is ambiguous/);
  });

  it("follows anchors, aliases and `<<` merge keys, as go-yaml does", () => {
    const text = [
      "services:",
      "  - &base",
      "    name: a",
      "    image: alpine:3.20",
      "    readonly: true",
      "    env: &env [A=1]",
      "  - <<: *base",
      "    name: b",
      "    readonly: false",
      "    command: *env",
      "",
    ].join("\n");
    const { spec } = parseSpec(text, "t.yml");
    assert.deepEqual(spec.services[1], {
      name: "b",
      readonly: false,
      command: ["A=1"],
      image: "alpine:3.20",
      env: ["A=1"],
    });
  });
});
