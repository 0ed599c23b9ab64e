import assert from "node:assert/strict";
import { macosProfile, sandboxSettings, sbplString } from "../../../agent/mod.ts";

const call = { workspace: "/Users/ada/project", extraRoots: ["/Volumes/data"] };

/** The profile's rules, one per line, without the header. */
function rules(profile: string): string[] {
  return profile.trim().split("\n");
}

Deno.test("the macOS profile denies by default and reads everywhere but the homes", () => {
  const lines = rules(macosProfile(sandboxSettings(), call));
  assert.equal(lines[0], "(version 1)");
  assert.equal(lines[1], "(deny default)");
  const readAll = lines.indexOf("(allow file-read*)");
  const denyHomes = lines.indexOf('(deny file-read* (subpath "/Users"))');
  const allowRoots = lines.indexOf(
    '(allow file-read* (subpath "/Users/ada/project") (subpath "/Volumes/data"))',
  );
  // SBPL applies the last matching rule: homes are denied after the blanket read, roots after.
  assert.ok(readAll >= 0 && denyHomes > readAll && allowRoots > denyHomes, lines.join("\n"));
});

Deno.test("workspace-write allows writes in the roots only; read-only allows none there", () => {
  const write = '(allow file-write* (subpath "/Users/ada/project") (subpath "/Volumes/data"))';
  assert.ok(rules(macosProfile(sandboxSettings(), call)).includes(write));
  const readOnly = rules(macosProfile(sandboxSettings({ mode: "read-only" }), call));
  assert.ok(!readOnly.includes(write));
  assert.ok(!readOnly.some((l) => l.includes("file-write*") && l.includes("/Users/ada")));
});

Deno.test("hidden paths are denied last, even inside the workspace", () => {
  const lines = rules(
    macosProfile(sandboxSettings({ hidden: ["/Users/ada/project/.herald"] }), call),
  );
  const deny = lines.indexOf(
    '(deny file-read* file-write* (subpath "/Users/ada/project/.herald"))',
  );
  const write = lines.findIndex((l) => l.startsWith("(allow file-write* (subpath"));
  assert.ok(deny > write, lines.join("\n"));
});

Deno.test("the network is denied unless tools.sandbox_network is on", () => {
  assert.ok(rules(macosProfile(sandboxSettings(), call)).includes("(deny network*)"));
  assert.ok(
    rules(macosProfile(sandboxSettings({ network: true }), call)).includes("(allow network*)"),
  );
});

Deno.test("paths are quoted as SBPL strings", () => {
  assert.equal(sbplString('/Users/a "b"\\c'), '"/Users/a \\"b\\"\\\\c"');
});
