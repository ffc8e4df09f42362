import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import { isLinuxKitError } from "../../../components/errors/errors";
import { ALL_CAPABILITIES } from "../../../components/rootfs/capabilities";
import type { ImageInfo } from "../../../components/rootfs/image-info";
import {
  ociConfig,
  serializeOciConfig,
  type OciContext,
} from "../../../components/rootfs/oci-config";
import type { ImageEntrySpec } from "../../../components/config/types";
import { fixture } from "../../helpers/paths";

const SYSCTL_IMAGE: ImageInfo = {
  ref: "linuxkit/sysctl:v1",
  entrypoint: ["/usr/bin/sysctl"],
  cmd: ["-p"],
  env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
  workingDir: "",
  labels: {},
};

const CTX: OciContext = {
  idFor: (name) => ({ other: 101, sshd: 102 })[name],
  volumes: new Map([
    ["data", { readonly: false }],
    ["keys", { readonly: true }],
  ]),
};

function entry(fields: Partial<ImageEntrySpec> = {}): ImageEntrySpec {
  return { name: "test", image: "test/image:v1", ...fields };
}

/** The config for an entry over an image whose label is `label` (JSON). */
function configFor(fields: Partial<ImageEntrySpec>, image: Partial<ImageInfo> = {}, ctx = CTX) {
  return ociConfig(entry(fields), { ...SYSCTL_IMAGE, ...image }, ctx).config;
}

function golden(name: string): string {
  return readFileSync(fixture("oci", name), "utf8");
}

/** Asserts that `fn` throws a SPEC_INVALID LinuxKitError whose message matches. */
function assertSpecError(fn: () => unknown, message: RegExp, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isLinuxKitError(e), `expected a LinuxKitError, got ${String(e)}`);
    assert.equal(e.code, "SPEC_INVALID");
    assert.match(e.message, message);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

describe("ociConfig: LinuxKit defaults", () => {
  it("writes LinuxKit's exact config.json for a bare entry (golden)", () => {
    const { config, readonly } = ociConfig(entry(), SYSCTL_IMAGE, CTX);
    assert.equal(serializeOciConfig(config), golden("bare-config.json.golden"));
    assert.equal(readonly, false);
  });

  it("writes every supported field in LinuxKit's order and form (golden)", () => {
    const full = entry({
      name: "full",
      command: ["/bin/full", "--flag"],
      env: ["A=1"],
      cwd: "/work",
      capabilities: ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"],
      ambient: ["CAP_CHOWN"],
      net: "new",
      ipc: "/run/ipc",
      uts: "new",
      pid: "host",
      userns: "new",
      hostname: "full-host",
      readonly: true,
      binds: ["/var:/var", "/etc/resolv.conf:/etc/resolv.conf:ro", "data:/data"],
      tmpfs: ["/run:size=10m,mode=755"],
      mounts: [{ source: "mqueue" }],
      maskedPaths: ["/proc/kcore"],
      readonlyPaths: ["/proc/sys"],
      uid: "other",
      gid: 7,
      additionalGids: ["other", 20],
      noNewPrivileges: true,
      oomScoreAdj: -500,
      rootfsPropagation: "shared",
      cgroupsPath: "/lk/full",
      resources: { cpu: { shares: 512 }, memory: { limit: 1024 } },
      sysctl: { "net.ipv4.ip_forward": "1", "kernel.pid_max": "4096" },
      rlimits: ["nofile,1024,4096", "RLIMIT_CORE,unlimited,unlimited"],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 1000, size: 65536 }],
      annotations: { b: "x<y&z", a: "1" },
      devices: [
        { path: "/dev/fuse", type: "c", major: 10, minor: 229, mode: "0666" },
        { path: "all", type: "b", major: 0, minor: 0 },
      ],
    });
    const { config } = ociConfig(full, SYSCTL_IMAGE, CTX);
    assert.equal(serializeOciConfig(config), golden("full-config.json.golden"));
  });

  it("is deterministic: the same inputs give the same bytes", () => {
    const a = serializeOciConfig(
      configFor({ binds: ["/b:/b", "/a:/a"], sysctl: { z: "1", a: "2" } }),
    );
    const b = serializeOciConfig(
      configFor({ binds: ["/b:/b", "/a:/a"], sysctl: { z: "1", a: "2" } }),
    );
    assert.equal(a, b);
  });

  it("defaults cwd to / and adds no PATH when the image sets no env (as LinuxKit)", () => {
    const config = configFor({}, { env: undefined, workingDir: undefined });
    assert.equal(config.process.cwd, "/");
    assert.equal(config.process.env, undefined);
  });

  it("has no masked or read-only paths and no /dev/shm or /dev/mqueue by default", () => {
    const config = configFor({});
    assert.equal(config.linux.maskedPaths, undefined);
    assert.equal(config.linux.readonlyPaths, undefined);
    const destinations = config.mounts.map((m) => m.destination);
    assert.deepEqual(destinations, ["/dev", "/dev/pts", "/proc", "/sys", "/sys/fs/cgroup"]);
  });

  it("rejects an entry that ends up with no command (runc could not start it)", () => {
    assertSpecError(() => configFor({}, { entrypoint: [], cmd: [] }), /no command/, "command");
    assertSpecError(() => configFor({ command: [] }), /no command/, "command");
  });
});

