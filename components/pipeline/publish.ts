/**
 * The last stage of a build: the artifacts staged in the scratch folder
 * replace the build's previous artifacts in the output folder, all or
 * nothing. The output folder is shared (other builds, the user's files),
 * so it cannot be swapped as a whole; the build's own files are switched
 * under a journal instead:
 *
 * 1. the staged files are made private (see {@link artifactMode}) and
 *    flushed to disk;
 * 2. the journal `.<name>.linuxkit-publish/journal.json` is written: the
 *    file names, and which of them existed before;
 * 3. the old manifest, then each old file the new build replaces, is
 *    moved into the journal's `old/` folder;
 * 4. each new file is renamed into place;
 * 5. the new manifest is written: the commit point;
 * 6. the journal and the old files are removed.
 *
 * Steps 2 to 6 are synchronous: a SIGINT or SIGTERM handler (JavaScript
 * runs one thing at a time) sees the folder before step 2 or after step 6,
 * never between. An error in between restores the old build before it is
 * thrown. A process killed outright (SIGKILL, power cut) leaves the
 * journal, and {@link recoverPublish} (run first by the next build of that
 * name) restores the old build, or only cleans up if the new manifest was
 * written. The rule it follows: a manifest in the output folder means its
 * files are all there (step 3 moves the manifest first, step 5 writes it
 * last).
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { chmod, open } from "node:fs/promises";
import path from "node:path";

import { LinuxKitError } from "../errors/errors";
import {
  artifactStampSync,
  manifestPath,
  type ArtifactRecord,
  type BuildManifest,
} from "./manifest";

/** A point of the publish where a test injects a fault (a throw, or SIGKILL). */
export type PublishStep = string;

export interface PublishRequest {
  /** Folder holding the staged files (same filesystem as `outputDir`). */
  stageDir: string;
  outputDir: string;
  /** The build's base name: its manifest and journal are named after it. */
  name: string;
  records: readonly ArtifactRecord[];
  /** The manifest of the published records (their stamps filled in). */
  manifest(published: ArtifactRecord[]): BuildManifest;
  /** Called before each step (tests): throwing there is a fault injected at that step. */
  beforeStep?(step: PublishStep): void;
}

/** The journal of a publish in progress. */
interface PublishJournal {
  version: 1;
  pid: number;
  /** The new build's files, in the order they are placed. */
  files: string[];
  /** Those of `files` the output folder held before (moved to `old/`, put back on a restore). */
  existed: string[];
}

/**
 * The mode of a published artifact, or undefined to keep the writer's
 * (`0666` less the umask, as LinuxKit's). Every artifact holding the
 * image's files (initrd, ISO, disk, tar, squashfs) is 0600: the image
 * carries files that are 0600 inside it (keys, credentials), and a copy of
 * them readable by every local user would undo that. So is the command
 * line, which may hold secrets. Only the bare kernel (`<name>-kernel`)
 * keeps the writer's mode. To share a build, `chmod` it.
 */
export function artifactMode(file: string, name: string): number | undefined {
  return file === `${name}-kernel` ? undefined : 0o600;
}

/** The folder of build `name`'s publish journal in `outputDir` (hidden, never served). */
export function publishJournalDir(outputDir: string, name: string): string {
  return path.join(outputDir, `.${name}.linuxkit-publish`);
}

const journalFile = (dir: string): string => path.join(dir, "journal.json");
const MANIFEST_ASIDE = "manifest.json";

/** Builds published by this process, for an interrupted CLI's message. */
const publishedHere: string[] = [];

/** `<outputDir>` of every build this process published (committed), in order. */
export function publishedByThisProcess(): readonly string[] {
  return publishedHere;
}

