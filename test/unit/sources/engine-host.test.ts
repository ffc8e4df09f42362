/**
 * DOCKER_HOST and its companions, read the way the docker CLI and
 * docker-modem read them: which engines our own client talks to, and
 * which are left to dockerode (TLS, ssh, Windows named pipes).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { LinuxKitError } from "../../../components/errors/errors";
import { defaultUnixSocket, engineAddress } from "../../../components/sources/engine-host";

describe("engineAddress", () => {
  const ours: [string, NodeJS.ProcessEnv, unknown][] = [
    [
      "a unix socket",
      { DOCKER_HOST: "unix:///run/custom.sock" },
      { kind: "unix", socketPath: "/run/custom.sock" },
    ],
    [
      "tcp://host:port",
      { DOCKER_HOST: "tcp://10.0.0.5:2375" },
      { kind: "tcp", host: "10.0.0.5", port: 2375 },
    ],
    [
      "host:port without a scheme",
      { DOCKER_HOST: "engine.local:4243" },
      { kind: "tcp", host: "engine.local", port: 4243 },
    ],
    [
      "tcp://host without a port (the docker CLI's 2375)",
      { DOCKER_HOST: "tcp://engine.local" },
      { kind: "tcp", host: "engine.local", port: 2375 },
    ],
    [
      "an IPv6 address",
      { DOCKER_HOST: "tcp://[::1]:2375" },
      { kind: "tcp", host: "::1", port: 2375 },
    ],
    [
      "DOCKER_TLS_VERIFY set but empty (off, as for the docker CLI)",
      { DOCKER_HOST: "tcp://h:2375", DOCKER_TLS_VERIFY: "" },
      { kind: "tcp", host: "h", port: 2375 },
    ],
  ];
  for (const [what, env, expected] of ours) {
    it(`${what}: our client`, () => assert.deepEqual(engineAddress(env, "linux"), expected));
  }

  const dockerode: [string, NodeJS.ProcessEnv, NodeJS.Platform?][] = [
    ["DOCKER_TLS_VERIFY=1", { DOCKER_HOST: "tcp://h:2375", DOCKER_TLS_VERIFY: "1" }],
    ["DOCKER_CERT_PATH", { DOCKER_HOST: "tcp://h:2375", DOCKER_CERT_PATH: "/certs" }],
    ["port 2376 (Docker's TLS port)", { DOCKER_HOST: "tcp://h:2376" }],
    ["https://", { DOCKER_HOST: "https://h:443" }],
    ["ssh://", { DOCKER_HOST: "ssh://me@h" }],
    ["npipe://", { DOCKER_HOST: "npipe:////./pipe/docker_engine" }],
    ["DOCKER_PATH_PREFIX", { DOCKER_HOST: "tcp://h:2375", DOCKER_PATH_PREFIX: "/docker/" }],
    ["no DOCKER_HOST on Windows (the named pipe)", {}, "win32"],
  ];
  for (const [what, env, platform] of dockerode) {
    it(`${what}: dockerode`, () =>
      assert.equal(engineAddress(env, platform ?? "linux").kind, "dockerode"));
  }

  it("no DOCKER_HOST (or unix:// with no path): the default socket", () => {
    const expected = { kind: "unix", socketPath: defaultUnixSocket() };
    assert.deepEqual(engineAddress({}, "linux"), expected);
    assert.deepEqual(engineAddress({ DOCKER_HOST: "" }, "linux"), expected);
    assert.deepEqual(engineAddress({ DOCKER_HOST: "unix://" }, "linux"), expected);
  });

  const bad: [string, RegExp][] = [
    [
      "fd://3",
      /DOCKER_HOST=fd:\/\/3 is not usable: its scheme fd:\/\/ is not one the build can use/,
    ],
    ["tcp://", /DOCKER_HOST=tcp:\/\/ is not usable: it names no host/],
    ["tcp://h:99999", /DOCKER_HOST=tcp:\/\/h:99999 is not usable: it is not an address/],
  ];
  for (const [host, message] of bad) {
    it(`DOCKER_HOST=${host}: DOCKER_UNREACHABLE saying how to write it`, () => {
      assert.throws(
        () => engineAddress({ DOCKER_HOST: host }, "linux"),
        (e: unknown) => {
          assert.ok(e instanceof LinuxKitError);
          assert.equal(e.code, "DOCKER_UNREACHABLE");
          assert.match(e.message, message);
          assert.match(e.hint ?? "", /unix:\/\/\/path\/to\/docker\.sock, tcp:\/\/host:2375/);
          return true;
        },
      );
    });
  }

  it("a password in an unusable DOCKER_HOST is not repeated", () => {
    assert.throws(
      () => engineAddress({ DOCKER_HOST: "fd://me:hunter2@h" }, "linux"),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.doesNotMatch(e.message, /hunter2/);
        assert.match(e.message, /fd:\/\/\.\.\.@h/);
        return true;
      },
    );
  });
});

describe("defaultUnixSocket", () => {
  it("is the user's Docker Desktop socket when it exists, else /var/run/docker.sock", async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), "lk-home-"));
    try {
      assert.equal(defaultUnixSocket(home), "/var/run/docker.sock");
      await mkdir(path.join(home, ".docker", "run"), { recursive: true });
      await writeFile(path.join(home, ".docker", "run", "docker.sock"), "");
      assert.equal(defaultUnixSocket(home), path.join(home, ".docker", "run", "docker.sock"));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
