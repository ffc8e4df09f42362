/**
 * The schema is generated from the TypeScript table, which the compiler
 * holds to the implementations' input and output types: this test holds
 * the committed schema.json to the table (run `npm run schema` after a
 * change) and insists on a description for every resource, property and
 * type, since each language's docs come from them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { packageSchema, schemaText } from "../../../components/pulumi/provider/schema";
import { repoRoot } from "../../helpers/paths";

const version = (
  JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }
).version;

interface PropSchema {
  description?: string;
  secret?: boolean;
}
interface Schema {
  resources: Record<
    string,
    {
      description?: string;
      properties: Record<string, PropSchema>;
      inputProperties: Record<string, PropSchema>;
    }
  >;
  types: Record<string, { description?: string; properties: Record<string, PropSchema> }>;
  config: { variables: Record<string, PropSchema> };
  pluginDownloadURL?: string;
}

describe("schema.json", () => {
  it("is what the TypeScript table generates (run `npm run schema` after changing it)", () => {
    const committed = readFileSync(path.join(repoRoot, "schema.json"), "utf8");
    assert.equal(committed, schemaText(version));
  });

  it("describes every resource, type and property", () => {
    const s = packageSchema(version) as unknown as Schema;
    const missing: string[] = [];
    for (const [token, r] of Object.entries(s.resources)) {
      if (!r.description) missing.push(token);
      for (const [k, p] of Object.entries({ ...r.properties, ...r.inputProperties })) {
        if (!p.description) missing.push(`${token}.${k}`);
      }
    }
    for (const [token, t] of Object.entries(s.types)) {
      if (!t.description) missing.push(token);
      for (const [k, p] of Object.entries(t.properties))
        if (!p.description) missing.push(`${token}.${k}`);
    }
    assert.deepEqual(missing, []);
  });

  it("serves the issue's tokens, declares the token secrets and names a download URL", () => {
    const s = packageSchema(version) as unknown as Schema;
    for (const token of [
      "linuxkit:index:Image",
      "linuxkit:qemu:Vm",
      "linuxkit:qemu:Fleet",
      "linuxkit:qemu:LocalMachine",
      "linuxkit:metal:Device",
      "linuxkit:metal:Fleet",
      "linuxkit:metal:Artifacts",
      "linuxkit:metal:ArtifactFiles",
      "linuxkit:gcp:Image",
      "linuxkit:gcp:Machine",
      "linuxkit:gcp:Fleet",
      "linuxkit:gcp:IpxeArtifacts",
      "linuxkit:redfish:Machine",
      "linuxkit:redfish:Fleet",
      "linuxkit:redfish:RemoteArtifacts",
    ]) {
      assert.ok(s.resources[token], token);
    }
    for (const token of ["linuxkit:redfish:Machine", "linuxkit:redfish:Fleet"]) {
      assert.equal(s.resources[token]?.inputProperties["password"]?.secret, true, token);
      assert.equal(s.resources[token]?.properties["password"]?.secret, true, token);
    }
    for (const key of ["password", "privateKey", "privateKeyPassword"])
      assert.equal(s.types["linuxkit:redfish:SshConnection"]?.properties[key]?.secret, true, key);
    assert.equal(s.resources["linuxkit:metal:Device"]?.inputProperties["authToken"]?.secret, true);
    assert.equal(
      s.resources["linuxkit:metal:Device"]?.properties["authToken"]?.secret,
      true,
      "kept only as a secret output, so refresh and destroy can use it",
    );
    assert.equal(s.config.variables["metalAuthToken"]?.secret, true);
    assert.match(s.pluginDownloadURL ?? "", /^github:\/\//);
  });
});
