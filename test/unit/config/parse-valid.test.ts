/**
 * Valid documents parse into the typed spec, with LinuxKit's values kept
 * as written and the documented normalisations applied.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { loadSpecFiles, parseSpec, parseSpecText } from "../../../components/config";
import { fixture } from "../../helpers/paths";
import { errorsOf, errorsOfAsync } from "./helpers";

const valid = (name: string): string => fixture("spec", "valid", name);

describe("valid fixtures", () => {
  it("parses the nginx seed document", async () => {
    const { spec, files } = await loadSpecFiles([valid("nginx.yml")]);
    assert.deepEqual(files, [valid("nginx.yml")]);
    assert.deepEqual(spec.kernel, {
      image: "mobylinux/kernel:4.9.x",
      cmdline: "console=ttyS0 console=tty0 page_poison=1",
    });
    assert.equal(spec.init.length, 4);
    assert.deepEqual(
      spec.onboot.map((e) => e.name),
      ["sysctl", "binfmt", "dhcpcd"],
    );
    assert.deepEqual(spec.onboot[2]?.command, [
      "/sbin/dhcpcd",
      "--nobackground",
      "-f",
      "/dhcpcd.conf",
      "-1",
    ]);
    assert.deepEqual(spec.onboot[1]?.binds, ["/proc/sys/fs/binfmt_misc:/binfmt_misc"]);
    assert.equal(spec.services[0]?.oomScoreAdj, -800);
    assert.equal(spec.services[0]?.readonly, true);
    assert.equal(spec.services[1]?.image, "nginx:alpine");
    assert.equal(spec.services[1]?.readonly, undefined, "unset stays unset");
    assert.deepEqual(spec.files, [{ path: "etc/docker/daemon.json", contents: '{"debug": true}' }]);
    assert.deepEqual(spec.onshutdown, []);
    assert.deepEqual(spec.volumes, []);
    assert.deepEqual(spec.trust, { image: ["mobylinux/kernel"] });
  });

  it("parses the docker+sshd seed document", async () => {
    const { spec } = await loadSpecFiles([valid("docker-sshd.yml")]);
    assert.deepEqual(
      spec.onboot.map((e) => e.name),
      ["sysctl", "sysfs", "binfmt", "format", "mount"],
    );
    assert.deepEqual(
      spec.services.map((e) => e.name),
      ["rngd", "dhcpcd", "ntpd", "docker", "sshd", "test-docker-bench"],
    );
    const docker = spec.services[3];
    assert.deepEqual(docker?.capabilities, ["all"]);
    assert.deepEqual(docker?.mounts, [
      { type: "cgroup", options: ["rw", "nosuid", "noexec", "nodev", "relatime"] },
    ]);
    assert.equal(spec.onboot[4]?.rootfsPropagation, "shared");
    assert.deepEqual(spec.onboot[4]?.binds, ["/dev:/dev", "/var:/var:rshared,rbind"]);
    assert.equal(spec.files[1]?.contents, "SSH_KEY");
  });

  it("parses a document using every section and most image fields", async () => {
    const { spec } = await loadSpecFiles([valid("full.yml")]);
    assert.equal(spec.kernel?.tar, "none", "`tar: none` is kept as written");
    assert.equal(spec.kernel?.ucode, "intel-ucode.cpio");
    assert.deepEqual(
      spec.onshutdown.map((e) => e.name),
      ["shutdown"],
    );
    const format = spec.onboot[1];
    assert.deepEqual(format?.["binds.add"], ["/dev:/dev"]);
    assert.deepEqual(format?.["capabilities.add"], ["CAP_MKNOD"]);
    assert.deepEqual(format?.devices, [
      { path: "all", type: "b", major: 0, minor: 0 },
      { path: "/dev/fuse", type: "c", major: 10, minor: 229, mode: "0666" },
    ]);
    assert.deepEqual(spec.onboot[0]?.sysctl, { "net.ipv4.ip_forward": "1", "vm.swappiness": "10" });
    const redis = spec.services[0];
    assert.equal(redis?.uid, "redis");
    assert.deepEqual(redis?.additionalGids, [100, "sysctl"]);
    assert.deepEqual(redis?.resources?.["pids"], { limit: 256 });
    assert.deepEqual(redis?.runtime?.interfaces, [
      { name: "eth1", add: "veth", peer: "veth-redis", createInRoot: true },
    ]);
    assert.deepEqual(redis?.runtime?.bindNS, { net: "/run/netns/redis" });
    assert.deepEqual(redis?.annotations, { "org.example/role": "cache" });
    assert.deepEqual(redis?.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
    assert.deepEqual(spec.services[1]?.ambient, ["none"]);
    assert.deepEqual(spec.volumes[1], {
      name: "seed",
      image: "alpine:3.20",
      readonly: true,
      format: "filesystem",
      platforms: ["linux/amd64", "linux/arm64"],
    });
    assert.deepEqual(spec.trust, { org: ["linuxkit"] });
  });

  it("strips the leading / of file paths and resolves sources", async () => {
    const { spec } = await loadSpecFiles([valid("full.yml")]);
    assert.equal(spec.files[0]?.path, "etc/motd");
    assert.equal(
      spec.files[0]?.source,
      valid("assets/motd"),
      "relative to the YAML file's directory",
    );
    assert.equal(spec.files[0]?.mode, "644", "mode kept as written");
    assert.equal(
      spec.files[6]?.source,
      path.join(os.homedir(), ".ssh/id_ed25519.pub"),
      "~/ expanded",
    );
    assert.equal(spec.files[6]?.optional, true);
    assert.equal(spec.files[7]?.contents, "", "empty contents is an empty file");
  });

  it("parseSpecText leaves kernel.image to other files; parseSpec requires it", () => {
    const text = "kernel:\n  cmdline: quiet\n";
    const doc = parseSpecText(text, "part.yml");
    assert.deepEqual(doc.spec.kernel, { cmdline: "quiet" });
    const [error] = errorsOf(() => parseSpec(text, "part.yml"));
    assert.equal(error?.field, "kernel.image");
  });

  it("accepts an empty document", () => {
    const { spec } = parseSpec("# nothing yet\n", "empty.yml");
    assert.deepEqual(spec, {
      init: [],
      onboot: [],
      onshutdown: [],
      services: [],
      files: [],
      volumes: [],
    });
  });

  it("reports every problem of a file at once, in file order", async () => {
    const file = fixture("spec", "many-problems.yml");
    const errors = await errorsOfAsync(loadSpecFiles([file]));
    assert.deepEqual(
      errors.map((e) => [e.line, e.field]),
      [
        [4, "kernel.cmdlin"],
        [8, "onboot[0] (dhcpcd).readonly"],
        [9, "onboot[0] (dhcpcd).capabilities[0]"],
        [13, "services[0] (getty).uid"],
        [14, "services[1] (getty).name"],
        [17, "files[0] (../etc/passwd).path"],
        [19, "files[0] (../etc/passwd).mode"],
      ],
    );
    assert.ok(errors.every((e) => e.file === file));
    assert.equal(errors[5]?.code, "PATH_ESCAPE");
  });
});

describe("loadSpecFiles usage errors", () => {
  it("names a missing file", async () => {
    const missing = fixture("spec", "no-such-file.yml");
    const [error, ...rest] = await errorsOfAsync(loadSpecFiles([valid("nginx.yml"), missing]));
    assert.equal(rest.length, 0);
    assert.equal(error?.code, "USAGE");
    assert.equal(error?.file, missing);
    assert.match(error?.message ?? "", /no-such-file\.yml does not exist/);
  });

  it("names a directory given as a file", async () => {
    const [error] = await errorsOfAsync(loadSpecFiles([fixture("spec", "valid")]));
    assert.equal(error?.code, "USAGE");
    assert.match(error?.message ?? "", /is a directory/);
  });

  it("refuses an empty list of files", async () => {
    const [error] = await errorsOfAsync(loadSpecFiles([]));
    assert.equal(error?.code, "USAGE");
  });

  it("reads files from any directory, resolving sources next to each file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lk-spec-"));
    try {
      writeFileSync(path.join(dir, "a.yml"), "files:\n  - path: etc/x\n    source: x.txt\n");
      const { spec } = await loadSpecFiles([path.join(dir, "a.yml")]);
      assert.equal(spec.files[0]?.source, path.join(dir, "x.txt"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
