/**
 * A process that publishes one artifact set and kills itself with SIGKILL
 * just before the step named on its command line, as a power cut or
 * `kill -9` would: no `catch`, no `finally`, no signal handler runs.
 *
 * Usage: node publish-child.js <outputDir> <name> <set as JSON> <step>
 */
import { publishSet, type ArtifactSetFixture } from "./publish-sets";

const [out, name, setJson, step] = process.argv.slice(2);
if (out === undefined || name === undefined || setJson === undefined || step === undefined) {
  process.stderr.write("usage: publish-child <outputDir> <name> <set JSON> <step>\n");
  process.exit(2);
}
void publishSet(out, name, JSON.parse(setJson) as ArtifactSetFixture, (s) => {
  if (s === step) process.kill(process.pid, "SIGKILL");
}).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