describe("ociConfig: precedence image config < label < YAML", () => {
  const label = (cfg: object): Partial<ImageInfo> => ({
    labels: { "org.mobyproject.config": JSON.stringify(cfg) },
  });
  const image: Partial<ImageInfo> = {
    entrypoint: ["/img"],
    cmd: ["arg"],
    env: ["IMG=1"],
    workingDir: "/img",
  };
  const cases: Array<{
    proves: string;
    yaml: Partial<ImageEntrySpec>;
    label?: object;
    args: string[];
    env: string[];
    cwd: string;
  }> = [
    {
      proves: "the image's Entrypoint+Cmd, Env and WorkingDir apply when nothing overrides them",
      yaml: {},
      args: ["/img", "arg"],
      env: ["IMG=1"],
      cwd: "/img",
    },
    {
      proves: "the label's command, env and cwd replace the image's",
      yaml: {},
      label: { command: ["/label"], env: ["LABEL=1"], cwd: "/label" },
      args: ["/label"],
      env: ["LABEL=1"],
      cwd: "/label",
    },
    {
      proves: "the YAML's command, env and cwd replace the label's",
      yaml: { command: ["/yaml"], env: ["YAML=1"], cwd: "/yaml" },
      label: { command: ["/label"], env: ["LABEL=1"], cwd: "/label" },
      args: ["/yaml"],
      env: ["YAML=1"],
      cwd: "/yaml",
    },
    {
      proves: "an empty YAML cwd counts as unset (LinuxKit), so the label's applies",
      yaml: { cwd: "" },
      label: { cwd: "/label" },
      args: ["/img", "arg"],
      env: ["IMG=1"],
      cwd: "/label",
    },
  ];
  for (const c of cases) {
    it(c.proves, () => {
      const config = configFor(c.yaml, { ...image, ...(c.label ? label(c.label) : {}) });
      assert.deepEqual(config.process.args, c.args);
      assert.deepEqual(config.process.env, c.env);
      assert.equal(config.process.cwd, c.cwd);
    });
  }

  it("YAML capabilities replace the label's; label capabilities apply when YAML sets none", () => {
    const img = label({ capabilities: ["CAP_SYS_ADMIN"] });
    assert.deepEqual(configFor({}, img).process.capabilities.effective, ["CAP_SYS_ADMIN"]);
    assert.deepEqual(
      configFor({ capabilities: ["CAP_KILL"] }, img).process.capabilities.effective,
      ["CAP_KILL"],
    );
    assert.equal(configFor({ capabilities: [] }, img).process.capabilities.effective, undefined);
  });

  it("YAML binds replace the label's binds", () => {
    const img = label({ binds: ["/label:/label"] });
    const dest = (fields: Partial<ImageEntrySpec>) =>
      configFor(fields, img)
        .mounts.filter((m) => m.type === "bind")
        .map((m) => m.destination);
    assert.deepEqual(dest({}), ["/label"]);
    assert.deepEqual(dest({ binds: ["/yaml:/yaml"] }), ["/yaml"]);
  });

  it("the label's readonly, net and uid apply unless the YAML sets them", () => {
    const img = label({ readonly: true, net: "new", uid: 5 });
    const fromLabel = configFor({}, img);
    assert.equal(fromLabel.root.readonly, true);
    assert.deepEqual(fromLabel.linux.namespaces[0], { type: "network" });
    assert.equal(fromLabel.process.user.uid, 5);
    const fromYaml = configFor({ readonly: false, net: "host", uid: 6 }, img);
    assert.equal(fromYaml.root.readonly, undefined);
    assert.equal(fromYaml.linux.namespaces[0]?.type, "pid");
    assert.equal(fromYaml.process.user.uid, 6);
  });

  it("an invalid label is a SPEC_INVALID error naming the image", () => {
    assert.throws(
      () => configFor({}, { labels: { "org.mobyproject.config": '{"capabilities": "all"}' } }),
      (e: unknown) =>
        isLinuxKitError(e) && e.code === "SPEC_INVALID" && e.image === SYSCTL_IMAGE.ref,
    );
  });
});

