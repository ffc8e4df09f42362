/**
 * Every value can be traced to the file, line and column that wrote it,
 * for errors raised by later stages.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSpecFiles, parseSpecObject } from "../../../components/config";
import { fixture } from "../../helpers/paths";

const nginx = fixture("spec", "valid", "nginx.yml");
const full = fixture("spec", "valid", "full.yml");

describe("SpecLocations", () => {
  it("locates values by field path, with or without entry names", async () => {
    const { locations } = await loadSpecFiles([nginx]);
    const expected = { file: nginx, line: 46, column: 12 };
    assert.deepEqual(locations.locationOf("services[1].image"), expected);
    assert.deepEqual(locations.locationOf("services[1] (nginx).image"), expected);
    assert.deepEqual(locations.locationOf("onboot[2].binds[1]"), {
      file: nginx,
      line: 31,
      column: 9,
    });
    assert.deepEqual(locations.locationOf("files[0].contents"), {
      file: nginx,
      line: 56,
      column: 15,
    });
  });

  it("locates keys separately from values", async () => {
    const { locations } = await loadSpecFiles([nginx]);
    assert.deepEqual(locations.keyLocationOf("services[1].image"), {
      file: nginx,
      line: 46,
      column: 5,
    });
    assert.deepEqual(locations.keyLocationOf("init[0]"), locations.locationOf("init[0]"));
  });

  it("locates keys of free-form maps", async () => {
    const { locations } = await loadSpecFiles([full]);
    assert.deepEqual(locations.locationOf('onboot[0].sysctl["net.ipv4.ip_forward"]'), {
      file: full,
      line: 21,
      column: 28,
    });
  });

  it("returns undefined for paths that were not written", async () => {
    const { locations } = await loadSpecFiles([nginx]);
    assert.equal(locations.locationOf("services[1].readonly"), undefined);
    assert.equal(locations.locationOf("services[9]"), undefined);
  });

  it("finds every use of an image, also under its expanded name", async () => {
    const { locations } = await loadSpecFiles([nginx]);
    const uses = [{ field: "services[1].image", location: { file: nginx, line: 46, column: 12 } }];
    assert.deepEqual(locations.imageUses("nginx:alpine"), uses);
    assert.deepEqual(locations.imageUses("docker.io/library/nginx:alpine"), uses);
    assert.deepEqual(locations.imageUses("mobylinux/kernel:4.9.x"), [
      { field: "kernel.image", location: { file: nginx, line: 6, column: 10 } },
    ]);
    assert.deepEqual(
      locations
        .imageUses("linuxkit/init:42fe8cb1508b3afed39eb89821906e3cc7a70551")
        .map((u) => u.field),
      ["init[0]"],
    );
    assert.deepEqual(locations.imageUses("nginx:latest"), []);
  });

  it("finds volume images too", async () => {
    const { locations } = await loadSpecFiles([full]);
    assert.deepEqual(
      locations.imageUses("alpine:3.20").map((u) => u.field),
      ["onshutdown[0].image", "volumes[1].image"],
    );
  });

  it("gives error details ready to spread into a LinuxKitError", async () => {
    const { locations } = await loadSpecFiles([full]);
    assert.deepEqual(locations.detailsFor("files[0].source"), {
      file: full,
      line: 133,
      column: 13,
      field: "files[0].source",
    });
    assert.equal(locations.fileOf("files[0]"), full);
  });

  it("has files but no positions for object inputs", () => {
    const { locations } = parseSpecObject(
      { services: [{ name: "web", image: "nginx:alpine" }] },
      "stack.ts",
    );
    assert.equal(locations.locationOf("services[0].image"), undefined);
    assert.equal(locations.fileOf("services[0].image"), "stack.ts");
    assert.deepEqual(locations.imageUses("nginx:alpine"), [{ field: "services[0].image" }]);
    assert.deepEqual(locations.detailsFor("services[0].image"), {
      file: "stack.ts",
      line: undefined,
      column: undefined,
      field: "services[0].image",
    });
  });
});
