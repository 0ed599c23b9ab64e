import assert from "node:assert/strict";
import { ConversationStore, CursorNotFoundError, ResponseStore } from "../../store/mod.ts";

const message = (id: string) => ({
  id,
  type: "message",
  role: "user",
  content: [{ type: "input_text", text: id }],
});

const ids = (page: { data: { id: string }[] }) => page.data.map((c) => c.id);

Deno.test("conversations list by last activity, a new turn moves one to the top", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const a = await store.create({ title: "a" }, []);
  const b = await store.create({}, [message("m1")]);
  const c = await store.create({}, []);
  assert.deepEqual(ids(await store.list({ order: "desc", limit: 20 })), [c.id, b.id, a.id]);
  await store.append(a.id, [message("m2")]);
  const page = await store.list({ order: "desc", limit: 20 });
  assert.deepEqual(ids(page), [a.id, c.id, b.id]);
  assert.equal(page.has_more, false);
  assert.deepEqual(page.data[0], a, "entries are the conversation objects");
  assert.deepEqual(ids(await store.list({ order: "asc", limit: 20 })), [b.id, c.id, a.id]);
  // A rename is not activity.
  await store.update(b.id, { title: "renamed" });
  assert.deepEqual(ids(await store.list({ order: "desc", limit: 20 })), [a.id, c.id, b.id]);
});

Deno.test("the conversation list pages with limit, after and before in both orders", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const made: string[] = [];
  for (let i = 0; i < 7; i++) made.push((await store.create({}, [])).id);
  const newest = [...made].reverse();
  const first = await store.list({ order: "desc", limit: 3 });
  assert.deepEqual(ids(first), newest.slice(0, 3));
  assert.equal(first.has_more, true);
  const second = await store.list({ order: "desc", limit: 3, after: newest[2] });
  assert.deepEqual(ids(second), newest.slice(3, 6));
  const last = await store.list({ order: "desc", limit: 3, after: newest[5] });
  assert.deepEqual(ids(last), newest.slice(6));
  assert.equal(last.has_more, false);
  assert.deepEqual(
    ids(await store.list({ order: "asc", limit: 2, after: made[1] })),
    made.slice(2, 4),
  );
  assert.deepEqual(
    ids(await store.list({ order: "desc", limit: 10, before: newest[3] })),
    newest.slice(0, 3),
  );
  assert.deepEqual(
    ids(await store.list({ order: "asc", limit: 10, after: made[1], before: made[4] })),
    made.slice(2, 4),
  );
  await assert.rejects(
    store.list({ order: "desc", limit: 3, after: "conv_nope" }),
    (e: unknown) => e instanceof CursorNotFoundError && e.param === "after",
  );
});

Deno.test("a deleted conversation leaves the list, and so does one whose object expired", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv, { prefix: ["c"] });
  const a = await store.create({}, []);
  const b = await store.create({}, [message("m1")]);
  assert.equal(await store.delete(b.id), true);
  assert.deepEqual(ids(await store.list({ order: "desc", limit: 20 })), [a.id]);
  // What KV expiry does: the object goes, the index entries are still there.
  await kv.delete(["c", "conv", a.id]);
  assert.deepEqual(ids(await store.list({ order: "desc", limit: 20 })), []);
  let left = 0;
  for await (const entry of kv.list({ prefix: ["c"] })) {
    if (entry.key[1] !== "activity_index") left++;
  }
  assert.equal(left, 2, "only the expired one's own index entries remain, until they expire");
});

Deno.test("concurrent turns on one conversation list it once", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const a = await store.create({}, []);
  const b = await store.create({}, []);
  await Promise.all(Array.from({ length: 8 }, (_, i) => store.append(a.id, [message(`m${i}`)])));
  assert.deepEqual(ids(await store.list({ order: "desc", limit: 20 })), [a.id, b.id]);
  assert.deepEqual(ids(await store.list({ order: "desc", limit: 1 })), [a.id]);
});

