import assert from "node:assert/strict";
import { ApprovalStore } from "../../store/mod.ts";

const call = {
  id: "call_1",
  type: "function" as const,
  function: { name: "terminal", arguments: '{"command":"ls"}' },
};

function approval(id: string, scope = "telegram:1") {
  return { id, platform: "telegram", scope, call, origin: "herald", reason: "asked" };
}

Deno.test("an approval is answered once, only from its scope, and keeps its paused turn", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ApprovalStore(kv);
  const turn = [{ role: "assistant", content: "x".repeat(200_000) }];
  await store.create(approval("mcpr_a"), turn);
  assert.deepEqual(await store.turn("mcpr_a"), turn);
  assert.deepEqual(await store.answer("mcpr_a", "telegram:2", { approved: true }), {
    ok: false,
    refusal: "unknown",
  });
  const first = await store.answer("mcpr_a", "telegram:1", { approved: false, reason: "no" });
  assert.ok(first.ok && first.approval.state === "denied");
  const second = await store.answer("mcpr_a", "telegram:1", { approved: true });
  assert.equal(second.ok, false);
  assert.equal(!second.ok && second.refusal, "answered");
  assert.equal((await store.answer("mcpr_missing", "telegram:1", { approved: true })).ok, false);
});

Deno.test("an approval past its expiry is refused as expired, and a waiter hears of it", async () => {
  using kv = await Deno.openKv(":memory:");
  let now = 1_000_000;
  const store = new ApprovalStore(kv, { timeoutSeconds: 60, now: () => now });
  await store.create(approval("mcpr_e"));
  now += 61_000;
  const outcome = await store.answer("mcpr_e", "telegram:1", { approved: true });
  assert.equal(!outcome.ok && outcome.refusal, "expired");
  // The clock says it has expired: a wait returns at once with the pending record.
  const waited = await store.wait("mcpr_e", new AbortController().signal);
  assert.equal(waited.state, "pending");
});

Deno.test("concurrent answers: exactly one wins", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ApprovalStore(kv);
  await store.create(approval("mcpr_c"));
  const outcomes = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => store.answer("mcpr_c", "telegram:1", { approved: i % 2 === 0 }),
    ),
  );
  assert.equal(outcomes.filter((o) => o.ok).length, 1);
});

Deno.test("wait resolves on the answer; always grants the tool for the scope; reusable finds the same call", async () => {
  using kv = await Deno.openKv(":memory:");
  const store = new ApprovalStore(kv);
  await store.create(approval("mcpr_w"));
  const waiting = store.wait("mcpr_w", new AbortController().signal);
  assert.equal((await store.reusable("telegram:1", call, "mcpr_other"))?.id, "mcpr_w");
  await store.answer("mcpr_w", "telegram:1", { approved: true, always: true });
  assert.equal((await waiting).state, "approved");
  assert.equal(await store.isGranted("telegram:1", "terminal"), true);
  assert.equal(await store.isGranted("telegram:2", "terminal"), false);
  await store.setMeta("mcpr_w", { used: true });
  assert.equal(await store.reusable("telegram:1", call, "mcpr_other"), null);
  const aborted = new AbortController();
  await store.create(approval("mcpr_x"));
  const pending = store.wait("mcpr_x", aborted.signal);
  aborted.abort();
  assert.equal((await pending).state, "pending");
});
