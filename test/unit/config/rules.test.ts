/**
 * Value rules on image entries: what LinuxKit (or runc at boot) accepts
 * passes, what it would reject is reported at the field.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSpec } from "../../../components/config";
import { errorsOf } from "./helpers";

const entry = (fields: string): string =>
  `services:\n  - name: app\n    image: alpine:3.20\n    ${fields}\n`;

/** [YAML fields of one service, the error's field (without the `services[0] (app).` prefix) or undefined for valid]. */
const cases: [string, string | undefined][] = [
  ["net: host", undefined],
  ["net: root", undefined],
  ["net: new", undefined],
  ["net: none", undefined],
  ["net: /run/netns/app", undefined],
  ["pid: none", "pid"],
  ["ipc: private", "ipc"],
  ["uts: new", undefined],
  ["userns: host", undefined],
  ["capabilities: [all]", undefined],
  ["capabilities: [ALL]", undefined],
  ["capabilities: [none]", undefined],
  ["capabilities: []", undefined],
  ["capabilities: [none, CAP_CHOWN]", "capabilities[0]"],
  ["capabilities: [cap_chown]", "capabilities[0]"],
  ["capabilities.add: [CAP_BPF, CAP_PERFMON]", undefined],
  ["ambient: [CAP_NET_RAW]", undefined],
  ["ambient: [NET_RAW]", "ambient[0]"],
  ["rlimits: ['nofile,1024,4096']", undefined],
  ["rlimits: ['RLIMIT_NOFILE, unlimited, unlimited']", undefined],
  ["rlimits: ['nofile,4096,1024']", "rlimits[0]"],
  ["rlimits: ['nofile,1024']", "rlimits[0]"],
  ["rlimits: ['nofile,lots,1024']", "rlimits[0]"],
  ["binds: [/a:/b:ro, /c:/d]", undefined],
  ["binds: ['/a:/b:ro:x']", "binds[0]"],
  ["binds.add: [':/b']", "binds.add[0]"],
  ["tmpfs: [/tmp, '/run:size=1m']", undefined],
  ["tmpfs: ['/run:a:b']", "tmpfs[0]"],
  ["mounts: [{source: proc}]", undefined],
  ["mounts: [{destination: /dev}]", undefined],
  ["mounts: [{type: tmpfs, destination: /run}]", undefined],
  ["mounts: [{type: tmpfs}]", "mounts[0]"],
  ["devices: [{path: all, type: a}]", undefined],
  ["devices: [{path: /dev/x, type: a, mode: '0666'}]", "devices[0].type"],
  ["devices: [{path: /dev/x, type: c, mode: '0o666'}]", "devices[0].mode"],
  ["devices: [{type: c}]", "devices[0].path"],
  ["rootfsPropagation: rslave", undefined],
  ["rootfsPropagation: recursive", "rootfsPropagation"],
  ["oomScoreAdj: -1000", undefined],
  ["oomScoreAdj: 1001", "oomScoreAdj"],
  ["uid: -1", "uid"],
  ["uid: 4294967295", undefined],
  ["additionalGids: [root, 0, app]", undefined],
  ["additionalGids: [nobody]", "additionalGids[0]"],
  ["resources: {cpu: {cpus: 1}}", "resources.cpu.cpus"],
  ["resources: {memory: {limit: 1.5}}", "resources.memory.limit"],
  ["runtime: {bindNS: {net: /run/netns/app}, namespace: services.linuxkit}", undefined],
  [
    "runtime: {interfaces: [{name: eth0, createInRoot: 'yes'}]}",
    "runtime.interfaces[0].createInRoot",
  ],
  [
    "mounts: [{type: bind, source: /x, destination: /y, uidmappings: [{containerID: 0, hostID: 1000, size: 1}]}]",
    undefined,
  ],
];

describe("image entry rules", () => {
  for (const [fields, field] of cases) {
    it(`${fields} → ${field ?? "valid"}`, () => {
      const text = entry(fields);
      if (field === undefined) {
        parseSpec(text, "t.yml");
        return;
      }
      const errors = errorsOf(() => parseSpec(text, "t.yml"));
      assert.deepEqual(
        errors.map((e) => e.field),
        [`services[0] (app).${field}`],
        errors.map((e) => e.describe()).join("\n"),
      );
    });
  }

  it("rejects an empty image reference", () => {
    const errors = errorsOf(() => parseSpec("services:\n  - name: app\n    image: ''\n", "t.yml"));
    assert.deepEqual(
      errors.map((e) => e.field),
      ["services[0] (app).image"],
    );
  });

  it("suggests the upper-case capability name", () => {
    const [error] = errorsOf(() => parseSpec(entry("capabilities: [sys_admin]"), "t.yml"));
    assert.equal(error?.hint, "did you mean `CAP_SYS_ADMIN`?");
  });

  it("rejects names that cannot be container ids or directories", () => {
    for (const name of ["a/b", "..", ".hidden", "with space", ""]) {
      const errors = errorsOf(() =>
        parseSpec(`onboot:\n  - name: "${name}"\n    image: alpine:3.20\n`, "t.yml"),
      );
      assert.equal(errors[0]?.field?.endsWith(".name"), true, name);
    }
  });
});
