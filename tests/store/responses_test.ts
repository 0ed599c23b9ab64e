import assert from "node:assert/strict";
import { type ChainPosition, type ResponseObject, ResponseStore } from "../../store/mod.ts";

function response(id: string, text: string, extra: Record<string, unknown> = {}): ResponseObject {
  return {
    id,
    object: "response",
    status: "completed",
    output: [{
      id: `msg_${id}`,
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text }],
    }],
    ...extra,
  };
}

function input(text: string) {
  return [{ id: `in_${text}`, type: "message", role: "user", content: text }];
}

/** Saves a chain of n turns and returns the positions. */
async function chain(store: ResponseStore, n: number, from: ChainPosition | null = null) {
  const positions: ChainPosition[] = [];
  let parent = from;
  for (let i = 0; i < n; i++) {
    const id = `resp_${crypto.randomUUID()}`;
    await store.save({ response: response(id, `a${i}`), input: input(`q${i}`), parent });
    parent = { id, root: parent?.root ?? id, depth: parent ? parent.depth + 1 : 0 };
    positions.push(parent);
  }
  return positions;
}

Deno.test("a chain of N turns rebuilds to exactly its turns, without duplication", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const positions = await chain(store, 5);
    for (const [i, pos] of positions.entries()) {
      const turns = await store.history(pos.id);
      assert.equal(turns.length, i + 1);
      assert.deepEqual(
        turns.map((t) => t.input[0].content),
        positions.slice(0, i + 1).map((_, j) => `q${j}`),
      );
      assert.deepEqual(turns.map((t) => t.output.length), turns.map(() => 1));
    }
    assert.deepEqual(await store.inputItems(positions[3].id), input("q3"));
    const got = await store.get(positions[2].id);
    assert.equal(got?.id, positions[2].id);
    assert.equal((got?.output as unknown[]).length, 1);
  } finally {
    kv.close();
  }
});

Deno.test("a 1,000-turn chain rebuilds completely", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const positions = await chain(store, 1000);
    const turns = await store.history(positions[999].id);
    assert.equal(turns.length, 1000);
    assert.equal(turns[0].input[0].content, "q0");
    assert.equal(turns[999].input[0].content, "q999");
  } finally {
    kv.close();
  }
});

Deno.test("two children of one response are both valid chains", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const [first] = await chain(store, 1);
    const [left] = await chain(store, 1, first);
    const [right] = await chain(store, 1, first);
    assert.deepEqual((await store.history(left.id)).map((t) => t.id), [first.id, left.id]);
    assert.deepEqual((await store.history(right.id)).map((t) => t.id), [first.id, right.id]);
  } finally {
    kv.close();
  }
});

Deno.test("deleting a middle response keeps the rest of the chain", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const [a, b, c] = await chain(store, 3);
    assert.equal(await store.delete(b.id), true);
    assert.equal(await store.get(b.id), null);
    assert.equal(await store.delete(b.id), false);
    assert.deepEqual((await store.history(c.id)).map((t) => t.id), [a.id, c.id]);
  } finally {
    kv.close();
  }
});

Deno.test("a large turn output is stored chunked and read back intact", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const big = "日本".repeat(500_000);
    await store.save({ response: response("resp_big", big), input: input(big), parent: null });
    const got = await store.get("resp_big");
    assert.equal(
      ((got!.output as Record<string, unknown>[])[0].content as { text: string }[])[0].text,
      big,
    );
    assert.equal((await store.inputItems("resp_big"))![0].content, big);
  } finally {
    kv.close();
  }
});

Deno.test("responses older than the retention period are gone and swept", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let now = Date.now();
    const store = new ResponseStore(kv, { retentionDays: 1, now: () => now });
    const [old] = await chain(store, 1);
    now += 2 * 86_400_000;
    const [fresh] = await chain(store, 1);
    assert.equal(await store.get(old.id), null);
    assert.ok(await store.get(fresh.id));
    assert.equal(await store.sweep(), 1);
    assert.ok(await store.get(fresh.id));
  } finally {
    kv.close();
  }
});

Deno.test("8 simultaneous turns on one conversation name are serialized into one chain", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const meta = (id: string | null) => id ? store.meta(id) : Promise.resolve(null);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.withConversation("team", async () => {
          const head = await store.conversationHead("team");
          const parent = await meta(head.responseId);
          await new Promise((r) => setTimeout(r, 1)); // let the others pile up
          const id = `resp_${i}`;
          await store.save({
            response: response(id, `a${i}`),
            input: input(`q${i}`),
            parent,
            conversation: { name: "team", expected: head },
          });
        })),
    );
    const head = await store.conversationHead("team");
    const turns = await store.history(head.responseId!);
    assert.equal(turns.length, 8);
    assert.deepEqual(new Set(turns.map((t) => t.id)).size, 8);
  } finally {
    kv.close();
  }
});

