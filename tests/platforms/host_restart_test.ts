import assert from "node:assert/strict";
import { type PlatformUpdate, UpdateInbox } from "../../platforms/mod.ts";
import { FakeBotApi } from "../fakes/fake_bot_api.ts";
import { aborted, deltas, echo, final, type Harness, startHarness } from "./harness.ts";

Deno.test("a message cut off by a shutdown is answered after the restart, once", async () => {
  await using api = new FakeBotApi();
  const dir = await Deno.makeTempDir({ prefix: "herald-telegram-restart-" });
  try {
    const first: Harness = await startHarness(async function* (_turn, signal) {
      yield* deltas("Let me think about");
      await aborted(signal);
      yield final("Let me think about", "interrupted");
    }, { api, dir });
    api.sendUserMessage({ text: "a hard question" });
    await first.api.waitFor(() => first.agent.turns.length === 1);
    await first[Symbol.asyncDispose]();

    await using second = await startHarness(echo((t) => `answer to ${t}`), { api, dir });
    await api.waitFor(() => api.chatMessages().some((m) => m.text === "answer to a hard question"));
    await second.logs.waitFor("left from before a restart");
    // The cut-off attempt left nothing in the history: the replayed turn starts clean.
    assert.deepEqual(second.agent.turns[0].messages, [
      { role: "user", content: "a hard question" },
    ]);
    // Handled now: a third start has nothing to replay.
    await second[Symbol.asyncDispose]();
    await using third = await startHarness(echo((t) => `again ${t}`), { api, dir });
    assert.equal(third.agent.turns.length, 0);
    assert.ok(!third.logs.lines.some((l) => l.includes("left from before a restart")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** An inbox whose first `failures` writes of new updates fail, like a KV outage. */
class FlakyInbox extends UpdateInbox {
  constructor(public failures: number) {
    super();
  }
  override add(update: PlatformUpdate): Promise<boolean> {
    if (this.failures-- > 0) return Promise.reject(new Error("KV is unavailable"));
    return super.add(update);
  }
}

Deno.test("the polling offset moves past an update only once it is stored", async () => {
  const inbox = new FlakyInbox(1);
  await using h = await startHarness(echo((t) => `echo ${t}`), { inbox });
  h.api.sendUserMessage({ text: "keep me" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo keep me"));
  await h.logs.waitFor("could not be stored");
  // update_id 1 was fetched with offset 0, the failed store kept the offset at 0 so Telegram
  // sent it again, and only after it was stored did the offset become 2.
  const offsets = h.api.pollOffsets;
  const firstConfirm = offsets.indexOf(2);
  assert.ok(firstConfirm > 0, `offsets: ${offsets}`);
  assert.equal(offsets.slice(0, firstConfirm).filter((o) => o === 0).length >= 2, true);
  assert.equal(h.agent.turns.length, 1);
  assert.equal(h.api.chatMessages().length, 1);
});

Deno.test("webhook mode answers Telegram only after the update is stored", async () => {
  const inbox = new FlakyInbox(1);
  await using h = await startHarness(echo((t) => `echo ${t}`), {
    inbox,
    telegram: { webhook_url: "https://bot.example.com/hook", webhook_secret: "s3cret" },
  });
  const update = {
    update_id: 7,
    message: {
      message_id: 70,
      date: 0,
      chat: { id: 1, type: "private" },
      from: { id: 42, is_bot: false, first_name: "U" },
      text: "stored first",
    },
  };
  const post = () =>
    h.handle.handleWebhook!(
      new Request("http://localhost/hook", {
        method: "POST",
        headers: { "X-Telegram-Bot-Api-Secret-Token": "s3cret" },
        body: JSON.stringify(update),
      }),
    );
  const failed = await post();
  assert.equal(failed.status, 500);
  await failed.body?.cancel();
  assert.equal(await inbox.get("7"), undefined);
  const ok = await post();
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  assert.deepEqual((await inbox.get("7"))?.update, { id: "7", payload: update });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo stored first"));
  // Telegram retrying the same update after a slow answer gets 200 and no second reply.
  const again = await post();
  assert.equal(again.status, 200);
  await again.body?.cancel();
  assert.equal(h.agent.turns.length, 1);
});

Deno.test("a rejected bot token stops the adapter with one clear line, no restart loop", async () => {
  await using h = await startHarness(echo((t) => t), {
    telegram: { bot_token: "999:wrong-token" },
    waitConnected: false,
  });
  assert.equal(await h.handle.connected, undefined);
  const rejected = h.logs.lines.filter((l) => l.includes("the bot token was rejected"));
  assert.equal(rejected.length, 1, h.logs.lines.join("\n"));
  assert.match(rejected[0], /^Telegram: .*401.*TELEGRAM_BOT_TOKEN/);
  assert.ok(!h.logs.lines.some((l) => l.includes("worker died")), h.logs.lines.join("\n"));
  assert.ok(!h.logs.lines.some((l) => /\n\s+at /.test(l)), "no stack trace in the log");
  // Nothing is polled with the wrong token after the refusal.
  const calls = h.api.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(h.api.calls.length, calls);
});