async function flush(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function flushSync(p: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(p, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems cannot fsync a folder; the renames are still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeDurableSync(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    // A full disk cuts the write short: no torn file is left beside the artifacts.
    unlinkIfThere(tmp);
    throw e;
  }
  flushSync(path.dirname(file));
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function unlinkIfThere(p: string): void {
  try {
    unlinkSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Moves the build's staged files into `outputDir`, replacing its previous
 * artifacts all together (see the module's comment), and writes the
 * manifest. On an error the previous build is back in place before the
 * error is thrown.
 * @returns the manifest written.
 */
export async function publishBuild(req: PublishRequest): Promise<BuildManifest> {
  const { stageDir, outputDir, name, records } = req;
  recoverPublish(outputDir, name);
  for (const r of records) {
    const staged = path.join(stageDir, r.file);
    const mode = artifactMode(r.file, name);
    if (mode !== undefined) await chmod(staged, mode);
    await flush(staged);
  }
  // From here on, synchronous: no signal handler runs in the middle.
  const step = (s: PublishStep): void => req.beforeStep?.(s);
  const dir = publishJournalDir(outputDir, name);
  const files = records.map((r) => r.file);
  step("write journal");
  mkdirSync(path.join(dir, "old"), { recursive: true, mode: 0o700 });
  const journal: PublishJournal = {
    version: 1,
    pid: process.pid,
    files,
    existed: files.filter((f) => exists(path.join(outputDir, f))),
  };
  writeDurableSync(journalFile(dir), `${JSON.stringify(journal, null, 2)}\n`);
  let manifest: BuildManifest;
  try {
    step("set aside manifest");
    if (exists(manifestPath(outputDir, name))) {
      renameSync(manifestPath(outputDir, name), path.join(dir, "old", MANIFEST_ASIDE));
    }
    for (const f of journal.existed) {
      step(`set aside ${f}`);
      renameSync(path.join(outputDir, f), path.join(dir, "old", f));
    }
    for (const f of files) {
      step(`place ${f}`);
      renameSync(path.join(stageDir, f), path.join(outputDir, f));
    }
    flushSync(outputDir);
    step("write manifest");
    // A stamp is a stat: sync too, so this stays one uninterrupted section.
    const published = records.map((r) => ({
      ...r,
      stamp: artifactStampSync(path.join(outputDir, r.file)),
    }));
    manifest = req.manifest(published);
    writeDurableSync(manifestPath(outputDir, name), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (e) {
    restore(outputDir, name, journal);
    throw e;
  }
  publishedHere.push(outputDir);
  try {
    step("clean up journal");
    cleanUp(outputDir, name, journal);
  } catch {
    // Published: what is left is only the journal and the old files, which the next
    // build's recoverPublish removes (a manifest in place means the new build is whole).
  }
  return manifest;
}

/** Puts the old build back from the journal's `old/` folder (see the module's comment). */
function restore(outputDir: string, name: string, journal: PublishJournal): void {
  const dir = publishJournalDir(outputDir, name);
  for (const f of journal.files) {
    const dest = path.join(outputDir, f);
    if (journal.existed.includes(f)) {
      // Still in `old/`: moved aside, maybe replaced since; not there: never moved.
      if (exists(path.join(dir, "old", f))) renameSync(path.join(dir, "old", f), dest);
    } else {
      unlinkIfThere(dest);
    }
  }
  if (exists(path.join(dir, "old", MANIFEST_ASIDE))) {
    renameSync(path.join(dir, "old", MANIFEST_ASIDE), manifestPath(outputDir, name));
  }
  flushSync(outputDir);
  cleanUp(outputDir, name, journal);
}

/**
 * Removes the journal (and a half-written one), then what `old/` still
 * holds of this build, then the journal's folder. Anything else found there
 * is not this code's: the folder is then left.
 */
function cleanUp(outputDir: string, name: string, journal: PublishJournal): void {
  const dir = publishJournalDir(outputDir, name);
  const entries = exists(dir) ? readdirSync(dir) : [];
  for (const e of entries.filter((e) => e.startsWith("journal.json"))) {
    unlinkIfThere(path.join(dir, e));
  }
  for (const f of [...journal.files, MANIFEST_ASIDE]) unlinkIfThere(path.join(dir, "old", f));
  for (const d of [path.join(dir, "old"), dir]) {
    try {
      rmdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTEMPTY") throw e;
    }
  }
  flushSync(outputDir);
}

/**
 * Finishes a publish of build `name` into `outputDir` that a killed
 * process left: restores the old build, or, when the new manifest was
 * written, only removes the journal and the old files. Synchronous (also
 * for signal handlers). A publish still running in another process is an
 * error.
 * @returns what was done: `none` (no journal), `rolled back`, `completed`.
 */
export function recoverPublish(
  outputDir: string,
  name: string,
): "none" | "rolled back" | "completed" {
  const dir = publishJournalDir(outputDir, name);
  let journal: PublishJournal;
  try {
    journal = JSON.parse(readFileSync(journalFile(dir), "utf8")) as PublishJournal;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      // No journal: at most an empty folder (killed before the journal was written, or after).
      if (exists(dir)) cleanUp(outputDir, name, { version: 1, pid: 0, files: [], existed: [] });
      return "none";
    }
    throw new LinuxKitError(
      "BUILD",
      `the publish journal ${journalFile(dir)} of an interrupted build cannot be read`,
      {
        hint: `check ${dir}/old (the previous build's files) and move them back by hand, then remove ${dir}`,
        cause: e,
      },
    );
  }
  if (journal.pid !== process.pid && alive(journal.pid)) {
    throw new LinuxKitError(
      "BUILD",
      `another build of ${name} (pid ${journal.pid}) is publishing into ${outputDir}`,
      { hint: "wait for it to finish, or build into another folder" },
    );
  }
  if (exists(manifestPath(outputDir, name))) {
    cleanUp(outputDir, name, journal);
    return "completed";
  }
  restore(outputDir, name, journal);
  return "rolled back";
}
