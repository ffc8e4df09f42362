/**
 * `outputs:` (moby-era YAML, as in both seed documents): accepted, merged
 * across files in order with repeats dropped, each format name checked
 * with its position, and used when no format is chosen explicitly.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalSpecHash,
  chooseFormats,
  mergeSpecs,
  outputFormats,
  parseSpec,
  parseSpecObject,
  parseSpecText,
  specMetadata,
  specToYaml,
} from "../../../components/config";
import { OUTPUT_FORMATS, PLANNED_OUTPUT_FORMATS } from "../../../components/config/vocabulary";
import { formatNames, PLANNED_FORMATS } from "../../../components/formats/table";
import { errorsOf } from "./helpers";

const KERNEL = "kernel:\n  image: linuxkit/kernel:6.6.71\n";

describe("outputs:", () => {
  it("is read as a list of formats, in order", () => {
    const { spec } = parseSpec(
      `${KERNEL}outputs:\n  - format: kernel+initrd\n  - format: iso-bios\n  - format: iso-efi\n`,
      "seed.yml",
    );
    assert.deepEqual(spec.outputs, [
      { format: "kernel+initrd" },
      { format: "iso-bios" },
      { format: "iso-efi" },
    ]);
    assert.deepEqual(outputFormats(spec), ["kernel+initrd", "iso-bios", "iso-efi"]);
  });

  it("merges across files in order and drops a format already listed", () => {
    const a = parseSpecText(
      `${KERNEL}outputs:\n  - format: iso-bios\n  - format: kernel+initrd\n`,
      "a.yml",
    );
    const b = parseSpecText(
      "outputs:\n  - format: kernel+initrd\n  - format: iso-efi\n  - format: iso-efi\n",
      "b.yml",
    );
    const { spec, locations } = mergeSpecs([a, b]);
    assert.deepEqual(outputFormats(spec), ["iso-bios", "kernel+initrd", "iso-efi"]);
    assert.equal(spec.outputs?.length, 3, "repeats are dropped from the merged spec itself");
    // the kept iso-efi is b.yml's first (line 3), at merged index 2
    assert.deepEqual(locations.locationOf("outputs[2].format"), {
      file: "b.yml",
      line: 3,
      column: 13,
    });
  });

  it("an unknown or unsupported format is an error at its file:line:col, every one reported", () => {
    const errors = errorsOf(() =>
      parseSpec(
        `${KERNEL}outputs:\n  - format: kernel+initrd\n  - format: iso-biso\n  - format: rpi3\n  - {}\n`,
        "bad.yml",
      ),
    );
    const described = errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.field}: ${e.message}`);
    assert.deepEqual(described, [
      'bad.yml:5:13 outputs[1].format: outputs[1].format: unknown output format "iso-biso"',
      "bad.yml:6:13 outputs[2].format: outputs[2].format: output format rpi3 is not supported yet",
      "bad.yml:7:5 outputs[3].format: outputs[3].format: missing required field `format` in an output",
    ]);
    assert.match(errors[0]?.hint ?? "", /did you mean `iso-bios`\?/);
  });

  it("an explicit choice wins and records what it overrode; else outputs:, else kernel+initrd", () => {
    const { spec } = parseSpec(
      `${KERNEL}outputs:\n  - format: kernel+initrd\n  - format: iso-bios\n`,
      "seed.yml",
    );
    assert.deepEqual(chooseFormats(undefined, spec), {
      formats: ["kernel+initrd", "iso-bios"],
      from: "outputs",
    });
    assert.deepEqual(chooseFormats([], spec), {
      formats: ["kernel+initrd", "iso-bios"],
      from: "outputs",
    });
    assert.deepEqual(chooseFormats(["iso-efi"], spec), {
      formats: ["iso-efi"],
      from: "explicit",
      overridden: ["kernel+initrd", "iso-bios"],
    });
    const plain = parseSpec(KERNEL, "plain.yml").spec;
    assert.deepEqual(chooseFormats(undefined, plain), {
      formats: ["kernel+initrd"],
      from: "default",
    });
    assert.deepEqual(chooseFormats(["tar"], plain), { formats: ["tar"], from: "explicit" });
  });

  it("does not change the configuration hash or the metadata LinuxKit writes, and round-trips", () => {
    const withOutputs = parseSpec(`${KERNEL}outputs:\n  - format: iso-bios\n`, "a.yml").spec;
    const without = parseSpec(KERNEL, "b.yml").spec;
    assert.equal(canonicalSpecHash(withOutputs), canonicalSpecHash(without));
    assert.equal(specMetadata(withOutputs, "yaml"), specMetadata(without, "yaml"));
    assert.equal(specMetadata(withOutputs, "json"), specMetadata(without, "json"));
    assert.deepEqual(parseSpec(specToYaml(withOutputs), "again.yml").spec, withOutputs);
  });

  it("is accepted in an object configuration too", () => {
    const { spec } = parseSpecObject({
      kernel: { image: "linuxkit/kernel:6.6.71" },
      outputs: [{ format: "raw-bios" }],
    });
    assert.deepEqual(outputFormats(spec), ["raw-bios"]);
  });

  it("knows exactly the formats the formats table writes", () => {
    assert.deepEqual([...OUTPUT_FORMATS].sort(), formatNames());
    assert.deepEqual(PLANNED_OUTPUT_FORMATS, PLANNED_FORMATS);
  });
});
