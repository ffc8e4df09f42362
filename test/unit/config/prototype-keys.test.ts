/**
 * Keys that name properties every JavaScript object inherits
 * (`constructor`, `__proto__`, `toString`) are fields like any other
 * (issue 19, finding 11): in a LinuxKit object they are unknown fields,
 * reported with file, line and field path like any misspelt key, and no
 * spelling of them, in YAML or in a plain object (Pulumi inputs, an
 * image's label), changes any object's prototype.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { load as jsYamlLoad } from "js-yaml";
import { parse as yamlParse } from "yaml";

import { parseSpec, parseSpecObject } from "../../../components/config";
import { specToYaml } from "../../../components/config/serialize";
import { treeFromYaml } from "../../../components/config/tree";
import { validateStructure } from "../../../components/config/validate";
import { errorsOf } from "./helpers";

const KERNEL = `kernel:
  image: linuxkit/kernel:6.6.13
  cmdline: "console=ttyS0"
`;

function assertNoPollution(): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined, "Object.prototype was polluted");
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
}

describe("keys named like Object.prototype's properties", () => {
  for (const key of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    it(`\`${key}\` in the kernel section is an unknown field with its line`, () => {
      const text = `${KERNEL}  ${key}: x\n`;
      const errors = errorsOf(() => parseSpec(text, "proto.yml"));
      assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
      const [e] = errors;
      assert.equal(e!.code, "SPEC_INVALID");
      assert.equal(e!.file, "proto.yml");
      assert.equal(e!.line, 4);
      assert.equal(e!.field, `kernel.${key}`);
      assert.match(e!.message, new RegExp(`unknown field \`${key}\``));
      assertNoPollution();
    });

    it(`\`${key}\` at the top level is an unknown field`, () => {
      const text = `${key}:\n  polluted: yes\n${KERNEL}`;
      const errors = errorsOf(() => parseSpec(text, "top.yml"));
      assert.equal(errors.length, 1, errors.map((e) => e.message).join("\n"));
      assert.equal(errors[0]!.field, key);
      assert.equal(errors[0]!.line, 1);
      assertNoPollution();
    });
  }

  it("an object given as Pulumi inputs with an own `__proto__` key is refused, not merged", () => {
    const obj = JSON.parse(
      `{"kernel":{"image":"linuxkit/kernel:6.6.13","__proto__":{"polluted":"yes"}},"init":[]}`,
    ) as unknown;
    const errors = errorsOf(() => parseSpecObject(obj, "inputs"));
    assert.deepEqual(
      errors.map((e) => e.field),
      ["kernel.__proto__"],
    );
    assertNoPollution();
  });

  const SERVICE = `services:
  - name: s
    image: linuxkit/getty:v1
    sysctl:
      __proto__: "1"
      constructor: "2"
      net.ipv4.ip_forward: "1"
`;

  it("a string map keeps `__proto__` and `constructor` as ordinary keys", () => {
    const tree = treeFromYaml(SERVICE, "m.yml");
    const { value, problems } = validateStructure(tree.root, "m.yml");
    assert.deepEqual(problems.errors, []);
    const [service] = value.services as { sysctl: Record<string, string> }[];
    const sysctl = service!.sysctl;
    assert.deepEqual(Object.keys(sysctl), ["__proto__", "constructor", "net.ipv4.ip_forward"]);
    assert.equal(sysctl.constructor, "2");
    assert.equal(Object.getPrototypeOf(sysctl), Object.prototype);
    assert.equal(JSON.stringify(sysctl).includes(`"__proto__":"1"`), true);
    assertNoPollution();
  });

  it("a configuration with such map keys is written back as YAML that reads the same", () => {
    const spec = parseSpec(`${KERNEL}${SERVICE}`, "round.yml").spec;
    const again = parseSpec(specToYaml(spec), "again.yml").spec;
    assert.deepEqual(Object.keys(again.services[0]?.sysctl ?? {}), [
      "__proto__",
      "constructor",
      "net.ipv4.ip_forward",
    ]);
    assert.deepEqual(again, spec);
    assertNoPollution();
  });

  it("the YAML readers make `__proto__` an own key, never a prototype", () => {
    // `yaml` reads documents and image labels here; js-yaml writes configurations back.
    const fromYaml = yamlParse(`__proto__: {polluted: yes}\n`) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(fromYaml), Object.prototype);
    assert.deepEqual(Object.keys(fromYaml), ["__proto__"]);
    const fromJsYaml = jsYamlLoad(`__proto__: {polluted: yes}\n`) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(fromJsYaml), Object.prototype);
    assert.deepEqual(Object.keys(fromJsYaml), ["__proto__"]);
    assertNoPollution();
  });
});
