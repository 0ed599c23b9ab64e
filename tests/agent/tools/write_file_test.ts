import assert from "node:assert/strict";
import { join } from "node:path";
import { ToolRegistry } from "../../../agent/mod.ts";
import { writeFileTool } from "../../../agent/mod.ts";
import { tempDir, testConfig, toolContext } from "./helpers.ts";

const registry = new ToolRegistry().register(writeFileTool(testConfig().tools));

function write(workspace: string, args: Record<string, unknown>) {
  return registry.call("write_file", JSON.stringify(args), toolContext(workspace));
}

Deno.test("write_file creates parent folders and reports the bytes written", async () => {
  await using ws = await tempDir();
  const result = await write(ws.path, { path: "deep/er/note.md", content: "héllo" });
  assert.deepEqual(result, { output: "Created deep/er/note.md: wrote 6 bytes.", isError: false });
  assert.equal(await Deno.readTextFile(join(ws.path, "deep/er/note.md")), "héllo");
});

Deno.test("write_file overwrites an existing file", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "f.txt"), "old");
  const result = await write(ws.path, { path: "f.txt", content: "new" });
  assert.match(result.output, /^Overwrote f\.txt/);
  assert.equal(await Deno.readTextFile(join(ws.path, "f.txt")), "new");
});

Deno.test("write_file refuses an absolute path outside the workspace", async () => {
  await using ws = await tempDir();
  await using outside = await tempDir();
  const target = join(outside.path, "planted.txt");
  const result = await write(ws.path, { path: target, content: "x" });
  assert.equal(result.isError, true);
  assert.match(result.output, /outside the workspace/);
  await assert.rejects(Deno.stat(target), Deno.errors.NotFound);
});

Deno.test("write_file refuses to write through a symlinked folder that leaves the workspace", async () => {
  await using ws = await tempDir();
  await using outside = await tempDir();
  await Deno.symlink(outside.path, join(ws.path, "out"));
  const result = await write(ws.path, { path: "out/planted.txt", content: "x" });
  assert.equal(result.isError, true);
  await assert.rejects(Deno.stat(join(outside.path, "planted.txt")), Deno.errors.NotFound);
});

Deno.test("write_file writes inside a configured extra root", async () => {
  await using ws = await tempDir();
  await using extra = await tempDir();
  const config = testConfig({ tools: { files: { extra_roots: [extra.path] } } });
  const extraRegistry = new ToolRegistry().register(writeFileTool(config.tools));
  const target = join(extra.path, "ok.txt");
  const result = await extraRegistry.call(
    "write_file",
    JSON.stringify({ path: target, content: "fine" }),
    toolContext(ws.path),
  );
  assert.equal(result.isError, false);
  assert.equal(await Deno.readTextFile(target), "fine");
});

Deno.test("write_file without content is a tool error", async () => {
  await using ws = await tempDir();
  const result = await write(ws.path, { path: "x.txt" });
  assert.equal(result.isError, true);
  assert.match(result.output, /invalid arguments for write_file: content/);
});
