/**
 * The plugin loads @pulumi/gcp and @pulumi/command only when a component
 * that needs them is constructed: making the provider (what the plugin
 * does at start) loads neither, constructing `linuxkit:gcp:Image` loads
 * @pulumi/gcp and still not @pulumi/command. Each check runs in a fresh
 * process, on the compiled modules the plugin bundle is made from.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";

const PROVIDER = path.resolve(
  __dirname,
  "..",
  "..",
  "..",
  "components",
  "pulumi",
  "provider",
  "linuxkit-provider.js",
);

/** Which of @pulumi/gcp and @pulumi/command are loaded after `script` ran in a fresh node. */
function loadedAfter(script: string): string[] {
  const out = execFileSync(
    process.execPath,
    [
      "-e",
      `(async () => {
        const { linuxkitProvider } = require(${JSON.stringify(PROVIDER)});
        const served = linuxkitProvider("0.0.0-test");
        ${script}
        const loaded = Object.keys(require.cache);
        const watched = { gcp: "/node_modules/@pulumi/gcp/", command: "/node_modules/@pulumi/command/" };
        console.log(JSON.stringify(Object.entries(watched).filter(([, p]) => loaded.some((k) => k.includes(p))).map(([n]) => n)));
      })();`,
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(out.trim()) as string[];
}

describe("plugin start-up", () => {
  it("making the provider loads neither @pulumi/gcp nor @pulumi/command", () => {
    assert.deepEqual(loadedAfter(""), []);
  });

  it("constructing a gcp token loads @pulumi/gcp (only)", () => {
    // The image is no resource, so construct stops with an error right after loading the component.
    const script = `await served.provider.construct("x", "linuxkit:gcp:Image", { image: "not-a-resource", bucket: "b" }, {}).then(
      () => { throw new Error("construct accepted a string image"); },
      (e) => { if (!/must be a linuxkit:index:Image resource/.test(e.reason)) throw e; },
    );`;
    assert.deepEqual(loadedAfter(script), ["gcp"]);
  });
});
