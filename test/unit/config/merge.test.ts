/**
 * Several files merge as LinuxKit's AppendConfig: kernel fields last-wins
 * one by one, lists append, names stay unique across files.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadSpecFiles, mergeSpecs, parseSpecText } from "../../../components/config";
import { fixture } from "../../helpers/paths";
import { errorsOf, errorsOfAsync } from "./helpers";

const merge = (name: string): string => fixture("spec", "merge", name);
const base = merge("base.yml");
const override = merge("sub/override.yml");

describe("merging files", () => {
  it("merges kernel fields one by one and appends every list", async () => {
    const { spec, files } = await loadSpecFiles([base, override]);
    assert.deepEqual(files, [base, override]);
    assert.deepEqual(spec.kernel, {
      image: "linuxkit/kernel:6.6.71",
      cmdline: "console=ttyS0 quiet",
      tar: "none",
    });
    assert.deepEqual(spec.init, [
      "linuxkit/init:v1.2.0",
      "linuxkit/runc:v1.1.12",
      "linuxkit/containerd:v1.7.20",
    ]);
    assert.deepEqual(
      spec.services.map((s) => s.name),
      ["getty", "sshd"],
    );
    assert.deepEqual(
      spec.files.map((f) => f.path),
      ["etc/motd", "etc/issue"],
    );
    assert.deepEqual(
      spec.volumes.map((v) => v.name),
      ["data", "cache"],
    );
    assert.deepEqual(spec.trust, { org: ["linuxkit", "example"] });
  });

  it("allows repeated onboot names, as LinuxKit does (bundle paths carry the index)", async () => {
    const { spec } = await loadSpecFiles([base, override]);
    assert.deepEqual(
      spec.onboot.map((e) => e.name),
      ["dhcpcd", "dhcpcd"],
    );
  });

  it("resolves each file's relative sources against its own directory", async () => {
    const { spec } = await loadSpecFiles([base, override]);
    assert.equal(spec.files[1]?.source, merge("sub/assets/issue"));
  });

  it("resolves uid names and volume binds across files", async () => {
    const { spec } = await loadSpecFiles([base, merge("cross-file-names.yml")]);
    assert.equal(spec.files[1]?.uid, "getty");
    assert.deepEqual(spec.services[1]?.binds, ["data:/var/log:ro"]);
  });

  it("reports names that no input defines", async () => {
    const file = merge("cross-file-names.yml");
    const errors = await errorsOfAsync(loadSpecFiles([file]));
    assert.deepEqual(
      errors.map((e) => [e.file, e.line, e.field]),
      [
        [file, 5, "files[0] (var/lib/getty).uid"],
        [file, 10, "services[0] (logger).binds[0]"],
      ],
    );
  });

  it("does not let an empty kernel field clear an earlier one", async () => {
    const { spec } = await loadSpecFiles([base, merge("kernel-image-only.yml")]);
    assert.deepEqual(spec.kernel, { image: "linuxkit/kernel:6.12.0", cmdline: "console=ttyS0" });
  });

  it("rejects a service name defined in two files, naming both", async () => {
    const dup = merge("dup-service.yml");
    const [error, ...rest] = await errorsOfAsync(loadSpecFiles([base, override, dup]));
    assert.equal(rest.length, 0);
    assert.equal(error?.code, "SPEC_MERGE");
    assert.equal(error?.file, dup);
    assert.equal(error?.line, 2);
    assert.equal(error?.field, "services[2] (sshd).name");
    assert.ok(error?.message.includes(`already defined in ${override}:12:11`), error?.message);
  });

  it("rejects a volume name defined in two files", async () => {
    const [error] = await errorsOfAsync(loadSpecFiles([base, merge("dup-volume.yml")]));
    assert.equal(error?.code, "SPEC_MERGE");
    assert.equal(error?.field, "volumes[1] (data).name");
    assert.ok(error?.message.includes(`${base}:17:11`), error?.message);
  });

  it("gives locations in the merged numbering", async () => {
    const { locations } = await loadSpecFiles([base, override]);
    assert.deepEqual(locations.locationOf("services[1].image"), {
      file: override,
      line: 13,
      column: 12,
    });
    assert.deepEqual(locations.locationOf("files[1] (etc/issue).source"), {
      file: override,
      line: 19,
      column: 13,
    });
    assert.deepEqual(locations.locationOf("init[2]"), { file: override, line: 6, column: 5 });
    assert.deepEqual(locations.locationOf("kernel.cmdline"), {
      file: override,
      line: 3,
      column: 12,
    });
    assert.deepEqual(locations.locationOf("kernel.image"), { file: base, line: 2, column: 10 });
    assert.deepEqual(locations.locationOf("trust.org[1]"), { file: override, line: 23, column: 9 });
  });

  it("mergeSpecs over parsed texts equals loadSpecFiles", async () => {
    const docs = [base, override].map((f) => parseSpecText(readFileSync(f, "utf8"), f));
    const merged = mergeSpecs(docs);
    const loaded = await loadSpecFiles([base, override]);
    assert.deepEqual(merged.spec, loaded.spec);
  });

  it("requires a kernel image when only a later file has a kernel section", () => {
    const docs = [
      parseSpecText("init: [linuxkit/init:v1]\n", "a.yml"),
      parseSpecText("kernel:\n  cmdline: quiet\n", "b.yml"),
    ];
    const [error] = errorsOf(() => mergeSpecs(docs));
    assert.equal(error?.file, "b.yml");
    assert.equal(error?.line, 1);
    assert.equal(error?.field, "kernel.image");
  });
});
