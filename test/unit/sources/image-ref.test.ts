import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  familiarImageRef,
  formatImageRef,
  parseImageRef,
  type ImageRef,
} from "../../../components/sources/image-ref";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseImageRef / formatImageRef / familiarImageRef", () => {
  const valid: { input: string; parsed: ImageRef; full: string; familiar: string }[] = [
    {
      input: "nginx:alpine",
      parsed: { domain: "docker.io", path: "library/nginx", tag: "alpine", digest: undefined },
      full: "docker.io/library/nginx:alpine",
      familiar: "nginx:alpine",
    },
    {
      input: "nginx",
      parsed: { domain: "docker.io", path: "library/nginx", tag: "latest", digest: undefined },
      full: "docker.io/library/nginx:latest",
      familiar: "nginx:latest",
    },
    {
      input: "linuxkit/init:v1",
      parsed: { domain: "docker.io", path: "linuxkit/init", tag: "v1", digest: undefined },
      full: "docker.io/linuxkit/init:v1",
      familiar: "linuxkit/init:v1",
    },
    {
      input: "docker.io/library/nginx:1.25",
      parsed: { domain: "docker.io", path: "library/nginx", tag: "1.25", digest: undefined },
      full: "docker.io/library/nginx:1.25",
      familiar: "nginx:1.25",
    },
    {
      input: "docker.io/nginx",
      parsed: { domain: "docker.io", path: "library/nginx", tag: "latest", digest: undefined },
      full: "docker.io/library/nginx:latest",
      familiar: "nginx:latest",
    },
    {
      input: "localhost:5000/a/b:c",
      parsed: { domain: "localhost:5000", path: "a/b", tag: "c", digest: undefined },
      full: "localhost:5000/a/b:c",
      familiar: "localhost:5000/a/b:c",
    },
    {
      input: "localhost/app",
      parsed: { domain: "localhost", path: "app", tag: "latest", digest: undefined },
      full: "localhost/app:latest",
      familiar: "localhost/app:latest",
    },
    {
      input: "ghcr.io/org/team/app:v2.0.1-rc_1",
      parsed: { domain: "ghcr.io", path: "org/team/app", tag: "v2.0.1-rc_1", digest: undefined },
      full: "ghcr.io/org/team/app:v2.0.1-rc_1",
      familiar: "ghcr.io/org/team/app:v2.0.1-rc_1",
    },
    {
      input: `alpine@${DIGEST}`,
      parsed: { domain: "docker.io", path: "library/alpine", tag: undefined, digest: DIGEST },
      full: `docker.io/library/alpine@${DIGEST}`,
      familiar: `alpine@${DIGEST}`,
    },
    {
      input: `linuxkit/kernel:6.6.13@${DIGEST}`,
      parsed: { domain: "docker.io", path: "linuxkit/kernel", tag: "6.6.13", digest: DIGEST },
      full: `docker.io/linuxkit/kernel:6.6.13@${DIGEST}`,
      familiar: `linuxkit/kernel:6.6.13@${DIGEST}`,
    },
    {
      input: `registry.example.com:5000/team/app@${DIGEST}`,
      parsed: {
        domain: "registry.example.com:5000",
        path: "team/app",
        tag: undefined,
        digest: DIGEST,
      },
      full: `registry.example.com:5000/team/app@${DIGEST}`,
      familiar: `registry.example.com:5000/team/app@${DIGEST}`,
    },
    {
      // No slash: the part after the colon is a tag, as Docker reads it.
      input: "foo:5000",
      parsed: { domain: "docker.io", path: "library/foo", tag: "5000", digest: undefined },
      full: "docker.io/library/foo:5000",
      familiar: "foo:5000",
    },
    {
      input: "a__b/c-d--e.f",
      parsed: { domain: "docker.io", path: "a__b/c-d--e.f", tag: "latest", digest: undefined },
      full: "docker.io/a__b/c-d--e.f:latest",
      familiar: "a__b/c-d--e.f:latest",
    },
  ];
  for (const c of valid) {
    it(`${c.input} → ${c.full} (familiar ${c.familiar})`, () => {
      const parsed = parseImageRef(c.input);
      assert.deepEqual(parsed, c.parsed);
      assert.equal(formatImageRef(parsed as ImageRef), c.full);
      assert.equal(familiarImageRef(parsed as ImageRef), c.familiar);
      assert.deepEqual(
        parseImageRef(c.full),
        c.parsed,
        "the full form parses to the same reference",
      );
    });
  }

  const invalid: [string, RegExp][] = [
    ["", /empty/],
    [" nginx", /padded/],
    ["nginx ", /padded/],
    ["Nginx", /invalid repository name "library\/Nginx"/],
    ["linuxkit/Init:v1", /invalid repository name/],
    ["nginx:", /invalid tag ""/],
    ["nginx:-bad", /invalid tag "-bad"/],
    [`nginx:${"t".repeat(129)}`, /invalid tag/],
    ["nginx:a+b", /invalid tag "a\+b"/],
    ["nginx@sha256:xyz", /invalid digest "sha256:xyz"/],
    ["nginx@", /invalid digest ""/],
    ["a//b", /invalid repository name/],
    ["-nginx", /invalid repository name/],
    ["nginx_", /invalid repository name/],
    ["localhost:5000/", /invalid repository name/],
  ];
  for (const [input, message] of invalid) {
    it(`${JSON.stringify(input)} is rejected with a reason`, () => {
      const parsed = parseImageRef(input);
      assert.equal(typeof parsed, "string");
      assert.match(parsed as string, message);
    });
  }
});
