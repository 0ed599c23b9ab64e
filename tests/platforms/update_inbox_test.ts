import assert from "node:assert/strict";
import { UpdateInbox } from "../../platforms/mod.ts";

async function withKv(body: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herald-inbox-" });
  const kv = await Deno.openKv(`${dir}/inbox.kv`);
  try {
    await body(kv);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const update = (id: number) => ({
  id: String(id),
  payload: { update_id: id, message: { text: `message ${id}` } },
});

Deno.test("the inbox stores an update once and recognises a redelivery", async () => {
  await withKv(async (kv) => {
    const inbox = new UpdateInbox(kv);
    assert.equal(await inbox.add(update(1)), true);
    assert.equal(await inbox.add(update(1)), false);
    assert.deepEqual((await inbox.pending()).map((e) => Number(e.update.id)), [1]);
  });
});

Deno.test("pending updates survive a reopened store until marked done", async () => {
  await withKv(async (kv) => {
    const inbox = new UpdateInbox(kv);
    await inbox.add(update(2));
    await inbox.add(update(1));
    assert.equal(await inbox.countAttempt("1"), 0);
    assert.equal(await inbox.countAttempt("1"), 1);
    const reopened = new UpdateInbox(kv);
    assert.deepEqual((await reopened.pending()).map((e) => Number(e.update.id)), [1, 2]);
    assert.equal((await reopened.get("1"))?.attempts, 2);
    await reopened.markDone("1");
    assert.deepEqual((await reopened.pending()).map((e) => Number(e.update.id)), [2]);
    // A handled update is remembered without its message, and still counts as known.
    assert.deepEqual((await reopened.get("1"))?.update, { id: "1", payload: null });
    assert.equal(await reopened.add(update(1)), false);
  });
});

Deno.test("non-numeric ids (Slack event ids) replay in arrival order", async () => {
  await withKv(async (kv) => {
    const inbox = new UpdateInbox(kv, { prefix: ["slack", "inbox"] });
    for (const id of ["Ev0B", "Ev0A", "Ev0C"]) {
      await inbox.add({ id, payload: {} });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.deepEqual((await inbox.pending()).map((e) => e.update.id), ["Ev0B", "Ev0A", "Ev0C"]);
  });
});

Deno.test("without KV the inbox works in memory", async () => {
  const inbox = new UpdateInbox();
  assert.equal(await inbox.add(update(5)), true);
  assert.equal(await inbox.add(update(5)), false);
  await inbox.markDone("5");
  assert.deepEqual(await inbox.pending(), []);
});
