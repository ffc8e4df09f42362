// Builds the provider plugin tarball,
//   dist/plugin/pulumi-resource-linuxkit-v<version>-linux-amd64.tar.gz
// holding the provider bundled into one file (esbuild) and a launcher that
// runs it with the Node.js (>= 20) on PATH. Install it with
//   pulumi plugin install resource linuxkit <version> --file <tarball>
// Run through `npm run build:plugin` (which compiles first).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const out = path.join(root, "dist", "plugin");
const stage = path.join(out, "stage");
rmSync(out, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const NODE_CHECK = `if (Number(process.versions.node.split(".")[0]) < 20) {
  process.stderr.write("pulumi-resource-linuxkit needs Node.js >= 20 on PATH; this is " + process.version + "\\n");
  process.exit(1);
}`;

// Reached only through @pulumi/pulumi's closure serialization and package
// discovery, which a provider never runs: each is replaced by a module that
// fails when used, naming itself (6.8 MB less to load at every start).
const UNUSED = ["typescript", "@npmcli/arborist", "@npmcli/run-script", "read-package-tree"];
const stub = (name) =>
  `module.exports = new Proxy({}, { get(_t, k) {
    if (k === "__esModule") return false;
    throw new Error("pulumi-resource-linuxkit: ${name} is not bundled (asked for " + String(k) + ")");
  } });`;
const unused = {
  name: "unused",
  setup(b) {
    const names = new RegExp(`^(${UNUSED.map((n) => n.replace(/[/.]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter: names }, (a) => ({ path: a.path, namespace: "unused" }));
    b.onResolve({ filter: /typescript-shim(\.js)?$/ }, () => ({
      path: "typescript",
      namespace: "unused",
    }));
    b.onLoad({ filter: /.*/, namespace: "unused" }, (a) => ({
      contents: stub(a.path),
      loader: "js",
    }));
  },
};

// @pulumi/gcp (86 MB installed) and @pulumi/command: the bundle holds
// only the resource classes the components construct (`new gcp.compute.Image(`,
// found in their sources), each from its own module file, loaded when first
// used; the packages' index files would load every service. A class not
// listed fails naming itself.
const SUBSETS = {
  "@pulumi/gcp": { alias: "gcp", dirs: ["components/pulumi/gcp"] },
  "@pulumi/command": { alias: "command", dirs: ["components/pulumi/redfish"] },
};
function subsetModule(pkg) {
  const { alias, dirs } = SUBSETS[pkg];
  const used = new Map();
  const pattern = new RegExp(`new ${alias}\\.([a-z]\\w*)\\.([A-Z]\\w*)\\(`, "g");
  for (const dir of dirs) {
    for (const f of readdirSync(path.join(root, dir)).filter((n) => n.endsWith(".ts"))) {
      for (const m of readFileSync(path.join(root, dir, f), "utf8").matchAll(pattern)) {
        const [, mod, cls] = m;
        if (!used.has(mod)) used.set(mod, new Set());
        used.get(mod).add(cls);
      }
    }
  }
  if (used.size === 0) throw new Error(`build-plugin: no ${pkg} class used in ${dirs.join(", ")}`);
  const modules = [...used].map(([mod, classes]) => {
    const getters = [...classes]
      .sort()
      .map(
        (cls) =>
          `  get ${cls}() { return require("${pkg}/${mod}/${cls[0].toLowerCase()}${cls.slice(1)}").${cls}; },`,
      );
    return `  ${mod}: only("${mod}", {\n${getters.join("\n")}\n  }),`;
  });
  return `"use strict";
function only(mod, classes) {
  return new Proxy(classes, { get(t, k) {
    if (k in t || typeof k !== "string" || k === "__esModule" || k === "then") return t[k];
    throw new Error("pulumi-resource-linuxkit bundles only the ${pkg} classes its components use; " + mod + "." + k + " is not one");
  } });
}
module.exports = {
${modules.join("\n")}
};
`;
}
const subsets = {
  name: "subsets",
  setup(b) {
    b.onResolve({ filter: /^@pulumi\/(gcp|command)$/ }, (a) => ({
      path: a.path,
      namespace: "subset",
    }));
    b.onLoad({ filter: /.*/, namespace: "subset" }, (a) => ({
      contents: subsetModule(a.path),
      loader: "js",
      resolveDir: root,
    }));
  },
};

const result = await build({
  entryPoints: [path.join(root, "components/pulumi/provider/main.ts")],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile: path.join(stage, "pulumi-resource-linuxkit.js"),
  define: { LINUXKIT_PLUGIN_VERSION: JSON.stringify(version) },
  banner: { js: NODE_CHECK },
  // Native add-ons of optional dependencies (ssh2's cpu-features): loaded
  // only for ssh engines, absent otherwise, as when installed from npm.
  external: ["cpu-features", "*.node"],
  minifyWhitespace: true,
  legalComments: "linked",
  logLevel: "warning",
  metafile: true,
  plugins: [unused, subsets],
});
writeFileSync(path.join(out, "meta.json"), JSON.stringify(result.metafile));

const launcher = path.join(stage, "pulumi-resource-linuxkit");
writeFileSync(
  launcher,
  `#!/bin/sh
# pulumi-resource-linuxkit ${version}: the linuxkit Pulumi provider. Needs Node.js >= 20 on PATH.
command -v node >/dev/null 2>&1 || {
  echo "pulumi-resource-linuxkit needs Node.js >= 20 on PATH (https://nodejs.org)" >&2
  exit 1
}
exec node "$(dirname "$0")/pulumi-resource-linuxkit.js" "$@"
`,
);
chmodSync(launcher, 0o755);
writeFileSync(path.join(stage, "schema.json"), readFileSync(path.join(root, "schema.json")));

const tarball = path.join(out, `pulumi-resource-linuxkit-v${version}-linux-amd64.tar.gz`);
execFileSync("tar", ["-czf", tarball, "--owner=0", "--group=0", "-C", stage, "."]);
rmSync(stage, { recursive: true, force: true });
process.stdout.write(`${tarball}\n`);