Deno.test("conversations stored before the activity index are listed from a reopened KV file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/herald.kv`;
  try {
    let old: string[];
    {
      using kv = await Deno.openKv(path);
      const store = new ConversationStore(kv);
      const a = await store.create({ title: "old a" }, [message("m1")]);
      const b = await store.create({ title: "old b" }, []);
      await store.append(a.id, [message("m2")]);
      old = [a.id, b.id];
      // Strip the index: exactly what a store written before it existed holds.
      for await (const entry of kv.list({ prefix: ["conversations"] })) {
        if (["activity", "recent", "activity_index"].includes(entry.key[1] as string)) {
          await kv.delete(entry.key);
        }
      }
    }
    using kv = await Deno.openKv(path);
    const store = new ConversationStore(kv);
    const fresh = await store.create({}, []);
    const page = await store.list({ order: "desc", limit: 20 });
    assert.deepEqual(ids(page), [fresh.id, ...old]);
    assert.deepEqual(page.data[1].metadata, { title: "old a" });
    // The old ones are now indexed like any other: a turn moves one to the top.
    await store.append(old[1], [message("m3")]);
    assert.deepEqual(ids(await store.list({ order: "desc", limit: 1 })), [old[1]]);
    assert.equal((await kv.get(["conversations", "activity_index"])).value, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a page of items is read from the end without the rest of the conversation", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ConversationStore(kv);
  const conv = await store.create({}, []);
  for (let i = 0; i < 25; i++) await store.append(conv.id, [message(`m${i}`)]);
  const itemIds = (page: { data: { id?: unknown }[] }) => page.data.map((i) => i.id);
  const last = await store.itemsPage(conv.id, { order: "desc", limit: 3 });
  assert.deepEqual(itemIds(last), ["m24", "m23", "m22"]);
  assert.equal(last.has_more, true);
  const older = await store.itemsPage(conv.id, { order: "desc", limit: 3, after: "m22" });
  assert.deepEqual(itemIds(older), ["m21", "m20", "m19"]);
  const oldest = await store.itemsPage(conv.id, { order: "desc", limit: 5, after: "m3" });
  assert.deepEqual(itemIds(oldest), ["m2", "m1", "m0"]);
  assert.equal(oldest.has_more, false);
  const asc = await store.itemsPage(conv.id, { order: "asc", limit: 2, after: "m0" });
  assert.deepEqual(itemIds(asc), ["m1", "m2"]);
  const newer = await store.itemsPage(conv.id, { order: "desc", limit: 50, before: "m21" });
  assert.deepEqual(itemIds(newer), ["m24", "m23", "m22"]);
  await assert.rejects(
    store.itemsPage(conv.id, { order: "desc", limit: 3, before: "msg_nope" }),
    (e: unknown) => e instanceof CursorNotFoundError && e.param === "before",
  );
});

Deno.test("conversation names stored before they were listed are listed from a reopened KV file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/herald.kv`;
  const response = (id: string) => ({ id, object: "response", status: "completed", output: [] });
  try {
    {
      using kv = await Deno.openKv(path);
      const store = new ResponseStore(kv);
      for (const [id, name] of [["resp_a", "alpha"], ["resp_b", "beta"]]) {
        await store.save({
          response: response(id),
          input: [message(`in_${id}`)],
          parent: null,
          conversation: { name, expected: await store.conversationHead(name) },
        });
      }
      // Strip what listing added: a store written before names were listed.
      for await (const entry of kv.list({ prefix: ["responses", "conversation"] })) {
        await kv.delete(entry.key);
      }
    }
    using kv = await Deno.openKv(path);
    const store = new ResponseStore(kv);
    assert.deepEqual(ids(await store.conversations.list({ order: "desc", limit: 20 })), [
      "beta",
      "alpha",
    ]);
    assert.deepEqual((await store.namedConversation("alpha"))?.metadata, {});
    assert.deepEqual((await store.namedItems("alpha")).map((i) => i.id), ["in_resp_a"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
