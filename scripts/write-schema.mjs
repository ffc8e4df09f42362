// Writes schema.json, the linuxkit package schema, from the TypeScript
// table in components/pulumi/provider/ (run through `npm run schema`,
// which compiles first). A unit test fails while the committed file and
// the table differ.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const { schemaText } = require(path.join(root, "dist/components/pulumi/provider/schema.js"));
writeFileSync(path.join(root, "schema.json"), schemaText(version));
process.stdout.write(`${path.join(root, "schema.json")}\n`);
