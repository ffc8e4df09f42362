import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parsePublish } from "../../../components/cli/run-qemu-command";
import { LinuxKitError } from "../../../components/errors/errors";

describe("parsePublish", () => {
  const valid: [string, ReturnType<typeof parsePublish>][] = [
    ["8080:80", { hostPort: 8080, guestPort: 80, protocol: "tcp" }],
    ["2222:22/tcp", { hostPort: 2222, guestPort: 22, protocol: "tcp" }],
    ["5353:53/udp", { hostPort: 5353, guestPort: 53, protocol: "udp" }],
    ["1:65535", { hostPort: 1, guestPort: 65535, protocol: "tcp" }],
  ];
  for (const [text, expected] of valid) {
    it(`${text} → ${JSON.stringify(expected)}`, () =>
      assert.deepEqual(parsePublish(text), expected));
  }

  // LinuxKit's NewPublishedPort refuses the same: two parts, ports 1-65535, tcp or udp.
  const invalid = [
    "8080",
    "a:b",
    ":80",
    "8080:",
    "8080:80/sctp",
    "127.0.0.1:8080:80",
    "0:80",
    "8080:0",
    "70000:80",
    "80:65536",
    "8080:80/",
  ];
  for (const text of invalid) {
    it(`${JSON.stringify(text)} is a USAGE error`, () => {
      assert.throws(
        () => parsePublish(text),
        (e: unknown) => {
          assert.ok(e instanceof LinuxKitError);
          assert.equal(e.code, "USAGE");
          assert.match(
            e.message,
            new RegExp(`--publish ${text.replace(/[.]/g, "\\.")}: expected HOST:GUEST`),
          );
          assert.match(e.hint ?? "", /--publish 8080:80/);
          return true;
        },
      );
    });
  }
});
