import assert from "node:assert/strict";
import { memoryTool } from "../../../agent/mod.ts";
import { ToolRegistry } from "../../../agent/mod.ts";
import { MemoryStore } from "../../../store/mod.ts";
import { toolContext } from "./helpers.ts";

async function withMemory(
  maxChars: number,
  body: (
    call: (args: unknown) => ReturnType<ToolRegistry["call"]>,
    memory: MemoryStore,
  ) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars });
    const registry = new ToolRegistry().register(memoryTool(memory));
    await body(
      (args) => registry.call("memory", JSON.stringify(args), toolContext("/tmp")),
      memory,
    );
  } finally {
    kv.close();
  }
}

Deno.test("the memory tool adds, lists, replaces and removes notes", async () => {
  await withMemory(4000, async (call, memory) => {
    assert.equal(
      (await call({ action: "add", content: "Name: Ada." })).output,
      "Saved. Memory holds 1 note (10/4000 chars).",
    );
    await call({ action: "add", content: "Likes tea." });
    assert.equal(
      (await call({ action: "list" })).output,
      "1. Name: Ada.\n2. Likes tea.\n\nMemory holds 2 notes (20/4000 chars).",
    );
    await call({ action: "replace", old_text: "tea", content: "Likes coffee." });
    await call({ action: "remove", old_text: "Ada" });
    assert.deepEqual(await memory.list(), ["Likes coffee."]);
    assert.match(await memory.render(), /- Likes coffee\./);
  });
});

Deno.test("the memory tool reports a full memory as a tool error", async () => {
  await withMemory(20, async (call) => {
    await call({ action: "add", content: "a".repeat(18) });
    const result = await call({ action: "add", content: "one more fact" });
    assert.equal(result.isError, true);
    assert.match(result.output, /^memory is full \(18\/20 chars\): remove or replace a note first/);
  });
});

Deno.test("the memory tool requires content and old_text where the action needs them", async () => {
  await withMemory(4000, async (call) => {
    const add = await call({ action: "add" });
    assert.equal(add.isError, true);
    assert.match(add.output, /content: content is required for add/);
    const replace = await call({ action: "replace", content: "x" });
    assert.match(replace.output, /old_text: old_text is required for replace/);
    const bad = await call({ action: "forget" });
    assert.match(bad.output, /invalid arguments for memory: action/);
  });
});
