import assert from "node:assert/strict";
import { join } from "node:path";
import { MemoryError, MemoryStore } from "../../store/mod.ts";

async function withKv(body: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herald_memory_" });
  try {
    await body(join(dir, "herald.kv"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("memory notes persist in the KV file across reopening", async () => {
  await withKv(async (path) => {
    const kv = await Deno.openKv(path);
    try {
      await new MemoryStore(kv, { maxChars: 4000 }).add("The user's name is Ada.");
    } finally {
      kv.close();
    }
    const reopened = await Deno.openKv(path);
    try {
      assert.deepEqual(await new MemoryStore(reopened, { maxChars: 4000 }).list(), [
        "The user's name is Ada.",
      ]);
    } finally {
      reopened.close();
    }
  });
});

Deno.test("render() is empty without notes and a bulleted block with them", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars: 4000 });
    assert.equal(await memory.render(), "");
    await memory.add("Prefers short answers.");
    await memory.add("Works on Herald,\na Deno gateway.");
    const block = await memory.render();
    assert.match(block, /^## What you remember about the user\n/);
    assert.match(block, /\n- Prefers short answers\.\n- Works on Herald,\n {2}a Deno gateway\.$/);
  } finally {
    kv.close();
  }
});

Deno.test("notes list oldest first; replace and remove find notes by a unique substring", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars: 4000 });
    await memory.add("Lives in Lisbon.");
    await memory.add("Likes tea.");
    await memory.replace("Lisbon", "Lives in Porto.");
    assert.deepEqual(await memory.list(), ["Lives in Porto.", "Likes tea."]);
    await memory.remove("tea");
    assert.deepEqual(await memory.list(), ["Lives in Porto."]);
  } finally {
    kv.close();
  }
});

Deno.test("an ambiguous or missing old_text is refused with a clear error", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars: 4000 });
    await memory.add("Likes green tea.");
    await memory.add("Likes black tea.");
    await assert.rejects(
      memory.remove("tea"),
      (e) => e instanceof MemoryError && /2 memory notes contain "tea"/.test(e.message),
    );
    await assert.rejects(memory.remove("coffee"), /No memory note contains "coffee"/);
    assert.equal((await memory.list()).length, 2);
  } finally {
    kv.close();
  }
});

Deno.test("memory refuses to grow past max_chars, saying how full it is", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars: 30 });
    await memory.add("x".repeat(25));
    await assert.rejects(
      memory.add("too long"),
      (e) =>
        e instanceof MemoryError &&
        e.message.startsWith("memory is full (25/30 chars): remove or replace a note first"),
    );
    // Replacing with something shorter still works when full.
    await memory.replace("xxx", "short");
    assert.deepEqual(await memory.list(), ["short"]);
  } finally {
    kv.close();
  }
});

Deno.test("concurrent adds do not lose notes", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars: 4000 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => memory.add(`note ${i}`)));
    assert.equal((await memory.list()).length, 5);
  } finally {
    kv.close();
  }
});

Deno.test("render() shows this store's own writes at once, despite its cache", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const memory = new MemoryStore(kv, { maxChars: 4000, renderTtlMs: 60_000 });
    assert.equal(await memory.render(), "");
    await memory.add("Prefers tea.");
    assert.match(await memory.render(), /- Prefers tea\.$/);
    await memory.replace("tea", "Prefers coffee.");
    assert.match(await memory.render(), /- Prefers coffee\.$/);
    await memory.remove("coffee");
    assert.equal(await memory.render(), "");
  } finally {
    kv.close();
  }
});

Deno.test("render() picks up another writer's change once renderTtlMs has passed", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const reader = new MemoryStore(kv, { maxChars: 4000, renderTtlMs: 0 });
    const other = new MemoryStore(kv, { maxChars: 4000 });
    assert.equal(await reader.render(), "");
    await other.add("Lives in Lisbon.");
    assert.match(await reader.render(), /- Lives in Lisbon\.$/);
    await other.remove("Lisbon");
    assert.equal(await reader.render(), "");
  } finally {
    kv.close();
  }
});
