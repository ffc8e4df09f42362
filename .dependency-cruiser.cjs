/* global module */
/**
 * The layers of components/, enforced by `npm run lint` (dependency-cruiser).
 *
 * From the bottom up; a folder may import its own layer and those below it:
 *   errors < tar < config < sources < rootfs < formats < pipeline
 *     < runtimes (qemu, metal, fleet, serve, ipxe) < cli, pulumi, index.ts
 * Inside formats: blocks < writers < the table (formats/*.ts).
 * No cycle between files or between folders, and only components/pulumi/
 * imports Pulumi's SDKs; only components/tar/ calls tar-stream.
 */
const LAYERS = [
  "errors",
  "tar",
  "config",
  "sources",
  "rootfs",
  "formats",
  "pipeline",
  "(qemu|metal|fleet|serve|ipxe)",
  "(cli|pulumi|index[.]ts$)",
];

/** components/ folders of layer `i` (a regular expression). */
const layer = (i) => `^components/${LAYERS[i]}`;

/** One rule per layer: nothing in it imports a layer above it. */
const upward = LAYERS.slice(0, -1).map((name, i) => ({
  name: `layer-${name.replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "")}-imports-upward`,
  comment: `components/${name} sits below ${LAYERS.slice(i + 1).join(", ")}: it must not import them`,
  severity: "error",
  from: { path: layer(i) },
  to: { path: LAYERS.slice(i + 1).map((_, j) => layer(i + 1 + j)) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-file-cycle",
      comment:
        "two modules import each other, directly or through others: move the shared part down",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-folder-cycle",
      comment:
        "two folders import each other, directly or through others: move the shared part down",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "pulumi-only-in-components-pulumi",
      comment:
        "the build pipeline and runtimes never load Pulumi: only components/pulumi/ imports @pulumi/*",
      severity: "error",
      from: { path: "^components/", pathNot: "^components/pulumi/" },
      to: { path: "node_modules/@pulumi/" },
    },
    {
      name: "tar-stream-only-in-components-tar",
      comment:
        "components/tar/ is the one place that knows tar-stream; use its readers and writers",
      severity: "error",
      from: { path: "^components/", pathNot: "^components/tar/" },
      to: { path: "node_modules/tar-stream/" },
    },
    {
      name: "format-blocks-import-writers",
      comment:
        "formats/blocks/ are the parts writers share: they must not import a writer or the table",
      severity: "error",
      from: { path: "^components/formats/blocks/" },
      to: { path: ["^components/formats/writers/", "^components/formats/[^/]+[.]ts$"] },
    },
    {
      name: "format-writers-import-table",
      comment: "a writer must not import the formats table (the table imports the writers)",
      severity: "error",
      from: { path: "^components/formats/writers/" },
      to: { path: "^components/formats/[^/]+[.]ts$" },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["require", "node", "default", "types"],
    },
  },
};