Deno.test("a save against a moved conversation head is refused", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const stale = await store.conversationHead("c");
    await store.save({
      response: response("resp_1", "a"),
      input: [],
      parent: null,
      conversation: { name: "c", expected: stale },
    });
    await assert.rejects(
      store.save({
        response: response("resp_2", "b"),
        input: [],
        parent: null,
        conversation: { name: "c", expected: stale },
      }),
      /advanced by another process/,
    );
  } finally {
    kv.close();
  }
});

Deno.test("deleting the latest response unmaps its conversation name and takes it off the list", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const head = await store.conversationHead("c");
    await store.save({
      response: response("resp_1", "a"),
      input: [],
      parent: null,
      conversation: { name: "c", expected: head },
    });
    assert.equal((await store.conversationHead("c")).responseId, "resp_1");
    const listed = async () =>
      (await store.conversations.list({ limit: 100, order: "desc" })).data.map((c) => c.id);
    assert.deepEqual(await listed(), ["c"]);
    await store.delete("resp_1");
    assert.equal((await store.conversationHead("c")).responseId, null);
    // Not left in the list as an empty conversation.
    assert.equal(await store.namedConversation("c"), null);
    assert.deepEqual(await listed(), []);
  } finally {
    kv.close();
  }
});

Deno.test("runs left in progress are marked failed at start-up", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    await store.save({
      response: response("resp_bg", "", { status: "in_progress" }),
      input: [],
      parent: null,
      active: true,
    });
    await store.save({
      response: response("resp_done", "x"),
      input: [],
      parent: null,
      active: false,
    });
    const restarted = new ResponseStore(kv);
    assert.deepEqual(await restarted.failInterrupted(), ["resp_bg"]);
    const got = await restarted.get("resp_bg");
    assert.equal(got?.status, "failed");
    assert.equal((got?.error as { code: string }).code, "server_restarted");
    assert.deepEqual(await restarted.failInterrupted(), []);
  } finally {
    kv.close();
  }
});

Deno.test("stored events replay after a sequence number", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const events = Array.from({ length: 12 }, (_, i) => ({ type: "x", sequence_number: i }));
    await store.appendEvents("resp_e", events.slice(0, 5));
    await store.appendEvents("resp_e", events.slice(5));
    assert.deepEqual((await store.events("resp_e", 9)).map((e) => e.sequence_number), [10, 11]);
    assert.equal((await store.events("resp_e")).length, 12);
  } finally {
    kv.close();
  }
});

Deno.test("a chain mixing small inline turns and big chunked turns rebuilds in order", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    const [a] = await chain(store, 1);
    const big = "z".repeat(200_000);
    await store.save({ response: response("resp_mid", big), input: input("mid"), parent: a });
    const mid = { id: "resp_mid", root: a.root, depth: 1 };
    const [c] = await chain(store, 1, mid);
    const turns = await store.history(c.id);
    assert.deepEqual(turns.map((t) => t.id), [a.id, "resp_mid", c.id]);
    const text = (turns[1].output[0].content as { text: string }[])[0].text;
    assert.equal(text, big);
    // Overwriting the big turn with a small one leaves no chunks behind.
    await store.save({ response: response("resp_mid", "small"), input: input("mid"), parent: a });
    let chunks = 0;
    for await (const _ of kv.list({ prefix: ["responses", "chunk"] })) chunks++;
    assert.equal(chunks, 0);
    assert.equal((await store.history(c.id)).length, 3);
  } finally {
    kv.close();
  }
});

Deno.test("a delete racing a conversation update still deletes the response", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // Another writer touches the conversation name between the delete's read and its commit.
    let raced = false;
    const racy = new Proxy(kv, {
      get(target, prop) {
        if (prop !== "get") {
          const value = Reflect.get(target, prop, target);
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async (key: Deno.KvKey) => {
          const entry = await target.get(key);
          if (!raced && key.includes("conv") && entry.value !== null) {
            raced = true;
            await target.set(key, entry.value);
          }
          return entry;
        };
      },
    });
    const store = new ResponseStore(racy);
    await store.save({
      response: response("resp_1", "a"),
      input: [],
      parent: null,
      conversation: { name: "c", expected: await new ResponseStore(kv).conversationHead("c") },
    });
    assert.equal(await store.delete("resp_1"), true);
    assert.ok(raced, "the race was staged");
    assert.equal(await store.meta("resp_1"), null);
    assert.equal((await store.conversationHead("c")).responseId, null);
  } finally {
    kv.close();
  }
});

Deno.test("a conversation name is created at its first response's time, and later turns keep it", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = new ResponseStore(kv);
    // A time well in the past: a record stamped with the clock at save time would differ.
    const first = 1_700_000_000;
    await store.save({
      response: response("resp_1", "a", { created_at: first }),
      input: [],
      parent: null,
      conversation: { name: "trip", expected: await store.conversationHead("trip") },
    });
    await store.save({
      response: response("resp_2", "b", { created_at: first + 60 }),
      input: [],
      parent: { id: "resp_1", root: "resp_1", depth: 0 },
      conversation: { name: "trip", expected: await store.conversationHead("trip") },
    });
    assert.equal((await store.namedConversation("trip"))?.created_at, first);
  } finally {
    kv.close();
  }
});
