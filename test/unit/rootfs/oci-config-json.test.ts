import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { goMap, marshalIndent } from "../../../components/config/go-json";
import { ociConfig, serializeOciConfig } from "../../../components/rootfs/oci-config";

describe('marshalIndent: Go\'s json.MarshalIndent(v, "", "    ")', () => {
  const cases: Array<{ proves: string; value: Parameters<typeof marshalIndent>[0]; text: string }> =
    [
      {
        proves: "scalars are written as JSON",
        value: [true, null, -1, "s"],
        text: '[\n    true,\n    null,\n    -1,\n    "s"\n]',
      },
      {
        proves: "empty lists and objects stay on one line",
        value: { a: [], b: {} },
        text: '{\n    "a": [],\n    "b": {}\n}',
      },
      {
        proves: "undefined members are left out",
        value: { a: undefined, b: 1 },
        text: '{\n    "b": 1\n}',
      },
      {
        proves: "uint64 values beyond 2^53 are exact as bigint",
        value: [18446744073709551615n],
        text: "[\n    18446744073709551615\n]",
      },
      {
        proves: "<, > and & are escaped as Go does",
        value: "<a href='x'>&</a>",
        text: "\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\"",
      },
      {
        proves: "U+2028 and U+2029 are escaped as Go does",
        value: "a\u2028b\u2029",
        text: '"a\\u2028b\\u2029"',
      },
      {
        proves: "control characters use short escapes or \\u00XX",
        value: '\n\t\u0001"\\',
        text: '"\\n\\t\\u0001\\"\\\\"',
      },
      {
        proves: "a lone surrogate becomes U+FFFD, as Go does with invalid UTF-8",
        value: "a\ud800b",
        text: '"a\ufffdb"',
      },
      {
        proves: "map keys are sorted byte-wise, integer-like keys included",
        value: goMap({ b: "1", "10": "2", "9": "3", B: "4" }),
        text: '{\n    "10": "2",\n    "9": "3",\n    "B": "4",\n    "b": "1"\n}',
      },
    ];
  for (const c of cases) {
    it(c.proves, () => assert.equal(marshalIndent(c.value), c.text));
  }

  it("matches JSON.stringify with 4 spaces for plain data", () => {
    const value = { a: [1, { b: "c" }], d: { e: false } };
    assert.equal(marshalIndent(value), JSON.stringify(value, null, 4));
  });
});

describe("serializeOciConfig", () => {
  it("writes sysctl and annotations keys in Go's sorted order even when JS would reorder them", () => {
    const { config } = ociConfig(
      {
        name: "x",
        image: "x",
        command: ["/x"],
        annotations: { "9": "a", "10": "b" },
        sysctl: { "b.c": "1", "a.b": "2" },
      },
      { ref: "x", labels: {} },
      { idFor: () => undefined, volumes: new Map() },
    );
    const text = serializeOciConfig(config);
    assert.ok(text.indexOf('"10"') < text.indexOf('"9"'));
    assert.ok(text.indexOf('"a.b"') < text.indexOf('"b.c"'));
    assert.ok(!text.endsWith("\n"), "no trailing newline, as LinuxKit writes the marshalled bytes");
  });

  it("round-trips through JSON.parse to the config object (bigints aside)", () => {
    const { config } = ociConfig(
      { name: "x", image: "x", command: ["/x"], readonly: true, binds: ["/a:/a"] },
      { ref: "x", labels: {} },
      { idFor: () => undefined, volumes: new Map() },
    );
    assert.deepEqual(JSON.parse(serializeOciConfig(config)), config);
  });
});