describe("ociConfig: capabilities", () => {
  const caps = (fields: Partial<ImageEntrySpec>) => configFor(fields).process.capabilities;
  it("grants none by default (every set left out)", () => {
    assert.deepEqual(caps({}), {});
  });
  it("`all` expands to every capability, effective in kernel order, the others sorted", () => {
    const c = caps({ capabilities: ["all"] });
    assert.equal(ALL_CAPABILITIES.length, 41);
    assert.ok(ALL_CAPABILITIES.includes("CAP_PERFMON") && ALL_CAPABILITIES.includes("CAP_BPF"));
    assert.ok(ALL_CAPABILITIES.includes("CAP_CHECKPOINT_RESTORE"));
    assert.deepEqual(c.effective, ALL_CAPABILITIES);
    const sorted = [...ALL_CAPABILITIES].sort();
    assert.deepEqual(c.bounding, sorted);
    assert.deepEqual(c.permitted, sorted);
    assert.deepEqual(c.inheritable, sorted);
    assert.equal(c.ambient, undefined);
  });
  it("`ALL` and `None` are keywords in any case", () => {
    assert.deepEqual(caps({ capabilities: ["ALL"] }).effective, ALL_CAPABILITIES);
    assert.deepEqual(caps({ capabilities: ["None"] }), {});
  });
  it("ambient capabilities join bounding, permitted and inheritable but not effective", () => {
    const c = caps({ capabilities: ["CAP_NET_RAW"], ambient: ["CAP_NET_BIND_SERVICE"] });
    assert.deepEqual(c.effective, ["CAP_NET_RAW"]);
    assert.deepEqual(c.ambient, ["CAP_NET_BIND_SERVICE"]);
    for (const set of [c.bounding, c.permitted, c.inheritable]) {
      assert.deepEqual(set, ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]);
    }
  });
  it("ambient `all` puts every capability in ambient", () => {
    assert.deepEqual(caps({ ambient: ["all"] }).ambient, ALL_CAPABILITIES);
  });
  it("rejects an unknown capability, suggesting the canonical name", () => {
    assertSpecError(
      () => caps({ capabilities: ["net_admin"] }),
      /unknown capability: net_admin/,
      "capabilities[0]",
    );
    assert.throws(
      () => caps({ capabilities: ["net_admin"] }),
      (e: unknown) => {
        return isLinuxKitError(e) && /CAP_NET_ADMIN/.test(e.hint ?? "");
      },
    );
    assertSpecError(
      () => caps({ ambient: ["CAP_NOPE"] }),
      /unknown capability: CAP_NOPE/,
      "ambient[0]",
    );
  });
  it("rejects `all` mixed with other names, as LinuxKit does", () => {
    assertSpecError(() => caps({ capabilities: ["all", "CAP_KILL"] }), /unknown capability: all/);
  });
});

