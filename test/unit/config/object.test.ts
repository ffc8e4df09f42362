/**
 * Object input (the Pulumi resource's args) gets the same validation as
 * YAML; errors carry field paths but no positions.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import {
  loadSpecFiles,
  mergeSpecs,
  parseSpecObject,
  parseSpecObjectDocument,
} from "../../../components/config";
import { fixture } from "../../helpers/paths";
import { errorsOf } from "./helpers";

describe("parseSpecObject", () => {
  it("gives the same spec as the equivalent YAML", async () => {
    const { spec: fromYaml } = await loadSpecFiles([fixture("spec", "valid", "docker-sshd.yml")]);
    const { spec } = parseSpecObject(structuredClone(fromYaml));
    assert.deepEqual(spec, fromYaml);
  });

  it("reports every problem with its field, the label as file, and no position", () => {
    const errors = errorsOf(() =>
      parseSpecObject(
        {
          kernel: { image: "linuxkit/kernel:6.6.71", cmdlne: "quiet" },
          services: [
            { name: "web", image: "nginx:alpine", readonly: "yes", capabilities: "CAP_NET_ADMIN" },
          ],
          files: [{ path: "/../etc/shadow", contents: "" }],
        },
        "index.ts",
      ),
    );
    assert.deepEqual(
      errors.map((e) => [e.code, e.field, e.file, e.line, e.column]),
      [
        ["SPEC_INVALID", "kernel.cmdlne", "index.ts", undefined, undefined],
        ["SPEC_INVALID", "services[0] (web).readonly", "index.ts", undefined, undefined],
        ["SPEC_INVALID", "services[0] (web).capabilities", "index.ts", undefined, undefined],
        ["PATH_ESCAPE", "files[0] (/../etc/shadow).path", "index.ts", undefined, undefined],
      ],
    );
    assert.equal(errors[0]?.hint, "did you mean `cmdline`?");
  });

  it("treats undefined properties as absent", () => {
    const { spec } = parseSpecObject({
      init: undefined,
      services: [{ name: "a", image: "b", readonly: undefined }],
    });
    assert.deepEqual(spec.services, [{ name: "a", image: "b" }]);
    assert.deepEqual(spec.init, []);
  });

  it("rejects values that are not plain data", () => {
    const [error] = errorsOf(() =>
      parseSpecObject({ files: [{ path: "etc/x", contents: new Date(0) }] }),
    );
    assert.equal(error?.field, "files[0].contents");
    assert.match(error?.message ?? "", /unsupported value/);
  });

  it("rejects a value that is not a mapping", () => {
    const [error] = errorsOf(() => parseSpecObject(["init"]));
    assert.match(
      error?.message ?? "",
      /expected a LinuxKit configuration \(a mapping\), got a list/,
    );
  });

  it("resolves relative sources against baseDir (default: the working directory)", () => {
    const obj = { files: [{ path: "etc/x", source: "x.txt" }] };
    assert.equal(
      parseSpecObject(obj, "o", { baseDir: "/srv/app" }).spec.files[0]?.source,
      "/srv/app/x.txt",
    );
    assert.equal(parseSpecObject(obj).spec.files[0]?.source, path.resolve("x.txt"));
  });

  it("requires a kernel image for a complete configuration, but not for a document to merge", () => {
    const partial = { kernel: { cmdline: "quiet" } };
    const [error] = errorsOf(() => parseSpecObject(partial));
    assert.equal(error?.field, "kernel.image");
    const merged = mergeSpecs([
      parseSpecObjectDocument({ kernel: { image: "linuxkit/kernel:6.6.71" } }, "base"),
      parseSpecObjectDocument(partial, "override"),
    ]);
    assert.deepEqual(merged.spec.kernel, { image: "linuxkit/kernel:6.6.71", cmdline: "quiet" });
    assert.deepEqual(merged.files, ["base", "override"]);
  });
});
