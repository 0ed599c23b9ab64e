import assert from "node:assert/strict";
import type { AgentEvent } from "../../agent/mod.ts";
import { floodError, PARSE_ERROR } from "../fakes/fake_bot_api.ts";
import { aborted, deltas, echo, final, type Harness, startHarness } from "./harness.ts";

const CURSOR = "▌";

Deno.test("streaming shows a growing preview, then one formatted final without the cursor", async () => {
  const parts = ["Hello there, ", "this is **the** ", "streamed reply ", "arriving in parts."];
  const h: Harness = await startHarness(async function* () {
    yield* deltas(parts[0]);
    await h.api.waitFor(() => h.api.callsOf("sendMessage").length === 1);
    yield* deltas(parts[1]);
    await h.api.waitFor(() => h.api.callsOf("editMessageText").length >= 1);
    yield* deltas(parts[2]);
    await h.api.waitFor(() => h.api.callsOf("editMessageText").length >= 2);
    yield* deltas(parts[3]);
    yield final(parts.join(""));
  });
  await using _ = h;
  h.api.sendUserMessage({ text: "hi" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.parseMode === "HTML"));

  const messages = h.api.chatMessages();
  assert.equal(messages.length, 1);
  assert.equal(
    messages[0].text,
    "Hello there, this is <b>the</b> streamed reply arriving in parts.",
  );
  const edits = h.api.callsOf("editMessageText");
  assert.ok(edits.length >= 3, `expected two preview edits and a final, got ${edits.length}`);
  assert.ok(h.api.callsOf("sendMessage")[0].body.text.endsWith(CURSOR));
  assert.ok(edits.slice(0, -1).every((c) => c.body.text.endsWith(CURSOR) && !c.body.parse_mode));
  assert.ok(!edits.at(-1)!.body.text.includes(CURSOR));
});

Deno.test("edits are spaced at least edit_interval apart", async () => {
  const h: Harness = await startHarness(async function* () {
    for (let i = 0; i < 6; i++) {
      const before = h.api.calls.length;
      yield* deltas(`part ${i} of the reply, `);
      await h.api.waitFor(() => h.api.calls.length > before);
    }
    yield final("done");
  }, { streaming: { edit_interval: 0.08 } });
  await using _ = h;
  h.api.sendUserMessage({ text: "hi" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => !m.text.includes(CURSOR)));
  const times = h.api.calls.filter((c) =>
    c.method === "editMessageText" || (c.method === "sendMessage")
  ).map((c) => c.at);
  assert.ok(times.length >= 4);
  for (let i = 1; i < times.length; i++) {
    // 2 ms of slack for the millisecond clock the editor schedules with.
    assert.ok(times[i] - times[i - 1] >= 78, `edits ${i - 1} and ${i} came too close`);
  }
});

for (const mode of ["off", "first", "all"] as const) {
  Deno.test(`a three-chunk reply honours reply_to_mode ${mode}`, async () => {
    const paragraph = (n: number) => `Paragraph ${n}. ` + "lorem ipsum ".repeat(250).trim();
    const reply = [1, 2, 3].map(paragraph).join("\n\n");
    await using h = await startHarness(echo(() => reply), { telegram: { reply_to_mode: mode } });
    const userMessage = h.api.sendUserMessage({ text: "long please" });
    await h.api.waitFor(() =>
      h.api.chatMessages().length === 3 && !h.api.chatMessages()[0].text.includes(CURSOR)
    );
    const messages = h.api.chatMessages();
    assert.deepEqual(messages.map((m) => m.text.slice(0, 12)), [
      "Paragraph 1.",
      "Paragraph 2.",
      "Paragraph 3.",
    ]);
    const expected = {
      off: [undefined, undefined, undefined],
      first: [userMessage, undefined, undefined],
      all: [userMessage, userMessage, userMessage],
    }[mode];
    assert.deepEqual(messages.map((m) => m.replyTo), expected);
    const withReply = h.api.callsOf("sendMessage").filter((c) => c.body.reply_parameters);
    assert.ok(withReply.every((c) => c.body.reply_parameters.allow_sending_without_reply === true));
  });
}

