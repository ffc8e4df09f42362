/**
 * The invalid corpus: one problem per fixture file, each with the error
 * it must produce (code, 1-based position, field path, message part).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import type { LinuxKitErrorCode } from "../../../components/errors/errors";
import { loadSpecFiles } from "../../../components/config";
import { fixture } from "../../helpers/paths";
import { errorsOfAsync } from "./helpers";

interface Expected {
  file: string;
  code: LinuxKitErrorCode;
  line: number;
  column: number;
  /** Undefined for syntax errors and the document itself. */
  field: string | undefined;
  message: string;
  /** A part of the hint, when the hint is the point of the test. */
  hint?: string;
}

const cases: Expected[] = [
  {
    file: "bind-unparsable.yml",
    code: "SPEC_INVALID",
    line: 6,
    column: 9,
    field: "services[0] (app).binds[1]",
    message: 'cannot parse bind "/var/log"',
  },
  {
    file: "capabilities-not-a-list.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 19,
    field: "onboot[0] (sysctl).capabilities",
    message: "expected a list of strings, got a string (",
    hint: '`capabilities: ["CAP_SYS_ADMIN"]`',
  },
  {
    file: "capability-all-with-others.yml",
    code: "SPEC_INVALID",
    line: 6,
    column: 9,
    field: "services[0] (docker).capabilities[1]",
    message: "`all` must be the only entry",
  },
  {
    file: "capability-unknown.yml",
    code: "SPEC_INVALID",
    line: 6,
    column: 9,
    field: "services[0] (ntpd).capabilities[1]",
    message: "unknown capability `CAP_SYS_NICEE`",
    hint: "did you mean `CAP_SYS_NICE`?",
  },
  {
    file: "container-name-slash.yml",
    code: "SPEC_INVALID",
    line: 2,
    column: 11,
    field: "onboot[0] (../escape).name",
    message: 'invalid name "../escape"',
  },
  {
    file: "device-without-mode.yml",
    code: "SPEC_INVALID",
    line: 5,
    column: 9,
    field: "services[0] (fuse).devices[0].mode",
    message: "device has no `mode`",
  },
  {
    file: "duplicate-service.yml",
    code: "SPEC_INVALID",
    line: 6,
    column: 11,
    field: "services[2] (getty).name",
    message: "duplicate service name `getty` (first used by services[0] at line 2)",
  },
  {
    file: "duplicate-volume.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 11,
    field: "volumes[1] (data).name",
    message: "duplicate volume name `data`",
  },
  {
    file: "file-directory-with-contents.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 15,
    field: "files[0] (var/lib/app).contents",
    message: "`directory` and `contents` cannot be combined",
  },
  {
    file: "file-nothing-to-write.yml",
    code: "SPEC_INVALID",
    line: 2,
    column: 5,
    field: "files[0] (etc/empty)",
    message: "nothing to write",
    hint: 'contents: ""',
  },
  {
    file: "metadata-unsupported.yml",
    code: "SPEC_INVALID",
    line: 3,
    column: 15,
    field: "files[0] (etc/linuxkit.xml).metadata",
    message: 'unsupported metadata format "xml"',
  },
  {
    file: "missing-file-path.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 5,
    field: "files[1].path",
    message: "missing required field `path`",
  },
  {
    file: "missing-image.yml",
    code: "SPEC_INVALID",
    line: 2,
    column: 5,
    field: "onboot[0] (dhcpcd).image",
    message: "missing required field `image`",
  },
  {
    file: "missing-kernel-image.yml",
    code: "SPEC_INVALID",
    line: 1,
    column: 1,
    field: "kernel.image",
    message: "the kernel section has no `image`",
  },
  {
    file: "missing-name.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 5,
    field: "services[1].name",
    message: "missing required field `name`",
  },
  {
    file: "mode-not-octal.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 11,
    field: "files[0] (usr/bin/tool).mode",
    message: 'invalid mode "0789"',
  },
  {
    file: "mode-unquoted.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 11,
    field: "files[0] (etc/motd).mode",
    message: "expected a string, got the number 0644",
    hint: '`mode: "0644"`',
  },
  {
    file: "mount-no-type.yml",
    code: "SPEC_INVALID",
    line: 5,
    column: 9,
    field: "services[0] (app).mounts[0]",
    message: "mount has no `type`",
  },
  {
    file: "namespace-invalid.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 10,
    field: "services[0] (web).net",
    message: 'invalid net namespace "bridge"',
  },
  {
    file: "oomscoreadj-string.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 18,
    field: "services[0] (rngd).oomScoreAdj",
    message: 'expected an integer, got the string "-800"',
    hint: "`oomScoreAdj: -800`",
  },
  {
    file: "outputs-section.yml",
    code: "SPEC_INVALID",
    line: 7,
    column: 13,
    field: "outputs[1].format",
    message: 'unknown output format "iso-biso"',
    hint: "did you mean `iso-bios`?",
  },
  {
    file: "path-escape.yml",
    code: "PATH_ESCAPE",
    line: 2,
    column: 11,
    field: "files[0] (/etc/../../root/.ssh/authorized_keys).path",
    message: 'leaves the root filesystem (cleans to "../root/.ssh/authorized_keys")',
  },
  {
    file: "path-is-root.yml",
    code: "SPEC_INVALID",
    line: 2,
    column: 11,
    field: "files[0] (/).path",
    message: "names the root directory itself",
  },
  {
    file: "readonly-quoted-true.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 15,
    field: "services[0] (rngd).readonly",
    message: 'expected a boolean (true or false), got the string "true"',
  },
  {
    file: "readonly-yes.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 15,
    field: "services[0] (rngd).readonly",
    message: 'got the string "yes"',
    hint: "YAML 1.2",
  },
  {
    file: "resources-not-object.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 16,
    field: "services[0] (app).resources",
    message: "expected OCI resources (a mapping)",
  },
  {
    file: "resources-unknown-field.yml",
    code: "SPEC_INVALID",
    line: 6,
    column: 9,
    field: "services[0] (app).resources.memory.limt",
    message: "unknown field `limt` in memory resources",
    hint: "did you mean `limit`?",
  },
  {
    file: "rlimit-unknown.yml",
    code: "SPEC_INVALID",
    line: 5,
    column: 9,
    field: "services[0] (app).rlimits[0]",
    message: 'unknown limit "RLIMIT_NOFILES"',
    hint: "`RLIMIT_NOFILE`",
  },
  {
    file: "root-not-mapping.yml",
    code: "SPEC_INVALID",
    line: 1,
    column: 1,
    field: undefined,
    message: "expected a LinuxKit configuration (a mapping), got a list",
  },
  {
    file: "runtime-norestart.yml",
    code: "SPEC_INVALID",
    line: 6,
    column: 7,
    field: "services[0] (app).runtime.noRestart",
    message: "unknown field `noRestart` in runtime settings",
  },
  {
    file: "section-empty.yml",
    code: "SPEC_INVALID",
    line: 3,
    column: 8,
    field: "onboot",
    message: "got an empty value",
    hint: "`onboot: []`",
  },
  {
    file: "syntax-duplicate-key.yml",
    code: "SPEC_SYNTAX",
    line: 4,
    column: 3,
    field: undefined,
    message: "Map keys must be unique",
  },
  {
    file: "syntax-multiple-documents.yml",
    code: "SPEC_SYNTAX",
    line: 3,
    column: 1,
    field: undefined,
    message: "more than one YAML document",
  },
  {
    file: "syntax-tab-indent.yml",
    code: "SPEC_SYNTAX",
    line: 2,
    column: 1,
    field: undefined,
    message: "Tabs are not allowed",
  },
  {
    file: "syntax-unclosed-flow.yml",
    code: "SPEC_SYNTAX",
    line: 7,
    column: 1,
    field: undefined,
    message: "end with a ]",
  },
  {
    file: "sysctl-number.yml",
    code: "SPEC_INVALID",
    line: 5,
    column: 28,
    field: 'onboot[0] (sysctl).sysctl["net.ipv4.ip_forward"]',
    message: "expected a string, got the number 1",
    hint: '`net.ipv4.ip_forward: "1"`',
  },
  {
    file: "uid-leading-zero.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 10,
    field: "services[0] (app).gid",
    message: "`0100` is ambiguous",
  },
  {
    file: "uid-quoted-number.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 10,
    field: "services[0] (app).uid",
    message: "no container is named `1000`",
    hint: "without quotes",
  },
  {
    file: "uid-unknown-name.yml",
    code: "SPEC_INVALID",
    line: 7,
    column: 10,
    field: "files[0] (etc/redis/redis.conf).uid",
    message: "no container is named `rediss`",
    hint: "did you mean `redis`?",
  },
  {
    file: "unknown-field-typo.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 5,
    field: "onboot[0] (sysctl).capabilites",
    message: "unknown field `capabilites` in an image entry",
    hint: "did you mean `capabilities`?",
  },
  {
    file: "unknown-top-level-section.yml",
    code: "SPEC_INVALID",
    line: 3,
    column: 1,
    field: "sevices",
    message: "unknown field `sevices`",
    hint: "did you mean `services`?",
  },
  {
    file: "volume-bind-missing.yml",
    code: "SPEC_INVALID",
    line: 7,
    column: 9,
    field: "services[0] (app).binds[0]",
    message: "no volume is named `datta`",
    hint: "did you mean `data`?",
  },
  {
    file: "volume-format-unknown.yml",
    code: "SPEC_INVALID",
    line: 4,
    column: 13,
    field: "volumes[0] (data).format",
    message: 'unknown volume format "squashfs"',
  },
  {
    file: "volume-name-uppercase.yml",
    code: "SPEC_INVALID",
    line: 2,
    column: 11,
    field: "volumes[0] (MyData).name",
    message: 'invalid volume name "MyData"',
  },
  {
    file: "volume-readonly-bound-rw.yml",
    code: "SPEC_INVALID",
    line: 9,
    column: 9,
    field: "services[0] (app).binds[0]",
    message: "volume `config` is read-only but is bound read-write",
  },
];