describe("ociConfig: namespaces", () => {
  const cases: Array<{ proves: string; fields: Partial<ImageEntrySpec>; expected: object[] }> = [
    {
      proves:
        "net, ipc, uts and user are the host's, pid and mount new by default; no cgroup namespace, as LinuxKit",
      fields: {},
      expected: [{ type: "pid" }, { type: "mount" }],
    },
    {
      proves: "`new` and `none` create namespaces; `host` shares the host's pid namespace",
      fields: { net: "none", ipc: "new", uts: "new", pid: "host", userns: "new" },
      expected: [
        { type: "network" },
        { type: "ipc" },
        { type: "uts" },
        { type: "user" },
        { type: "mount" },
      ],
    },
    {
      proves: "a path joins an existing namespace",
      fields: { net: "/run/netns/x", pid: "/proc/1/ns/pid" },
      expected: [
        { type: "network", path: "/run/netns/x" },
        { type: "pid", path: "/proc/1/ns/pid" },
        { type: "mount" },
      ],
    },
    {
      proves: "`root` is a synonym of `host`",
      fields: { net: "root", pid: "root" },
      expected: [{ type: "mount" }],
    },
    {
      proves: "runtime.bindNS.cgroup binds a namespace at boot but creates none in config.json",
      fields: { runtime: { bindNS: { cgroup: "/run/cgroupns/x" } } },
      expected: [{ type: "pid" }, { type: "mount" }],
    },
  ];
  for (const c of cases) {
    it(c.proves, () => assert.deepEqual(configFor(c.fields).linux.namespaces, c.expected));
  }
  it("rejects a value that is neither a keyword nor an absolute path", () => {
    assertSpecError(() => configFor({ net: "hots" }), /net: "hots" is not host, new, none/, "net");
  });
});

describe("ociConfig: user", () => {
  it("resolves uid, gid and additionalGids given as container names", () => {
    const user = configFor({ uid: "sshd", gid: "other", additionalGids: [3, "sshd"] }).process.user;
    assert.deepEqual(user, { uid: 102, gid: 101, additionalGids: [3, 102] });
  });
  it("treats `root` and an empty name as 0", () => {
    assert.deepEqual(configFor({ uid: "root", gid: "" }).process.user, { uid: 0, gid: 0 });
  });
  it("rejects an unknown name and an out-of-range id", () => {
    assertSpecError(() => configFor({ uid: "nobody" }), /cannot find id: nobody/, "uid");
    assertSpecError(
      () => configFor({ additionalGids: [-1] }),
      /not a valid id/,
      "additionalGids[0]",
    );
  });
  it("prefixes error fields with the entry's location when given", () => {
    assertSpecError(
      () => configFor({ gid: "nobody" }, {}, { ...CTX, location: "services[3]" }),
      /^services\[3\] container "test"/,
      "services[3].gid",
    );
  });
});

describe("ociConfig: rlimits", () => {
  const rlimits = (list: string[]) => configFor({ rlimits: list }).process.rlimits;
  it("accepts names in any case, with or without RLIMIT_, and `unlimited` as 2^64-1", () => {
    assert.deepEqual(rlimits(["nofile,1024,2048", " Rlimit_Memlock , unlimited , UNLIMITED "]), [
      { type: "RLIMIT_NOFILE", hard: 2048n, soft: 1024n },
      { type: "RLIMIT_MEMLOCK", hard: 18446744073709551615n, soft: 18446744073709551615n },
    ]);
  });
  it("rejects a malformed entry, a bad number and an unknown name", () => {
    assertSpecError(
      () => rlimits(["nofile,1024"]),
      /cannot parse rlimit "nofile,1024"/,
      "rlimits[0]",
    );
    assertSpecError(() => rlimits(["nofile,1k,2048"]), /cannot parse "1k" as a uint64/);
    assertSpecError(() => rlimits(["nofile,1,2,3"]), /cannot parse "2,3" as a uint64/);
    assertSpecError(() => rlimits(["nofile,1,18446744073709551616"]), /as a uint64/);
    assertSpecError(() => rlimits(["files,1,2"]), /unknown rlimit: files/);
  });
});