Deno.test("a reply over 4096 units splits with the code block closed and reopened", async () => {
  const code = Array.from({ length: 300 }, (_, i) => `print("line ${i}")  # <&>`).join("\n");
  const reply = `Here is the script:\n\n\`\`\`py\n${code}\n\`\`\`\n\nThat is all.`;
  await using h = await startHarness(echo(() => reply));
  h.api.sendUserMessage({ text: "code please" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text.includes("That is all.")));
  const messages = h.api.chatMessages();
  assert.ok(messages.length >= 2);
  for (const m of messages) assert.equal(m.parseMode, "HTML");
  assert.ok(messages[0].text.includes('<pre><code class="language-py">'));
  assert.ok(messages[1].text.startsWith('<pre><code class="language-py">'));
  const lines = messages.map((m) => m.text).join("\n").match(/print\("line \d+"\)/g) ?? [];
  assert.equal(lines.length, 300);
  assert.ok(!messages.some((m) => m.text.includes(CURSOR)));
});

Deno.test("an unlisted user gets one short refusal and never reaches the agent", async () => {
  await using h = await startHarness(echo((t) => t));
  h.api.sendUserMessage({ text: "let me in", userId: 7, chatId: 7, username: "mallory" });
  h.api.sendUserMessage({ text: "please", userId: 7, chatId: 7, username: "mallory" });
  await h.logs.waitFor("refused a message from user 7 (@mallory)", 2);
  await h.api.waitFor(() => h.api.chatMessages(7).length === 1);
  assert.equal(h.api.chatMessages(7).length, 1);
  assert.match(h.api.chatMessages(7)[0].text, /not allowed.*7/);
  const toChat7 = (method: string) =>
    h.api.callsOf(method).filter((c) => String(c.body.chat_id) === "7").length;
  assert.equal(toChat7("sendChatAction"), 0, "no typing indicator for a refused user");
  assert.equal(toChat7("editMessageText"), 0);
  assert.equal(h.agent.turns.length, 0);
});

Deno.test("with no allowlist the bot refuses everyone and the log says how to allow users", async () => {
  await using h = await startHarness(echo((t) => t), { telegram: { allowed_users: [] } });
  assert.ok(h.logs.lines.some((l) => l.includes("TELEGRAM_ALLOWED_USERS=")));
  h.api.sendUserMessage({ text: "hi" });
  await h.logs.waitFor("refused a message from user 42");
  assert.equal(h.agent.turns.length, 0);
});