describe("invalid corpus", () => {
  it("has an expectation for every fixture file, and a fixture for every expectation", () => {
    const files = readdirSync(fixture("spec", "invalid"))
      .filter((f) => f.endsWith(".yml"))
      .sort();
    assert.deepEqual(cases.map((c) => c.file).sort(), files);
    assert.ok(files.length >= 20);
  });

  for (const expected of cases) {
    it(`${expected.file}: ${expected.code} at ${expected.line}:${expected.column} ${expected.field ?? ""}`, async () => {
      const path = fixture("spec", "invalid", expected.file);
      const errors = await errorsOfAsync(loadSpecFiles([path]));
      assert.equal(errors.length, 1, errors.map((e) => e.describe()).join("\n"));
      const [error] = errors;
      assert.ok(error);
      assert.equal(error.code, expected.code);
      assert.equal(error.file, path);
      assert.equal(error.line, expected.line, "line");
      assert.equal(error.column, expected.column, "column");
      assert.equal(error.field, expected.field, "field");
      assert.ok(
        error.message.includes(expected.message),
        `message ${JSON.stringify(error.message)}`,
      );
      assert.ok(error.hint !== undefined && error.hint.length > 0, "every error has a hint");
      if (expected.hint !== undefined) {
        assert.ok(error.hint.includes(expected.hint), `hint ${JSON.stringify(error.hint)}`);
      }
    });
  }
});
