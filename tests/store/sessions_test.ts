import assert from "node:assert/strict";
import { SessionStore } from "../../store/mod.ts";
import type { ChatMessage } from "../../agent/mod.ts";

Deno.test("sessions append turn by turn and load in order", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const sessions = new SessionStore<ChatMessage>(kv);
    assert.deepEqual(await sessions.load("chat"), []);
    await sessions.append("chat", [{ role: "user", content: "one" }]);
    await sessions.append("chat", [
      { role: "assistant", content: "two" },
      { role: "user", content: "three" },
    ]);
    assert.deepEqual((await sessions.load("chat")).map((m) => m.content), ["one", "two", "three"]);
    assert.deepEqual(await sessions.load("other"), []);
  } finally {
    kv.close();
  }
});

Deno.test("a session holds a 1 MB tool output intact", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const sessions = new SessionStore<ChatMessage>(kv);
    const big = "ü".repeat(1_000_000);
    const messages: ChatMessage[] = [
      { role: "tool", tool_call_id: "call_1", content: big },
      { role: "tool", tool_call_id: "call_2", content: big },
      { role: "assistant", content: "done" },
    ];
    await sessions.append("s", messages);
    assert.deepEqual(await sessions.load("s"), messages);
  } finally {
    kv.close();
  }
});

Deno.test("concurrent appends to one session all land", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const sessions = new SessionStore<ChatMessage>(kv);
    await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => sessions.append("s", [{ role: "user", content: `${i}` }]),
      ),
    );
    assert.deepEqual((await sessions.load("s")).map((m) => m.content), [
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
    ]);
  } finally {
    kv.close();
  }
});

Deno.test("clear starts a fresh session and removes the old messages", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const sessions = new SessionStore<ChatMessage>(kv, { prefix: ["tg"] });
    await sessions.append("s", [{ role: "user", content: "x".repeat(200_000) }]);
    await sessions.clear("s");
    assert.deepEqual(await sessions.load("s"), []);
    await sessions.append("s", [{ role: "user", content: "new" }]);
    assert.deepEqual(await sessions.load("s"), [{ role: "user", content: "new" }]);
    const keys: Deno.KvKey[] = [];
    for await (const e of kv.list({ prefix: ["tg"] })) keys.push(e.key);
    assert.equal(keys.length, 2, `expected head + one message, got ${JSON.stringify(keys)}`);
  } finally {
    kv.close();
  }
});
