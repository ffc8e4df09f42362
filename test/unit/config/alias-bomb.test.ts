/**
 * A YAML alias bomb ("billion laughs") is refused, not expanded (issue 19,
 * finding 2): 400 bytes whose aliases nest nine deep would expand to 10^9
 * values (the old converter took 1.4 GB and 23 s for less, then crashed
 * node). The budget is generous for real configurations: a file that
 * reuses an anchor a few hundred times still parses.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { treeFromYaml } from "../../../components/config/tree";

const BOMB = `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

describe("YAML aliases", () => {
  it(
    "an alias bomb is a SPEC_SYNTAX error naming the file and line, not an expansion",
    { timeout: 60_000 },
    () => {
      const r = treeFromYaml(BOMB, "bomb.yml");
      assert.equal(r.root, undefined);
      assert.equal(r.errors.length, 1, r.errors.map((e) => e.message).join("\n"));
      const [e] = r.errors;
      assert.equal(e!.code, "SPEC_SYNTAX");
      assert.match(e!.message, /aliases expand to more than/);
      assert.equal(e!.file, "bomb.yml");
      assert.ok(e!.line !== undefined && e!.line >= 1);
      assert.match(e!.hint ?? "", /alias/);
    },
  );

  it("an anchor reused hundreds of times is fine", () => {
    const uses = Array.from({ length: 300 }, (_, i) => `  - name: s${i}\n    <<: *common`).join(
      "\n",
    );
    const text = `common: &common\n  image: linuxkit/getty:v1\n  env: [A=1, B=2]\nservices:\n${uses}\n`;
    const r = treeFromYaml(text, "ok.yml");
    assert.deepEqual(r.errors, []);
    assert.equal(r.root?.kind, "map");
  });
});
