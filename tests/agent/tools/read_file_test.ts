import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileTool } from "../../../agent/mod.ts";
import { ToolRegistry } from "../../../agent/mod.ts";
import { tempDir, testConfig, toolContext } from "./helpers.ts";

const registry = new ToolRegistry().register(readFileTool(testConfig().tools));

function read(workspace: string, args: Record<string, unknown>) {
  return registry.call("read_file", JSON.stringify(args), toolContext(workspace));
}

Deno.test("read_file returns numbered lines", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha\nbeta\n");
  const result = await read(ws.path, { path: "a.txt" });
  assert.deepEqual(result, { output: "     1│alpha\n     2│beta", isError: false });
});

Deno.test("read_file pages with offset and limit and says where to continue", async () => {
  await using ws = await tempDir();
  const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join("\n");
  await Deno.writeTextFile(join(ws.path, "long.txt"), lines);
  const result = await read(ws.path, { path: "long.txt", offset: 4, limit: 3 });
  assert.equal(
    result.output,
    "     4│line 4\n     5│line 5\n     6│line 6\n[lines 4–6 of 10; continue with offset 7]",
  );
});

Deno.test("read_file cuts very long lines", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "wide.txt"), "x".repeat(5000));
  const result = await read(ws.path, { path: "wide.txt" });
  assert.match(result.output, /… \[line cut: 5000 chars in total\]$/);
  assert.ok(result.output.length < 2100);
});

Deno.test("read_file refuses binary files with a clear message", async () => {
  await using ws = await tempDir();
  await Deno.writeFile(join(ws.path, "img.bin"), new Uint8Array([0x89, 0x50, 0x00, 0x01]));
  const result = await read(ws.path, { path: "img.bin" });
  assert.equal(result.isError, true);
  assert.match(result.output, /img\.bin is a binary file/);
});

Deno.test("read_file refuses a path traversal", async () => {
  await using ws = await tempDir();
  const result = await read(ws.path, { path: "../../../../etc/passwd" });
  assert.equal(result.isError, true);
  assert.match(result.output, /outside the workspace/);
});

Deno.test("read_file refuses a symlink that escapes the workspace", async () => {
  await using ws = await tempDir();
  await using outside = await tempDir();
  await Deno.writeTextFile(join(outside.path, "secret"), "top secret");
  await Deno.symlink(join(outside.path, "secret"), join(ws.path, "innocent.txt"));
  const result = await read(ws.path, { path: "innocent.txt" });
  assert.equal(result.isError, true);
  assert.match(result.output, /symlink/);
  assert.doesNotMatch(result.output, /top secret/);
});

Deno.test("read_file reports a missing file", async () => {
  await using ws = await tempDir();
  const result = await read(ws.path, { path: "nope.txt" });
  assert.equal(result.isError, true);
  assert.match(result.output, /nope\.txt does not exist/);
});

Deno.test("read_file rejects a bad offset type as a tool error", async () => {
  await using ws = await tempDir();
  const result = await read(ws.path, { path: "a.txt", offset: "ten" });
  assert.equal(result.isError, true);
  assert.match(result.output, /invalid arguments for read_file: offset/);
});
