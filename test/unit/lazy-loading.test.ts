/**
 * Importing the library (as a Pulumi program does) loads neither the
 * Docker client, nor the YAML parser, nor the format writers; the first
 * call of a pipeline function does. Each check runs in a fresh process.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";

const INDEX = path.resolve(__dirname, "..", "..", "components", "index.js");

/** Which of the watched packages are loaded after running `script` in a fresh node. */
function loadedAfter(script: string): string[] {
  const out = execFileSync(
    process.execPath,
    [
      "-e",
      `${script}
      const loaded = Object.keys(require.cache);
      const watched = { dockerode: "/node_modules/dockerode/", yaml: "/node_modules/yaml/", writers: "/formats/table.js" };
      console.log(JSON.stringify(Object.entries(watched).filter(([, p]) => loaded.some((k) => k.includes(p))).map(([n]) => n)));`,
    ],
    { encoding: "utf8" },
  );
  return JSON.parse(out.trim()) as string[];
}

describe("lazy loading", () => {
  it("importing pulumi-linuxkit loads no Docker client, YAML parser or format writer", () => {
    assert.deepEqual(loadedAfter(`require(${JSON.stringify(INDEX)});`), []);
  });

  it("a config function loads the YAML parser on its first call, and nothing else", () => {
    assert.deepEqual(
      loadedAfter(
        `const lk = require(${JSON.stringify(INDEX)}); lk.canonicalSpecHash({ kernel: { image: "a:b" } });`,
      ),
      ["yaml"],
    );
  });
});
