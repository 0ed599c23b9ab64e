import assert from "node:assert/strict";
import { ConversationStore } from "../../store/mod.ts";

const message = (id: string, text: string) => ({
  id,
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});

Deno.test("conversation items come back in the order they were appended", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const conv = await store.create({ topic: "t" }, [message("m0", "zero")]);
  assert.match(conv.id, /^conv_/);
  for (let i = 1; i < 30; i++) await store.append(conv.id, [message(`m${i}`, String(i))]);
  await store.append(conv.id, [message("a", "x"), message("b", "y")]);
  const ids = (await store.items(conv.id)).map((i) => i.id);
  assert.deepEqual(ids, [...Array.from({ length: 30 }, (_, i) => `m${i}`), "a", "b"]);
  assert.deepEqual(await store.item(conv.id, "m7"), message("m7", "7"));
});

Deno.test("a 1 MB conversation item stores and loads intact", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const conv = await store.create({}, []);
  const big = {
    id: "fco_big",
    type: "function_call_output",
    call_id: "c",
    output: "é".repeat(500_000),
  };
  await store.append(conv.id, [big]);
  assert.deepEqual(await store.items(conv.id), [big]);
});

Deno.test("deleting an item or the conversation removes what it stored", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const conv = await store.create({}, [message("m1", "one"), message("m2", "two")]);
  assert.equal(await store.deleteItem(conv.id, "m1"), true);
  assert.equal(await store.deleteItem(conv.id, "m1"), false);
  assert.deepEqual((await store.items(conv.id)).map((i) => i.id), ["m2"]);
  const updated = await store.update(conv.id, { k: "v" });
  assert.deepEqual(updated?.metadata, { k: "v" });
  await store.append(conv.id, [{ id: "big", type: "x", output: "y".repeat(200_000) }]);
  assert.equal(await store.delete(conv.id), true);
  assert.equal(await store.get(conv.id), null);
  let left = 0;
  for await (const _ of kv.list({ prefix: [] })) left++;
  assert.equal(left, 0);
});
