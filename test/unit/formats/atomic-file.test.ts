import assert from "node:assert/strict";
import { link, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import {
  ArtifactSet,
  publishTogether,
  tempPathFor,
  writeAtomic,
} from "../../../components/formats/blocks/atomic-file";
import { withTmpDir } from "../../helpers/formats/tmp";

describe("writeAtomic", () => {
  it("writes under a hidden temporary name in the same directory, then renames into place", async () => {
    await withTmpDir(async (dir) => {
      const dest = path.join(dir, "out.img");
      let seen = "";
      const result = await writeAtomic(dest, async (tmp) => {
        seen = tmp;
        await writeFile(tmp, "data");
        assert.deepEqual(await readdir(dir), [path.basename(tmp)], "nothing at dest while writing");
        return 42;
      });
      assert.equal(result, 42);
      assert.equal(path.dirname(seen), dir);
      assert.match(path.basename(seen), /^\.out\.img\.tmp-[0-9a-f]{12}$/);
      assert.equal(await readFile(dest, "utf8"), "data");
      assert.deepEqual(await readdir(dir), ["out.img"]);
    });
  });

  it("leaves no file and no temporary file when produce throws, and keeps an older dest", async () => {
    await withTmpDir(async (dir) => {
      const dest = path.join(dir, "out.img");
      await writeFile(dest, "old");
      await assert.rejects(
        writeAtomic(dest, async (tmp) => {
          await writeFile(tmp, "half");
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.deepEqual(await readdir(dir), ["out.img"]);
      assert.equal(await readFile(dest, "utf8"), "old");
    });
  });

  it("removes the temporary file when aborted", async () => {
    await withTmpDir(async (dir) => {
      const ac = new AbortController();
      await assert.rejects(
        writeAtomic(
          path.join(dir, "out.img"),
          async (tmp) => {
            await writeFile(tmp, "x");
            ac.abort();
          },
          { signal: ac.signal },
        ),
        { name: "AbortError" },
      );
      assert.deepEqual(await readdir(dir), []);
    });
  });

  it("names temporaries uniquely", () => {
    assert.notEqual(tempPathFor("/a/b"), tempPathFor("/a/b"));
  });
});

describe("ArtifactSet", () => {
  it("publishes every file only at commit", async () => {
    await withTmpDir(async (dir) => {
      const set = new ArtifactSet();
      await set.add(path.join(dir, "a"), (tmp) => writeFile(tmp, "A"));
      await set.add(path.join(dir, "b"), (tmp) => writeFile(tmp, "B"));
      assert.ok(
        (await readdir(dir)).every((n) => n.startsWith(".")),
        "only temporaries before commit",
      );
      await set.commit();
      assert.deepEqual((await readdir(dir)).sort(), ["a", "b"]);
    });
  });

  it("publishes nothing when a later file fails", async () => {
    await withTmpDir(async (dir) => {
      await assert.rejects(
        publishTogether(async (set) => {
          await set.add(path.join(dir, "a"), (tmp) => writeFile(tmp, "A"));
          await set.add(path.join(dir, "b"), async (tmp) => {
            await writeFile(tmp, "partial");
            throw new Error("disk full");
          });
        }),
        /disk full/,
      );
      assert.deepEqual(await readdir(dir), []);
    });
  });

  it("removes files already renamed when a rename fails midway", async () => {
    await withTmpDir(async (dir) => {
      await mkdir(path.join(dir, "b"));
      await writeFile(path.join(dir, "b", "keep"), "a directory in the way");
      await assert.rejects(
        publishTogether(async (set) => {
          await set.add(path.join(dir, "a"), (tmp) => writeFile(tmp, "A"));
          await set.add(path.join(dir, "b"), (tmp) => writeFile(tmp, "B"));
        }),
      );
      assert.deepEqual(
        await readdir(dir),
        ["b"],
        "a was published then withdrawn; no temporaries left",
      );
    });
  });

  it("refuses the same destination twice", async () => {
    await withTmpDir(async (dir) => {
      const set = new ArtifactSet();
      await set.add(path.join(dir, "a"), (tmp) => writeFile(tmp, "A"));
      await assert.rejects(
        set.add(path.join(dir, "a"), (tmp) => writeFile(tmp, "A")),
        /twice/,
      );
      await set.discard();
      assert.deepEqual(await readdir(dir), []);
    });
  });
});

describe("direct mode (a staging folder published by its owner)", () => {
  it("writes straight under the final name, with no temporary file", async () => {
    await withTmpDir(async (dir) => {
      const dest = path.join(dir, "out.img");
      let seen = "";
      await writeAtomic(
        dest,
        async (p) => {
          seen = p;
          await writeFile(p, "data");
        },
        { direct: true },
      );
      assert.equal(seen, dest);
      assert.deepEqual(await readdir(dir), ["out.img"]);
    });
  });

  it("never writes through a hard link already at the destination", async () => {
    await withTmpDir(async (dir) => {
      const shared = path.join(dir, "shared");
      const dest = path.join(dir, "out.img");
      await writeFile(shared, "shared bytes");
      await link(shared, dest);
      await writeAtomic(dest, (p) => writeFile(p, "new"), { direct: true });
      assert.equal(await readFile(dest, "utf8"), "new");
      assert.equal(await readFile(shared, "utf8"), "shared bytes", "the other name is untouched");
    });
  });

  it("removes every file of a set when one fails", async () => {
    await withTmpDir(async (dir) => {
      await assert.rejects(
        publishTogether(
          async (set) => {
            await set.add(path.join(dir, "a"), (p) => writeFile(p, "a"));
            await set.add(path.join(dir, "b"), async (p) => {
              await writeFile(p, "half");
              throw new Error("boom");
            });
          },
          { direct: true },
        ),
        /boom/,
      );
      assert.deepEqual(await readdir(dir), []);
    });
  });
});
