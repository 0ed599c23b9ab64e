/**
 * Telegram approvals through a whole gateway (real agent, real worker, KV file) against the fake
 * Bot API and the fake LLM: the question comes with Allow once / Always for this chat / Deny
 * buttons; a foreign user's press is refused; an allowed user's press runs (or denies) the call;
 * /stop denies; a pending approval survives a restart of the gateway.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { type FakeBotApi, type FakeMessage, startFakeBotApi } from "../fakes/fake_bot_api.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";

const WRITE = { name: "write_file", arguments: '{"path":"out.txt","content":"hello"}' };

async function telegramGateway(api: FakeBotApi, llm: FakeLlm, home?: string) {
  return await startTestGateway({
    upstream: llm.baseUrl,
    key: "telegram-approvals-key-0123456789",
    configYaml: "approvals:\n  telegram: always\n",
    env: {
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: api.apiRoot,
      TELEGRAM_ALLOWED_USERS: "42",
      API_SERVER_ENABLED: "false",
    },
    ...(home ? { home } : {}),
  });
}

/** The `count`-th question (message with approval buttons) as it was sent, once it is there. */
async function question(api: FakeBotApi, count = 1): Promise<FakeMessage> {
  const asking = () => api.chatMessages().filter((m) => m.text.startsWith("⚠️ Approval needed"));
  await api.waitFor(() => asking().length >= count);
  const message = structuredClone(asking()[count - 1]);
  // Its buttons as sent: a settled question has had them removed since.
  const sent = api.callsOf("sendMessage").filter((c) => c.body.reply_markup?.inline_keyboard);
  return { ...message, buttons: sent[count - 1].body.reply_markup.inline_keyboard };
}

function data(message: FakeMessage, label: string): string {
  return message.buttons!.flat().find((b) => b.text === label)!.callback_data!;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("Telegram: buttons ask; a foreign user is refused; Allow once runs the call", async () => {
  await using api = await startFakeBotApi();
  await using llm = await FakeLlm.start();
  await using g = await telegramGateway(api, llm);
  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written." });
  api.sendUserMessage({ text: "write hello to out.txt" });
  const asked = await question(api);
  assert.match(asked.text, /Approval needed: write_file/);
  assert.match(asked.text, /out\.txt/);
  assert.deepEqual(asked.buttons!.flat().map((b) => b.text), [
    "Allow once",
    "Always for this chat",
    "Deny",
  ]);
  const out = join(g.home, "workspace", "out.txt");

  api.pressButton({ messageId: asked.messageId, data: data(asked, "Allow once"), userId: 99 });
  await api.waitFor(() =>
    api.callsOf("answerCallbackQuery").some((c) => /not allowed/.test(c.body.text ?? ""))
  );
  assert.equal(await exists(out), false);

  api.pressButton({ messageId: asked.messageId, data: data(asked, "Allow once") });
  await api.waitFor(() => api.chatMessages().some((m) => m.text === "Written."));
  assert.equal(await Deno.readTextFile(out), "hello");
  await api.waitFor(() => /Allowed/.test(api.messages.get(asked.messageId)!.text));
  assert.deepEqual(api.messages.get(asked.messageId)!.buttons, []);
  assert.ok(
    api.callsOf("answerCallbackQuery").some((c) => c.body.text === "Allowed once."),
  );
});

Deno.test("Telegram: Deny tells the model; Always for this chat stops asking; /stop denies", async () => {
  await using api = await startFakeBotApi();
  await using llm = await FakeLlm.start();
  await using g = await telegramGateway(api, llm);
  const out = join(g.home, "workspace", "out.txt");

  llm.enqueue({ toolCalls: [WRITE] }, { text: "I did not write it." });
  api.sendUserMessage({ text: "write it" });
  const first = await question(api, 1);
  api.pressButton({ messageId: first.messageId, data: data(first, "Deny") });
  await api.waitFor(() => api.chatMessages().some((m) => m.text === "I did not write it."));
  const toolResult = llm.requests.at(-1)!.body.messages.findLast((m) => m.role === "tool");
  assert.match(toolResult.content, /^denied: the user did not approve this call/);
  assert.equal(await exists(out), false);

  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written, always." });
  api.sendUserMessage({ text: "write it now" });
  const second = await question(api, 2);
  api.pressButton({ messageId: second.messageId, data: data(second, "Always for this chat") });
  await api.waitFor(() => api.chatMessages().some((m) => m.text === "Written, always."));
  assert.equal(await Deno.readTextFile(out), "hello");
  // Granted for this chat: the next write runs without a question.
  llm.enqueue({ toolCalls: [WRITE] }, { text: "Written again." });
  api.sendUserMessage({ text: "again" });
  await api.waitFor(() => api.chatMessages().some((m) => m.text === "Written again."));
  assert.equal(
    api.chatMessages().filter((m) => m.text.startsWith("⚠️ Approval needed")).length,
    2,
  );

  // /stop while a question waits: it is denied, and a later press is told so.
  await Deno.remove(out);
  llm.enqueue({
    toolCalls: [{ name: "patch", arguments: '{"path":"x","old_text":"a","new_text":"b"}' }],
  });
  api.sendUserMessage({ text: "patch it" });
  const third = await question(api, 3);
  api.sendUserMessage({ text: "/stop" });
  await api.waitFor(() => api.chatMessages().some((m) => m.text === "Stopped."));
  api.pressButton({ messageId: third.messageId, data: data(third, "Allow once") });
  await api.waitFor(() =>
    api.callsOf("answerCallbackQuery").some((c) =>
      c.body.text === "This request was already answered."
    )
  );
});

Deno.test("Telegram: a pending approval survives a restart; its button still runs the call", async () => {
  await using api = await startFakeBotApi();
  await using llm = await FakeLlm.start();
  const home = await Deno.makeTempDir({ prefix: "herald_tg_approval_" });
  try {
    const out = join(home, "workspace", "out.txt");
    llm.enqueue({ toolCalls: [WRITE] });
    let asked: FakeMessage;
    {
      await using _g = await telegramGateway(api, llm, home);
      api.sendUserMessage({ text: "write hello to out.txt" });
      asked = await question(api, 1);
    }
    // After the restart the message is handled again: the model asks for the same call.
    llm.enqueue({ toolCalls: [WRITE] }, { text: "Written after the restart." });
    await using _g = await telegramGateway(api, llm, home);
    await question(api, 2);
    api.pressButton({ messageId: asked.messageId, data: data(asked, "Allow once") });
    await api.waitFor(() =>
      api.chatMessages().some((m) => m.text === "Written after the restart.")
    );
    assert.equal(await Deno.readTextFile(out), "hello");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
