import assert from "node:assert/strict";
import { deleteChunked, getChunked, setChunked } from "../../store/mod.ts";

Deno.test("a 1 MB value stores and loads intact", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const text = "x".repeat(1_000_000);
    await setChunked(kv, ["big"], { role: "tool", content: text });
    const back = await getChunked<{ content: string }>(kv, ["big"]);
    assert.equal(back?.content, text);
  } finally {
    kv.close();
  }
});

Deno.test("text outside Latin-1 is chunked by UTF-8 bytes and round-trips", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const text = "日本語🙂ü".repeat(60_000);
    await setChunked(kv, ["cjk"], text);
    assert.equal(await getChunked(kv, ["cjk"]), text);
  } finally {
    kv.close();
  }
});

Deno.test("overwriting a chunked value removes the old chunks", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await setChunked(kv, ["v"], "a".repeat(300_000));
    await setChunked(kv, ["v"], "b".repeat(200_000));
    assert.equal(await getChunked(kv, ["v"]), "b".repeat(200_000));
    let chunks = 0;
    for await (const _ of kv.list({ prefix: ["chunks"] })) chunks++;
    assert.equal(chunks, 4);
    await deleteChunked(kv, ["v"]);
    assert.equal(await getChunked(kv, ["v"]), null);
    for await (const _ of kv.list({ prefix: ["chunks"] })) assert.fail("chunk left behind");
  } finally {
    kv.close();
  }
});

Deno.test("a reader never sees a half-written value", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = "a".repeat(900_000);
    const b = "b".repeat(900_000);
    await setChunked(kv, ["v"], a);
    const writing = setChunked(kv, ["v"], b);
    const seen = new Set<string>();
    let done = false;
    writing.then(() => done = true);
    while (!done) {
      const value = await getChunked<string>(kv, ["v"]);
      assert.ok(value === a || value === b, "read a mixed value");
      seen.add(value![0]);
    }
    await writing;
    assert.equal(await getChunked(kv, ["v"]), b);
  } finally {
    kv.close();
  }
});
