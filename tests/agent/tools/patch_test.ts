import assert from "node:assert/strict";
import { join } from "node:path";
import { patchTool } from "../../../agent/mod.ts";
import { ToolRegistry } from "../../../agent/mod.ts";
import { tempDir, testConfig, toolContext } from "./helpers.ts";

const registry = new ToolRegistry().register(patchTool(testConfig().tools));

function patch(workspace: string, args: Record<string, unknown>) {
  return registry.call("patch", JSON.stringify(args), toolContext(workspace));
}

const SOURCE = ["one", "two", "three", "four", "five", "six", "seven", ""].join("\n");

Deno.test("patch replaces a unique string and returns a unified-style diff", async () => {
  await using ws = await tempDir();
  const file = join(ws.path, "f.txt");
  await Deno.writeTextFile(file, SOURCE);
  const result = await patch(ws.path, { path: "f.txt", old_string: "four", new_string: "FOUR\n4" });
  assert.equal(result.isError, false);
  assert.equal(
    result.output,
    [
      "Patched f.txt: 1 replacement.",
      "--- f.txt",
      "+++ f.txt",
      "@@ -2,5 +2,6 @@",
      " two",
      " three",
      "-four",
      "+FOUR",
      "+4",
      " five",
      " six",
    ].join("\n"),
  );
  assert.equal(await Deno.readTextFile(file), SOURCE.replace("four", "FOUR\n4"));
});

Deno.test("patch fails clearly when old_string is missing", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "f.txt"), SOURCE);
  const result = await patch(ws.path, { path: "f.txt", old_string: "eight", new_string: "8" });
  assert.equal(result.isError, true);
  assert.match(result.output, /old_string was not found in f\.txt/);
});

Deno.test("patch refuses an ambiguous old_string, counting the matches", async () => {
  await using ws = await tempDir();
  const file = join(ws.path, "f.txt");
  await Deno.writeTextFile(file, "x = 1\ny = 2\nx = 1\n");
  const result = await patch(ws.path, { path: "f.txt", old_string: "x = 1", new_string: "x = 3" });
  assert.equal(result.isError, true);
  assert.match(
    result.output,
    /occurs 2 times in f\.txt \(lines 1, 3\).*more surrounding context.*replace_all/,
  );
  assert.equal(await Deno.readTextFile(file), "x = 1\ny = 2\nx = 1\n", "the file is unchanged");
});

Deno.test("patch with replace_all changes every occurrence", async () => {
  await using ws = await tempDir();
  const file = join(ws.path, "f.txt");
  await Deno.writeTextFile(file, "x = 1\ny = 2\nx = 1\n");
  const result = await patch(ws.path, {
    path: "f.txt",
    old_string: "x = 1",
    new_string: "x = 3",
    replace_all: true,
  });
  assert.match(result.output, /^Patched f\.txt: 2 replacements\./);
  assert.match(result.output, /-x = 1\n\+x = 3\n y = 2\n-x = 1\n\+x = 3/);
  assert.equal(await Deno.readTextFile(file), "x = 3\ny = 2\nx = 3\n");
});

Deno.test("patch deleting whole lines shows only the removed lines", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "f.txt"), SOURCE);
  const result = await patch(ws.path, { path: "f.txt", old_string: "three\n", new_string: "" });
  assert.match(result.output, / one\n two\n-three\n four\n five/);
});

Deno.test("patch refuses paths outside the workspace", async () => {
  await using ws = await tempDir();
  const result = await patch(ws.path, { path: "/etc/hosts", old_string: "a", new_string: "b" });
  assert.equal(result.isError, true);
  assert.match(result.output, /outside the workspace/);
});
