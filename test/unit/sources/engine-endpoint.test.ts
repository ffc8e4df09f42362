import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Docker from "dockerode";

import { endpointOf } from "../../../components/sources/docker-image-source";

describe("the engine endpoint named in messages", () => {
  it("is the socket path DOCKER_HOST gives", () => {
    const d = new Docker({ socketPath: "/run/custom/docker.sock" });
    assert.equal(endpointOf(d), "unix:///run/custom/docker.sock");
  });

  it("is a socket path, not source code, when DOCKER_HOST is unset", () => {
    const saved = process.env.DOCKER_HOST;
    delete process.env.DOCKER_HOST;
    try {
      const text = endpointOf(new Docker());
      assert.match(text, /^unix:\/\/\/\S+docker\.sock$/);
      assert.doesNotMatch(text, /function|resolve/);
    } finally {
      if (saved !== undefined) process.env.DOCKER_HOST = saved;
    }
  });

  it("is tcp://host:port for a TCP engine", () => {
    const d = new Docker({ host: "127.0.0.1", port: 2375 });
    assert.equal(endpointOf(d), "tcp://127.0.0.1:2375");
  });
});
