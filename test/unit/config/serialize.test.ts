/**
 * specToYaml round-trips; specMetadata mirrors what LinuxKit writes for
 * `files[].metadata`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadSpecFiles, parseSpec, specMetadata, specToYaml } from "../../../components/config";
import { fixture } from "../../helpers/paths";

const valid = (name: string): string => fixture("spec", "valid", name);

describe("specToYaml", () => {
  for (const name of ["nginx.yml", "docker-sshd.yml", "full.yml"]) {
    it(`round-trips ${name}`, async () => {
      const { spec } = await loadSpecFiles([valid(name)]);
      const text = specToYaml(spec);
      assert.deepEqual(parseSpec(text, valid(name)).spec, spec);
    });
  }

  it("quotes strings YAML would read as other types", () => {
    const { spec } = parseSpec(
      'services: [{name: a, image: "b", command: [echo, "yes", "1", "0644", "true", "~", ""]}]\n',
      "t.yml",
    );
    const text = specToYaml(spec);
    assert.deepEqual(parseSpec(text, "t.yml").spec, spec);
    assert.deepEqual(parseSpec(text, "t.yml").spec.services[0]?.command, [
      "echo",
      "yes",
      "1",
      "0644",
      "true",
      "~",
      "",
    ]);
  });

  it("writes sections in LinuxKit's order and leaves out empty lists", async () => {
    const { spec } = await loadSpecFiles([valid("nginx.yml")]);
    const keys = [...specToYaml(spec).matchAll(/^([a-z]+):/gm)].map((m) => m[1]);
    assert.deepEqual(keys, ["kernel", "init", "onboot", "services", "files", "trust"]);
    assert.match(specToYaml(spec), /^ {2}- name: sysctl\n {4}image: /m);
  });
});

describe("specMetadata", () => {
  it("writes JSON indented by 4 spaces with expanded image references and no trust", async () => {
    const { spec } = await loadSpecFiles([valid("nginx.yml")]);
    const text = specMetadata(spec, "json");
    assert.match(text, /^\{\n {4}"kernel": \{\n {8}"image": "docker.io\/mobylinux\/kernel:4.9.x",/);
    const doc = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), [
      "kernel",
      "init",
      "onboot",
      "onshutdown",
      "services",
      "files",
      "volumes",
    ]);
    assert.equal(doc.onshutdown, null, "empty lists are Go nil slices");
    assert.equal(doc.volumes, null);
    const services = doc.services as { name: string; image: string }[];
    assert.equal(services[1]?.image, "docker.io/library/nginx:alpine");
    assert.deepEqual(doc.files, [
      {
        path: "etc/docker/daemon.json",
        directory: false,
        contents: '{"debug": true}',
        optional: false,
      },
    ]);
  });

  it("writes the same configuration as YAML (key spellings of OCI structs aside: see metadata.test.ts)", async () => {
    const { spec } = await loadSpecFiles([valid("full.yml")]);
    const fromYaml = parseYaml(specMetadata(spec, "yaml")) as Record<string, unknown>;
    const fromJson = JSON.parse(specMetadata(spec, "json")) as Record<string, unknown>;
    assert.deepEqual(fromYaml.kernel, fromJson.kernel);
    assert.deepEqual(fromYaml.init, fromJson.init);
    const summary = (doc: Record<string, unknown>): unknown =>
      ["onboot", "onshutdown", "services", "files", "volumes"].map((section) =>
        ((doc[section] as Record<string, unknown>[] | null) ?? []).map((e) => [
          e.name ?? e.path,
          e.image,
        ]),
      );
    assert.deepEqual(summary(fromYaml), summary(fromJson));
    assert.match(specMetadata(spec, "yaml"), /^init:\n- docker.io\/linuxkit\/init:v1.2.0$/m);
  });

  it("writes an empty kernel image when there is no kernel, as LinuxKit's struct does", () => {
    const { spec } = parseSpec("init: [linuxkit/init:v1]\n", "t.yml");
    const doc = JSON.parse(specMetadata(spec, "json")) as Record<string, unknown>;
    assert.deepEqual(doc.kernel, { image: "" });
    assert.deepEqual(doc.init, ["docker.io/linuxkit/init:v1"]);
  });
});