describe("ociConfig: devices and resources", () => {
  it("adds each device and an rwm allow rule after the resources' own rules", () => {
    const config = configFor({
      resources: { devices: [{ allow: false, access: "rwm" }], pids: { limit: 10 } },
      devices: [{ path: "/dev/kvm", type: "c", major: 10, minor: 232, mode: "0660" }],
    });
    assert.deepEqual(config.linux.devices, [
      { path: "/dev/kvm", type: "c", major: 10, minor: 232, fileMode: 0o660 },
    ]);
    assert.deepEqual(config.linux.resources, {
      devices: [
        { allow: false, access: "rwm" },
        { allow: true, type: "c", major: 10, minor: 232, access: "rwm" },
      ],
      pids: { limit: 10 },
    });
  });
  it("`path: all` only allows the whole device type", () => {
    const config = configFor({ devices: [{ path: "all", type: "c", major: 0, minor: 0 }] });
    assert.equal(config.linux.devices, undefined);
    assert.deepEqual(config.linux.resources.devices, [{ allow: true, type: "c", access: "rwm" }]);
  });
  it("rejects a device without an octal mode or with a bad type", () => {
    assertSpecError(
      () => configFor({ devices: [{ path: "/dev/x", type: "c", major: 1, minor: 1 }] }),
      /cannot parse mode ""/,
      "devices[0].mode",
    );
    assertSpecError(
      () =>
        configFor({ devices: [{ path: "/dev/x", type: "c", major: 1, minor: 1, mode: "0999" }] }),
      /cannot parse mode "0999"/,
    );
    assertSpecError(
      () =>
        configFor({ devices: [{ path: "/dev/x", type: "z", major: 1, minor: 1, mode: "0600" }] }),
      /type "z"/,
    );
  });
  it("writes resources members in OCI order whatever order the YAML used", () => {
    const text = serializeOciConfig(
      configFor({ resources: { pids: { limit: 1 }, cpu: { cpus: "0", shares: 2 } } }),
    );
    assert.ok(text.indexOf('"cpu"') < text.indexOf('"pids"'));
    assert.ok(text.indexOf('"shares"') < text.indexOf('"cpus"'));
  });
});

describe("ociConfig: read-only root", () => {
  it("marks the root and the /dev and /sys mounts read-only, and reports it", () => {
    const result = ociConfig(entry({ readonly: true }), SYSCTL_IMAGE, CTX);
    assert.equal(result.readonly, true);
    assert.deepEqual(result.config.root, { path: "rootfs", readonly: true });
    const opts = (d: string) =>
      result.config.mounts.find((m) => m.destination === d)?.options ?? [];
    assert.equal(opts("/dev").at(-1), "ro");
    assert.equal(opts("/sys").at(-1), "ro");
    assert.ok(!opts("/proc").includes("ro"));
  });
});

describe("ociConfig: runtime section", () => {
  it("merges runtime fields label < YAML and fills every member", () => {
    const label = JSON.stringify({
      runtime: { mkdir: ["/label"], bindNS: { net: "/run/netns/l", pid: "/p" } },
    });
    const { runtime } = ociConfig(
      entry({ runtime: { cgroups: ["yaml"], bindNS: { net: "/run/netns/y" } } }),
      { ...SYSCTL_IMAGE, labels: { "org.mobyproject.config": label } },
      CTX,
    );
    assert.deepEqual(runtime, {
      cgroups: ["yaml"],
      mounts: [],
      mkdir: ["/label"],
      interfaces: [],
      bindNS: { cgroup: "", ipc: "", mnt: "", net: "/run/netns/y", pid: "/p", user: "", uts: "" },
      namespace: "",
    });
  });
});