Deno.test("history carries over between messages and /new clears it", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`));
  const replies = () => h.api.chatMessages().map((m) => m.text);
  h.api.sendUserMessage({ text: "one" });
  await h.api.waitFor(() => replies().includes("echo one"));
  h.api.sendUserMessage({ text: "two" });
  await h.api.waitFor(() => replies().includes("echo two"));
  assert.equal(h.agent.turns[1].messages.length, 3);
  h.api.sendUserMessage({ text: "/new" });
  await h.api.waitFor(() => replies().includes("Started a new conversation."));
  h.api.sendUserMessage({ text: "three" });
  await h.api.waitFor(() => replies().includes("echo three"));
  assert.deepEqual(h.agent.turns[2].messages, [{ role: "user", content: "three" }]);
  assert.equal(h.agent.turns[2].sessionKey, "1");
  assert.equal(h.agent.turns[2].platform, "telegram");
  // The audit trail names who asked: the Telegram user.
  assert.equal(h.agent.turns[2].actor, "user:42");
});

/** A turn that writes a little and then waits to be interrupted. */
async function* untilInterrupted(signal: AbortSignal): AsyncGenerator<AgentEvent> {
  const partial = "I was just getting started on this";
  yield* deltas(partial);
  await aborted(signal);
  yield final(partial, "interrupted");
}

Deno.test("/stop interrupts the running turn and the partial reply stays", async () => {
  await using h = await startHarness((_turn, signal) => untilInterrupted(signal));
  h.api.sendUserMessage({ text: "write a lot" });
  await h.api.waitFor(() => h.api.callsOf("sendMessage").length === 1);
  h.api.sendUserMessage({ text: "/stop" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "Stopped."));
  await h.api.waitFor(() =>
    h.api.chatMessages().some((m) => m.text === "I was just getting started on this")
  );
  assert.equal(h.api.chatMessages().length, 2);
  // The partial answer is kept in the history the next turn sees.
  h.api.sendUserMessage({ text: "go on" });
  await h.api.waitFor(() => h.agent.turns.length === 2);
  assert.deepEqual(h.agent.turns[1].messages.map((m) => m.content), [
    "write a lot",
    "I was just getting started on this",
    "go on",
  ]);
  h.api.sendUserMessage({ text: "/stop" });
  await h.api.waitFor(() => h.api.chatMessages().filter((m) => m.text === "Stopped.").length === 2);
});

Deno.test("a new message interrupts the running turn and is answered next", async () => {
  await using h = await startHarness(async function* (turn, signal) {
    const last = turn.messages.at(-1)!.content;
    if (last === "first") yield* untilInterrupted(signal);
    else yield* echo((t) => `answer to ${t}`)(turn, signal);
  });
  h.api.sendUserMessage({ text: "first" });
  await h.api.waitFor(() => h.api.callsOf("sendMessage").length === 1);
  h.api.sendUserMessage({ text: "second" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "answer to second"));
  const texts = h.api.chatMessages().map((m) => m.text);
  assert.deepEqual(texts, ["I was just getting started on this", "answer to second"]);
  assert.deepEqual(h.agent.turns[1].messages.map((m) => m.content), [
    "first",
    "I was just getting started on this",
    "second",
  ]);
});

Deno.test("429 on every edit still delivers the final text exactly once", async () => {
  const reply = "The beginning of a reply that keeps going and going until the very end.";
  const [head, tail] = [reply.slice(0, 30), reply.slice(30)];
  const h: Harness = await startHarness(async function* () {
    yield* deltas(head);
    await h.api.waitFor(() => h.api.callsOf("sendMessage").length === 1);
    h.api.failNext("editMessageText", floodError(1), 100);
    yield* deltas(tail);
    await h.api.waitFor(() => h.api.callsOf("editMessageText").length >= 1);
    yield final(reply);
  });
  await using _ = h;
  h.api.sendUserMessage({ text: "hi" });
  await h.api.waitFor(() => h.api.chatMessages().length === 2);
  await h.api.waitFor(() => h.logs.lines.some((l) => l.includes("final edit failed")));
  const visible = h.api.chatMessages().map((m) => m.text.replace(CURSOR, "")).join(" ");
  assert.equal(visible.replace(/\s+/g, " "), reply);
  assert.equal(h.api.chatMessages().filter((m) => m.text.includes("very end")).length, 1);
});

Deno.test("429 on some edits: the final edit still lands in the one message", async () => {
  const reply = "Short flood test with a **bold** ending that arrives in the end.";
  const h: Harness = await startHarness(async function* () {
    yield* deltas(reply.slice(0, 20));
    await h.api.waitFor(() => h.api.callsOf("sendMessage").length === 1);
    h.api.failNext("editMessageText", floodError(1), 1);
    yield* deltas(reply.slice(20));
    yield final(reply);
  });
  await using _ = h;
  h.api.sendUserMessage({ text: "hi" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.parseMode === "HTML"));
  const messages = h.api.chatMessages();
  assert.equal(messages.length, 1);
  assert.ok(messages[0].text.includes("<b>bold</b>"));
});

Deno.test("a rejected formatted final is sent again as plain text", async () => {
  await using h = await startHarness(echo(() => "Some **bold** text"), {
    streaming: { enabled: false },
  });
  h.api.failNext("sendMessage", PARSE_ERROR, 1);
  h.api.sendUserMessage({ text: "hi" });
  await h.api.waitFor(() => h.api.chatMessages().length === 1);
  const [message] = h.api.chatMessages();
  assert.equal(message.text, "Some **bold** text");
  assert.equal(message.parseMode, undefined);
  // Streaming off: a typing indicator, then the whole reply, no edits.
  assert.ok(h.api.callsOf("sendChatAction").length >= 1);
  assert.equal(h.api.callsOf("editMessageText").length, 0);
});

Deno.test("a rejected formatted final edit falls back to plain text", async () => {
  const reply = "Streaming *then* a parse error";
  const h: Harness = await startHarness(async function* () {
    yield* deltas(reply);
    await h.api.waitFor(() => h.api.callsOf("sendMessage").length === 1);
    h.api.failNext("editMessageText", PARSE_ERROR, 1);
    yield final(reply);
  });
  await using _ = h;
  h.api.sendUserMessage({ text: "hi" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === reply));
  assert.equal(h.api.chatMessages().length, 1);
});

Deno.test("a crashed worker is restarted and the message that crashed it is answered", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`), {
    crashOnText: "crash once",
    crashGenerations: 1,
  });
  h.api.sendUserMessage({ text: "crash once" });
  await h.logs.waitFor("the worker died");
  await h.logs.waitFor("connected as", 2);
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo crash once"));
  h.api.sendUserMessage({ text: "are you back" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo are you back"));
  assert.deepEqual(h.api.chatMessages().map((m) => m.text), [
    "echo crash once",
    "echo are you back",
  ]);
  // Startup calls are not repeated on restart.
  assert.equal(h.api.callsOf("setMyCommands").length, 1);
});

