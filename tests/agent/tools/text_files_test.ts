/**
 * The file tools' helper per turn, counted for real in /proc: a turn's read_file, write_file and
 * patch calls share one sandboxed helper that ends with the turn; calls outside a turn leave
 * none behind; concurrent turns never share one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  patchTool,
  readFileTool,
  ToolRegistry,
  TurnResources,
  writeFileTool,
} from "../../../agent/mod.ts";
import { liveFileHelpers, tempDir, testConfig, toolContext } from "./helpers.ts";

const settings = testConfig().tools;
const registry = new ToolRegistry()
  .register(readFileTool(settings))
  .register(writeFileTool(settings))
  .register(patchTool(settings));

Deno.test("a turn's file calls reuse one sandboxed helper, which ends with the turn", async () => {
  await using ws = await tempDir();
  const turn = new TurnResources();
  const context = { ...toolContext(ws.path), turn };
  const pids = new Set<number>();
  try {
    for (let i = 0; i < 5; i++) {
      const wrote = await registry.call(
        "write_file",
        JSON.stringify({ path: `src/f${i}.ts`, content: `let x = ${i};\n` }),
        context,
      );
      assert.equal(wrote.isError, false, wrote.output);
      const patched = await registry.call(
        "patch",
        JSON.stringify({ path: `src/f${i}.ts`, old_string: "let", new_string: "const" }),
        context,
      );
      assert.equal(patched.isError, false, patched.output);
      const read = await registry.call("read_file", `{"path":"src/f${i}.ts"}`, context);
      assert.match(read.output, new RegExp(`const x = ${i};`));
      const live = await liveFileHelpers(ws.path);
      assert.equal(live.length, 1, `one helper after call ${i}: ${live}`);
      pids.add(live[0]);
    }
    assert.equal(pids.size, 1, "20 file operations, one helper process");
  } finally {
    await turn.close();
  }
  assert.deepEqual(await liveFileHelpers(ws.path), [], "the helper ended with the turn");
});

Deno.test("a file call outside any turn leaves no helper running", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha\n");
  const result = await registry.call("read_file", '{"path":"a.txt"}', toolContext(ws.path));
  assert.match(result.output, /alpha/);
  assert.deepEqual(await liveFileHelpers(ws.path), []);
});

Deno.test("concurrent turns on one workspace each get their own helper", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha\n");
  await using one = new TurnResources();
  await using two = new TurnResources();
  const [a, b] = await Promise.all([
    registry.call("read_file", '{"path":"a.txt"}', { ...toolContext(ws.path), turn: one }),
    registry.call("read_file", '{"path":"a.txt"}', { ...toolContext(ws.path), turn: two }),
  ]);
  assert.match(a.output, /alpha/);
  assert.match(b.output, /alpha/);
  assert.equal((await liveFileHelpers(ws.path)).length, 2);
  await one.close();
  assert.equal((await liveFileHelpers(ws.path)).length, 1, "closing one turn leaves the other's");
});

Deno.test("one turn working in two workspaces keeps a helper for each", async () => {
  await using first = await tempDir();
  await using second = await tempDir();
  await Deno.writeTextFile(join(first.path, "a.txt"), "first\n");
  await Deno.writeTextFile(join(second.path, "a.txt"), "second\n");
  await using turn = new TurnResources();
  const one = await registry.call("read_file", '{"path":"a.txt"}', {
    ...toolContext(first.path),
    turn,
  });
  const two = await registry.call("read_file", '{"path":"a.txt"}', {
    ...toolContext(second.path),
    turn,
  });
  assert.match(one.output, /first/);
  assert.match(two.output, /second/);
  assert.equal((await liveFileHelpers(first.path)).length, 1);
  assert.equal((await liveFileHelpers(second.path)).length, 1);
  assert.equal(turn.size, 2);
});

Deno.test("aborting the turn ends its helper at once", async () => {
  await using ws = await tempDir();
  await Deno.writeTextFile(join(ws.path, "a.txt"), "alpha\n");
  const controller = new AbortController();
  await using turn = new TurnResources();
  const context = { ...toolContext(ws.path, controller.signal), turn };
  await registry.call("read_file", '{"path":"a.txt"}', context);
  const [pid] = await liveFileHelpers(ws.path);
  assert.ok(pid);
  controller.abort(new Error("client left"));
  // The kill is sent at once; the helper's exit is reaped in the background.
  while ((await liveFileHelpers(ws.path)).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const after = await registry.call("read_file", '{"path":"a.txt"}', context);
  assert.equal(after.isError, true);
  assert.match(after.output, /interrupted|client left/);
});
