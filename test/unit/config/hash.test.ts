/**
 * canonicalJson has one spelling per value; canonicalSpecHash is stable
 * across formatting and changes with any change that can alter a build.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  canonicalJson,
  canonicalSpecHash,
  loadSpecFiles,
  parseSpec,
  parseSpecObject,
  type LinuxKitSpec,
} from "../../../components/config";
import { fixture } from "../../helpers/paths";

describe("canonicalJson", () => {
  it("sorts keys at every depth and keeps list order", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, 1, 2], c: null } }),
      '{"a":{"c":null,"d":[3,1,2]},"b":1}',
    );
  });

  it("drops undefined properties and writes undefined list items as null", () => {
    assert.equal(canonicalJson({ a: undefined, b: [undefined, 1] }), '{"b":[null,1]}');
  });

  it("sorts keys by code unit, not locale", () => {
    assert.equal(
      canonicalJson({ b: 1, B: 2, "capabilities.add": 3, capabilities: 4 }),
      '{"B":2,"b":1,"capabilities":4,"capabilities.add":3}',
    );
  });

  it("writes -0 as 0 and escapes strings like JSON", () => {
    assert.equal(canonicalJson([-0, 'a"\n']), '[0,"a\\"\\n"]');
  });

  it("parses back to the same value", () => {
    const value = { z: ["x", { y: true }], a: 1.5, m: "ü" };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  for (const [label, value] of [
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a function", () => 1],
    ["a bigint", 1n],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
  ] as const) {
    it(`refuses ${label}`, () => {
      assert.throws(() => canonicalJson({ v: value }), TypeError);
    });
  }

  it("refuses cycles", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), /cyclic/);
  });
});

describe("canonicalSpecHash", () => {
  const block = fixture("spec", "valid", "hash-block.yml");
  const flow = fixture("spec", "valid", "hash-flow.yml");

  it("is a sha256 hex digest", async () => {
    const { spec } = await loadSpecFiles([block]);
    assert.match(canonicalSpecHash(spec), /^[0-9a-f]{64}$/);
  });

  it("is the same for the same configuration in block and flow style, reordered, requoted, commented", async () => {
    const [a, b] = await Promise.all([loadSpecFiles([block]), loadSpecFiles([flow])]);
    assert.equal(canonicalSpecHash(a.spec), canonicalSpecHash(b.spec));
  });

  it("is the same for the same configuration given as an object", async () => {
    const { spec } = await loadSpecFiles([block]);
    const fromObject = parseSpecObject({
      files: [{ path: "etc/motd", mode: "0644", contents: "hello\n" }],
      kernel: { cmdline: "console=ttyS0", image: "linuxkit/kernel:6.6.71" },
      init: ["linuxkit/init:v1.2.0", "linuxkit/runc:v1.1.12"],
      services: [
        {
          name: "getty",
          image: "linuxkit/getty:v1.0.0",
          env: ["INSECURE=true"],
          capabilities: ["CAP_SYS_ADMIN"],
          readonly: true,
          sysctl: { "vm.swappiness": "10" },
          cwd: undefined,
        },
      ],
    });
    assert.equal(canonicalSpecHash(fromObject.spec), canonicalSpecHash(spec));
  });

  it("ignores trust, which LinuxKit ignores", async () => {
    const { spec } = await loadSpecFiles([block]);
    assert.equal(
      canonicalSpecHash({ ...spec, trust: { org: ["linuxkit"] } }),
      canonicalSpecHash(spec),
    );
  });

  it("changes with every semantic change, each to a different hash", async () => {
    const { spec } = await loadSpecFiles([block]);
    const edit = (change: (s: LinuxKitSpec) => void): LinuxKitSpec => {
      const copy = structuredClone(spec);
      change(copy);
      return copy;
    };
    const service = (s: LinuxKitSpec): NonNullable<LinuxKitSpec["services"][number]> => {
      const first = s.services[0];
      assert.ok(first);
      return first;
    };
    const variants: Record<string, LinuxKitSpec> = {
      original: spec,
      "kernel cmdline": edit((s) => s.kernel && (s.kernel.cmdline = "console=tty0")),
      "kernel tar none": edit((s) => s.kernel && (s.kernel.tar = "none")),
      "init order": edit((s) => s.init.reverse()),
      "init removed": edit((s) => s.init.pop()),
      "capability added": edit((s) => service(s).capabilities?.push("CAP_NET_ADMIN")),
      "capabilities empty vs unset": edit((s) => (service(s).capabilities = [])),
      "capabilities unset": edit((s) => delete service(s).capabilities),
      "readonly false": edit((s) => (service(s).readonly = false)),
      "readonly unset": edit((s) => delete service(s).readonly),
      "sysctl value": edit((s) => (service(s).sysctl = { "vm.swappiness": "11" })),
      "image tag": edit((s) => (service(s).image = "linuxkit/getty:v1.0.1")),
      "service renamed": edit((s) => (service(s).name = "getty2")),
      "file mode": edit((s) => s.files[0] && (s.files[0].mode = "0600")),
      "file contents": edit((s) => s.files[0] && (s.files[0].contents = "hello")),
      "file added": edit((s) => s.files.push({ path: "etc/x", contents: "" })),
      "volume added": edit((s) => s.volumes.push({ name: "data" })),
      "onshutdown added": edit((s) => s.onshutdown.push({ name: "bye", image: "alpine:3.20" })),
      "service moved to onboot": edit((s) => s.onboot.push(...s.services.splice(0))),
    };
    const hashes = new Map<string, string>();
    for (const [label, variant] of Object.entries(variants)) {
      const hash = canonicalSpecHash(variant);
      assert.ok(!hashes.has(hash), `${label} hashes like ${hashes.get(hash)}`);
      hashes.set(hash, label);
    }
  });

  it("is the same for a files[].source read from another checkout of the project", () => {
    const text = "init: [linuxkit/init:v1]\nfiles:\n  - path: etc/key\n    source: key.pem\n";
    const here = parseSpec(text, "a.yml", { baseDir: "/srv/checkout-a" }).spec;
    const there = parseSpec(text, "a.yml", { baseDir: "/home/ci/checkout-b" }).spec;
    assert.notEqual(here.files[0]?.source, there.files[0]?.source, "resolved paths differ");
    assert.equal(canonicalSpecHash(here), canonicalSpecHash(there));
  });

  it("with a metadata file, hashes sources as written (what the file shows), not where they sit", () => {
    const text =
      "init: [linuxkit/init:v1]\nfiles:\n  - path: etc/key\n    source: key.pem\n  - path: etc/config.yml\n    metadata: yaml\n";
    const here = parseSpec(text, "a.yml", { baseDir: "/srv/checkout-a" }).spec;
    const there = parseSpec(text, "a.yml", { baseDir: "/home/ci/checkout-b" }).spec;
    assert.equal(canonicalSpecHash(here), canonicalSpecHash(there));
    const respelled = parseSpec(text.replace("source: key.pem", "source: ./key.pem"), "a.yml", {
      baseDir: "/srv/checkout-a",
    }).spec;
    assert.equal(respelled.files[0]?.source, here.files[0]?.source, "same file");
    assert.notEqual(
      canonicalSpecHash(respelled),
      canonicalSpecHash(here),
      "the metadata shows the spelling, so it is content",
    );
  });

  it("does not change when parsing the same text twice", () => {
    const text = "init: [linuxkit/init:v1]\n";
    assert.equal(
      canonicalSpecHash(parseSpec(text, "a.yml").spec),
      canonicalSpecHash(parseSpec(text, "b.yml").spec),
    );
  });
});