Deno.test("a message that keeps crashing the worker is dropped with an apology after 2 tries", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`), { crashOnText: "poison" });
  const poison = h.api.sendUserMessage({ text: "poison" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text.startsWith("Sorry,")));
  assert.equal(h.logs.lines.filter((l) => l.includes("the worker died")).length, 2);
  const [apology] = h.api.chatMessages();
  assert.equal(apology.replyTo, poison);
  h.api.sendUserMessage({ text: "still there?" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo still there?"));
  assert.equal(h.agent.turns.length, 1);
  assert.equal(h.logs.lines.filter((l) => l.includes("the worker died")).length, 2);
});

Deno.test("in groups the bot answers only when mentioned, in the message's topic", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`), { streaming: { enabled: false } });
  const group = { chatId: -100, chatType: "supergroup" as const, threadId: 5 };
  h.api.sendUserMessage({ ...group, text: "talking among ourselves" });
  h.api.sendUserMessage({ ...group, text: "@herald_test_bot what time is it" });
  await h.api.waitFor(() => h.api.chatMessages(-100).length === 1);
  assert.equal(h.api.chatMessages(-100)[0].text, "echo what time is it");
  assert.equal(h.agent.turns.length, 1);
  assert.equal(h.agent.turns[0].sessionKey, "-100:5");
  await h.api.waitFor(() => h.api.callsOf("sendChatAction").length >= 1);
  const toGroup = h.api.calls.filter((c) => c.body.chat_id === -100);
  assert.ok(toGroup.length >= 2);
  assert.ok(toGroup.every((c) => c.body.message_thread_id === 5));
});

Deno.test("tool progress is one small message naming the tools", async () => {
  const call = (id: string, name: string) => ({
    type: "tool_started" as const,
    call: { id, type: "function" as const, function: { name, arguments: "{}" } },
    origin: "herald",
  });
  await using h = await startHarness(async function* () {
    yield call("1", "terminal");
    yield call("2", "terminal");
    yield call("3", "read_file");
    yield { type: "segment_break" };
    yield* deltas("All done now.");
    yield final("All done now.");
  });
  h.api.sendUserMessage({ text: "work" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "All done now."));
  const progress = h.api.chatMessages().filter((m) => m.text.includes("⚙️"));
  assert.equal(progress.length, 1);
  assert.equal(progress[0].text, "⚙️ terminal\n⚙️ read_file");
});

Deno.test("webhook mode checks the secret token and forwards updates", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`), {
    telegram: { webhook_url: "https://bot.example.com/telegram/hook", webhook_secret: "s3cret" },
  });
  assert.equal(h.handle.webhookPath, "/telegram/hook");
  assert.equal(h.api.callsOf("setWebhook")[0].body.secret_token, "s3cret");
  const update = {
    update_id: 1,
    message: {
      message_id: 77,
      date: 0,
      chat: { id: 1, type: "private" },
      from: { id: 42, is_bot: false, first_name: "U" },
      text: "via webhook",
    },
  };
  const post = (secret: string) =>
    h.handle.handleWebhook!(
      new Request("http://localhost/telegram/hook", {
        method: "POST",
        headers: { "X-Telegram-Bot-Api-Secret-Token": secret },
        body: JSON.stringify(update),
      }),
    );
  const refused = await post("wrong");
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  const accepted = await post("s3cret");
  assert.equal(accepted.status, 200);
  await accepted.body?.cancel();
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo via webhook"));
});
