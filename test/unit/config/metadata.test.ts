/**
 * `files: metadata: yaml|json` holds the configuration exactly as LinuxKit
 * writes it. The golden files next to the fixture were written by go-yaml
 * v2.4.0 `yaml.Marshal` and Go's `json.MarshalIndent` from LinuxKit's
 * Moby structs (not by this code): quoting, folding past column 80, lists
 * not indented, lower-case OCI mount keys, `path` and `source` as written.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { parseSpec, specMetadata } from "../../../components/config";
import { goYamlMarshal, goYamlMap, GoYamlMap } from "../../../components/config/go-yaml";
import { fixture } from "../../helpers/paths";

const input = fixture("metadata", "linuxkit.yml");
const golden = (ext: string): string =>
  readFileSync(fixture("metadata", `linuxkit.metadata.${ext}`), "utf8");

describe("files: metadata", () => {
  const { spec } = parseSpec(readFileSync(input, "utf8"), input);

  it("yaml: byte-identical to LinuxKit's (go-yaml v2)", () => {
    assert.equal(specMetadata(spec, "yaml"), golden("yaml"));
  });

  it("json: byte-identical to LinuxKit's (encoding/json, 4-space indent)", () => {
    assert.equal(specMetadata(spec, "json"), golden("json"));
  });

  it("keeps path and source as written while the build uses them normalised", () => {
    const file = spec.files.find((f) => f.path === "etc/ssl/cert.pem");
    assert.ok(file?.source?.startsWith("/"), "the build reads an absolute source");
    assert.match(specMetadata(spec, "yaml"), /source: \.\/certs\/cert\.pem\n/);
    assert.match(specMetadata(spec, "yaml"), /- path: \/etc\/motd\n/);
  });
});

describe("go-yaml v2 scalars", () => {
  const one = (value: string): string => goYamlMarshal(new GoYamlMap([["k", value]]));
  // expected values: go-yaml v2.4.0 yaml.Marshal(map[string]string{"k": value})
  const cases: Array<[string, string]> = [
    ["plain", "k: plain\n"],
    ["", 'k: ""\n'],
    ["yes", 'k: "yes"\n'],
    ["0644", 'k: "0644"\n'],
    ["1.5", 'k: "1.5"\n'],
    ["1:20", 'k: "1:20"\n'],
    ["2001-12-14", 'k: "2001-12-14"\n'],
    ["a: b", "k: 'a: b'\n"],
    ["it's", "k: it's\n"],
    ["'q'", "k: '''q'''\n"],
    ["#x", "k: '#x'\n"],
    [" lead", "k: ' lead'\n"],
    ["tab\there", 'k: "tab\\there"\n'],
    ["two\nlines", "k: |-\n  two\n  lines\n"],
    ["ends\n", "k: |\n  ends\n"],
    ["ends\n\n", "k: |+\n  ends\n\n"],
    [" x\ny", "k: |2-\n   x\n  y\n"],
    // go-yaml's is_printable is narrower than libyaml's: NEL and non-BMP are escaped
    ["a\u0085b", 'k: "a\\Nb"\n'],
    ["smile \u{1F600}", 'k: "smile \\U0001F600"\n'],
    // its is_bom tests the string's start: then every character is escaped
    ["\ufeffab c", 'k: "\\uFEFF\\x61\\x62\\x20\\x63"\n'],
    ["x\u2028y", "k: 'x\u2028  y'\n"],
    [
      `long ${"word ".repeat(16).trim()}`,
      "k: long word word word word word word word word word word word word word word word\n  word\n",
    ],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () =>
      assert.equal(one(value), expected));
  }

  it("writes a multi-line key as a complex key", () => {
    assert.equal(
      goYamlMarshal(new GoYamlMap([["two\nlines", "v"]])),
      "? |-\n  two\n  lines\n: v\n",
    );
  });

  it("sorts Go map keys as go-yaml does (numbers by value)", () => {
    const yaml = goYamlMarshal(goYamlMap({ b10: "x", b9: "x", a: "x", "1": "x" }));
    assert.equal(yaml, '"1": x\na: x\nb9: x\nb10: x\n');
  });
});
