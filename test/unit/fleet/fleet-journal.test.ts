/**
 * The fleet journal (issue 19, finding 8): written durably (no temporary
 * file left, the content complete), and a torn or unreadable journal does
 * not make update, refresh or destroy throw: it is set aside, named in the
 * log, and Pulumi's own record is used instead.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { JOURNAL_FILE, readJournal, writeJournal } from "../../../components/fleet/fleet-journal";

describe("fleet journal", () => {
  it("writes the whole state and leaves no temporary file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-journal-"));
    const state = {
      slots: [{ slot: 0, image: "a", machine: { pid: 1 }, health: "healthy" as const }],
    };
    await writeJournal(dir, state);
    assert.deepEqual(await readdir(dir), [JOURNAL_FILE]);
    assert.deepEqual(await readJournal(dir), state);
  });

  it("a torn journal is set aside and reads as none", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-journal-"));
    await writeFile(path.join(dir, JOURNAL_FILE), '{"slots": [{"slot": 0, "ima');
    const logged: string[] = [];
    assert.equal(await readJournal(dir, (l) => logged.push(l)), undefined);
    const names = await readdir(dir);
    assert.equal(names.includes(JOURNAL_FILE), false);
    const aside = names.find((n) => n.startsWith(`${JOURNAL_FILE}.torn-`));
    assert.ok(aside, names.join(","));
    assert.equal(await readFile(path.join(dir, aside), "utf8"), '{"slots": [{"slot": 0, "ima');
    assert.match(logged.join("\n"), /unreadable/);
  });
});
