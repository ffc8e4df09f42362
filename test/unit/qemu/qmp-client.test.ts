import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { qmpCommands } from "../../../components/qemu/qmp-client";

const GREETING = {
  QMP: { version: { qemu: { major: 8, minor: 2, micro: 2 } }, capabilities: ["oob"] },
};

interface FakeQmp {
  /** Commands received, in order. */
  received: string[];
  close(): Promise<void>;
}

/**
 * A fake qemu QMP socket. `script` gets each command and writes what qemu
 * would; the default greets, accepts capabilities and answers every
 * command with `{"return": {}}`.
 */
async function fakeQmp(
  socketPath: string,
  opts: { greet?: (s: net.Socket) => void; reply?: (cmd: string, s: net.Socket) => void } = {},
): Promise<FakeQmp> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    (opts.greet ?? ((sock) => sock.write(`${JSON.stringify(GREETING)}\r\n`)))(s);
    let buf = "";
    s.on("data", (c) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const cmd = (JSON.parse(buf.slice(0, nl)) as { execute: string }).execute;
        buf = buf.slice(nl + 1);
        received.push(cmd);
        if (cmd === "qmp_capabilities") s.write('{"return": {}}\r\n');
        else (opts.reply ?? ((_c, sock) => sock.write('{"return": {}}\r\n')))(cmd, s);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(socketPath, r));
  return {
    received,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe("qmpCommands", { timeout: 10_000 }, () => {
  let dir = "";
  let n = 0;
  const sock = (): string => path.join(dir, `qmp-${++n}.sock`);
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-qmp-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the greeting, negotiates capabilities, then sends each command and returns the replies in order", async () => {
    const p = sock();
    const qmp = await fakeQmp(p, {
      reply: (cmd, s) =>
        s.write(
          cmd === "query-status"
            ? '{"return": {"status": "running", "running": true}}\r\n'
            : '{"return": {}}\r\n',
        ),
    });
    try {
      const replies = await qmpCommands(p, ["query-status", "system_powerdown"]);
      assert.deepEqual(qmp.received, ["qmp_capabilities", "query-status", "system_powerdown"]);
      assert.deepEqual(replies, [{ return: { status: "running", running: true } }, { return: {} }]);
    } finally {
      await qmp.close();
    }
  });

  it("skips events between replies and reassembles lines split across packets", async () => {
    const p = sock();
    const qmp = await fakeQmp(p, {
      greet: (s) => {
        const text = `${JSON.stringify(GREETING)}\r\n`;
        s.write(text.slice(0, 10));
        setTimeout(() => s.write(text.slice(10)), 30);
      },
      reply: (cmd, s) => {
        s.write('{"event": "POWERDOWN", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n{"retu');
        setTimeout(() => s.write(`rn": {"cmd": "${cmd}"}}\r\n`), 30);
      },
    });
    try {
      assert.deepEqual(await qmpCommands(p, ["system_powerdown", "quit"]), [
        { return: { cmd: "system_powerdown" } },
        { return: { cmd: "quit" } },
      ]);
    } finally {
      await qmp.close();
    }
  });

  it("returns error replies as replies", async () => {
    const p = sock();
    const err = {
      error: { class: "CommandNotFound", desc: "The command nope has not been found" },
    };
    const qmp = await fakeQmp(p, { reply: (_c, s) => s.write(`${JSON.stringify(err)}\r\n`) });
    try {
      assert.deepEqual(await qmpCommands(p, ["nope"]), [err]);
    } finally {
      await qmp.close();
    }
  });

  it("a socket closed before every command was sent resolves with the replies received", async () => {
    const p = sock();
    const qmp = await fakeQmp(p, { reply: (_c, s) => s.end('{"return": {}}\r\n') });
    try {
      assert.deepEqual(await qmpCommands(p, ["quit", "query-status"]), [{ return: {} }]);
    } finally {
      await qmp.close();
    }
  });

  it("a socket closed with the last command unanswered (qemu exiting on quit) resolves at once, not never", async () => {
    const p = sock();
    const qmp = await fakeQmp(p, { reply: (_c, s) => s.destroy() });
    try {
      const started = Date.now();
      assert.deepEqual(await qmpCommands(p, ["quit"], 5000), []);
      assert.ok(Date.now() - started < 2000, "does not wait for the timeout");
    } finally {
      await qmp.close();
    }
  });

  it("rejects with a timeout when qemu never greets", async () => {
    const p = sock();
    const qmp = await fakeQmp(p, { greet: () => undefined });
    try {
      await assert.rejects(
        qmpCommands(p, ["quit"], 300),
        new RegExp(`QMP at ${p.replace(/[.]/g, "\\.")} did not answer within 300 ms`),
      );
    } finally {
      await qmp.close();
    }
  });

  it("rejects when nothing listens at the socket path", async () => {
    await assert.rejects(qmpCommands(path.join(dir, "absent.sock"), ["quit"], 1000), {
      code: "ENOENT",
    });
  });

  it("rejects (instead of crashing the process) when the socket speaks something other than JSON", async () => {
    const p = sock();
    const qmp = await fakeQmp(p, { greet: (s) => s.write("SSH-2.0-OpenSSH_9.6\r\n") });
    const escaped: unknown[] = [];
    const listener = (e: unknown): void => void escaped.push(e);
    process.on("uncaughtException", listener);
    try {
      await assert.rejects(
        qmpCommands(p, ["quit"], 1000),
        /QMP at .* sent something that is not JSON/,
      );
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off("uncaughtException", listener);
      await qmp.close();
    }
    assert.deepEqual(escaped.map(String), []);
  });
});
