import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { tailLines, tcpAnswers, waitUntilReady } from "../../../components/qemu/readiness";

/** A TCP server on 127.0.0.1 whose connections get `onConnection`; returns its port and a closer. */
async function server(
  onConnection: (s: net.Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    onConnection(s);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = await server(() => undefined);
  await s.close();
  return s.port;
}

describe("tcpAnswers", () => {
  it("a guest that accepts and keeps the connection answers", async () => {
    const s = await server(() => undefined);
    try {
      assert.equal(await tcpAnswers(s.port, 200), true);
    } finally {
      await s.close();
    }
  });

  it("a guest that sends a banner answers at once", async () => {
    const s = await server((sock) => sock.write("SSH-2.0-OpenSSH_9.6\r\n"));
    try {
      const started = Date.now();
      assert.equal(await tcpAnswers(s.port, 5000), true);
      assert.ok(Date.now() - started < 2000, "does not wait for the hold time");
    } finally {
      await s.close();
    }
  });

  it("a connection closed at once (qemu's forward with nothing behind it) is not an answer", async () => {
    const s = await server((sock) => sock.end());
    try {
      assert.equal(await tcpAnswers(s.port, 500), false);
    } finally {
      await s.close();
    }
  });

  it("a connection reset at once is not an answer", async () => {
    const s = await server((sock) => sock.resetAndDestroy());
    try {
      assert.equal(await tcpAnswers(s.port, 500), false);
    } finally {
      await s.close();
    }
  });

  it("nothing listening is not an answer", async () => {
    assert.equal(await tcpAnswers(await freePort(), 200), false);
  });
});

describe("tailLines", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-readiness-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the last non-blank lines without carriage returns", async () => {
    const file = path.join(dir, "console.log");
    await writeFile(file, "one\r\ntwo\r\n\r\n   \r\nthree\r\nfour\n");
    assert.deepEqual(await tailLines(file, 3), ["two", "three", "four"]);
    assert.deepEqual(await tailLines(file), ["one", "two", "three", "four"]);
  });

  it("reads only the end of a large log", async () => {
    const file = path.join(dir, "big.log");
    await writeFile(file, `${"noise line\n".repeat(20_000)}last line\n`);
    assert.deepEqual(await tailLines(file, 2), ["noise line", "last line"]);
  });

  it("a missing log has no lines", async () => {
    assert.deepEqual(await tailLines(path.join(dir, "nope.log")), []);
  });
});

describe("waitUntilReady", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-readiness-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const alive = (): boolean => true;

  it("with no conditions is ready at once", async () => {
    assert.equal(await waitUntilReady({}, path.join(dir, "none.log"), alive), undefined);
  });

  it("waits for the console pattern to appear in the log", async () => {
    const log = path.join(dir, "boot.log");
    await writeFile(log, "Booting Linux\n");
    setTimeout(() => void appendFile(log, "Welcome to LinuxKit\nlinuxkit-5254 login: \n"), 700);
    const started = Date.now();
    const reason = await waitUntilReady(
      { consolePattern: "^linuxkit-\\w+ login:", timeoutSeconds: 10 },
      log,
      alive,
    );
    assert.equal(reason, undefined);
    assert.ok(Date.now() - started >= 600, "it waited for the line");
  });

  it("waits for both the console and the forwarded port, using the host port the forward maps to", async () => {
    const log = path.join(dir, "both.log");
    await writeFile(log, "ready\n");
    const s = await server(() => undefined);
    try {
      const asked: number[] = [];
      const reason = await waitUntilReady(
        { consolePattern: "ready", tcpPort: 22, timeoutSeconds: 10 },
        log,
        alive,
        (guest) => {
          asked.push(guest);
          return s.port;
        },
      );
      assert.equal(reason, undefined);
      assert.deepEqual(asked, [22]);
    } finally {
      await s.close();
    }
  });

  it("times out with a reason naming what it still waits for", async () => {
    const log = path.join(dir, "slow.log");
    await writeFile(log, "still booting\n");
    const port = await freePort();
    const reason = await waitUntilReady(
      { consolePattern: "login:", tcpPort: 22, timeoutSeconds: 0.6 },
      log,
      alive,
      () => port,
    );
    assert.equal(
      reason,
      `not ready after 0.6 s: still waiting for console pattern /login:/ and guest port 22 (host 127.0.0.1:${port})`,
    );
  });

  it("only the unmet condition is named", async () => {
    const log = path.join(dir, "half.log");
    await writeFile(log, "login:\n");
    const port = await freePort();
    const reason = await waitUntilReady(
      { consolePattern: "login:", tcpPort: port, timeoutSeconds: 0.5 },
      log,
      alive,
    );
    assert.equal(
      reason,
      `not ready after 0.5 s: still waiting for guest port ${port} (host 127.0.0.1:${port})`,
    );
  });

  it("stops as soon as qemu is gone", async () => {
    let calls = 0;
    const started = Date.now();
    const reason = await waitUntilReady(
      { consolePattern: "never", timeoutSeconds: 30 },
      path.join(dir, "x.log"),
      () => ++calls < 3,
    );
    assert.equal(reason, "qemu exited before the VM was ready");
    assert.ok(Date.now() - started < 5000);
  });
});

describe("waitUntilReady with an HTTP path", () => {
  /** An HTTP server answering 503 to the first `failures` requests, then 200. */
  async function httpServer(
    failures: number,
  ): Promise<{ port: number; paths: string[]; close: () => Promise<void> }> {
    const paths: string[] = [];
    const srv = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(paths.length > failures ? 200 : 503).end("hello");
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    return {
      port: (srv.address() as net.AddressInfo).port,
      paths,
      close: () => new Promise((r) => srv.close(() => r())),
    };
  }

  it("waits for a 2xx answer on the forwarded port of guest port 80 by default", async () => {
    const s = await httpServer(2);
    try {
      const asked: number[] = [];
      const reason = await waitUntilReady(
        { httpPath: "/healthz", timeoutSeconds: 10 },
        "none.log",
        () => true,
        (guest) => {
          asked.push(guest);
          return s.port;
        },
      );
      assert.equal(reason, undefined);
      assert.deepEqual(asked, [80]);
      assert.deepEqual(s.paths, ["/healthz", "/healthz", "/healthz"], "503 twice, then 200");
    } finally {
      await s.close();
    }
  });

  it("names the HTTP check it still waits for", async () => {
    const s = await httpServer(1000);
    try {
      const reason = await waitUntilReady(
        { httpPath: "/", tcpPort: 8080, timeoutSeconds: 0.6 },
        "none.log",
        () => true,
        () => s.port,
      );
      assert.equal(
        reason,
        `not ready after 0.6 s: still waiting for HTTP / on guest port 8080 (host 127.0.0.1:${s.port})`,
      );
    } finally {
      await s.close();
    }
  });
});
