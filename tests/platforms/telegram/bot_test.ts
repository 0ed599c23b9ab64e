import assert from "node:assert/strict";
import type { AgentEvent } from "../../../agent/mod.ts";
import type { ContentPart } from "../../../agent/mod.ts";
import { loadConfig } from "../../../config/mod.ts";
import { floodError } from "../../fakes/fake_bot_api.ts";
import { deltas, echo, final, type Harness, startHarness } from "../harness.ts";

const CURSOR = "▌";

Deno.test("a deleted forum topic: the reply goes to the General topic and the log says so", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`), { streaming: { enabled: false } });
  h.api.missingThreads.add(9);
  h.api.sendUserMessage({ chatId: -100, chatType: "supergroup", threadId: 9, text: "/help" });
  await h.api.waitFor(() => h.api.chatMessages(-100).length === 1);
  assert.equal(h.api.chatMessages(-100)[0].threadId, undefined);
  await h.logs.waitFor("topic 9 of chat -100 was not found");
});

Deno.test("the General topic and reply threads are answered without a thread id", async () => {
  await using h = await startHarness(echo((t) => `echo ${t}`), { streaming: { enabled: false } });
  const group = { chatId: -100, chatType: "supergroup" as const };
  // A reply in the General topic carries the replied-to message's id as thread id.
  h.api.sendUserMessage({
    ...group,
    threadId: 555,
    isTopicMessage: false,
    text: "@herald_test_bot a",
  });
  h.api.sendUserMessage({ ...group, threadId: 1, text: "@herald_test_bot b" });
  await h.api.waitFor(() => h.api.chatMessages(-100).length === 2);
  const toGroup = h.api.calls.filter((c) => c.body.chat_id === -100);
  assert.ok(toGroup.every((c) => c.body.message_thread_id === undefined));
  assert.deepEqual(h.agent.turns.map((t) => t.sessionKey), ["-100", "-100"]);
  assert.ok(!h.logs.lines.some((l) => l.includes("was not found")));
});

Deno.test("the model sees links, code and emphasis the user sent", async () => {
  await using h = await startHarness(echo(() => "ok"));
  h.api.sendUserMessage({
    text: "see docs and run ls now",
    entities: [
      { type: "text_link", offset: 4, length: 4, url: "https://example.com" },
      { type: "code", offset: 17, length: 2 },
      { type: "bold", offset: 20, length: 3 },
    ],
  });
  await h.api.waitFor(() => h.agent.turns.length === 1);
  assert.equal(
    h.agent.turns[0].messages[0].content,
    "see [docs](https://example.com) and run `ls` **now**",
  );
});

Deno.test("a photo reaches the model as an image part with its caption", async () => {
  await using h = await startHarness(echo(() => "nice picture"));
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  h.api.sendUserMessage({ text: "what is this?", photo: png });
  await h.api.waitFor(() => h.agent.turns.length === 1);
  const content = h.agent.turns[0].messages[0].content as ContentPart[];
  assert.equal(content[0].type, "text");
  assert.match((content[0] as { text: string }).text, /photo[\s\S]*what is this\?/);
  assert.deepEqual(content[1], {
    type: "image_url",
    image_url: { url: `data:image/png;base64,${btoa(String.fromCharCode(...png))}` },
  });
  assert.equal(h.api.callsOf("getFile")[0].body.file_id, "photo-1000");
});

Deno.test("a document's caption reaches the model with a note about the file", async () => {
  await using h = await startHarness(echo(() => "noted"));
  h.api.sendUserMessage({
    text: "summarise it",
    document: { file_name: "report.pdf", mime_type: "application/pdf" },
  });
  await h.api.waitFor(() => h.agent.turns.length === 1);
  const content = h.agent.turns[0].messages[0].content as string;
  assert.match(content, /document "report\.pdf", application\/pdf/);
  assert.match(content, /summarise it$/);
});

Deno.test("the typing indicator repeats while working and its failures are ignored", async () => {
  const h: Harness = await startHarness(async function* () {
    await h.api.waitFor(() => h.api.callsOf("sendChatAction").length >= 4);
    yield* deltas("Done thinking.");
    yield final("Done thinking.");
  }, { typingIntervalMs: 20, streaming: { enabled: false } });
  await using _ = h;
  h.api.failNext("sendChatAction", floodError(30), 2);
  h.api.sendUserMessage({ text: "think hard" });
  await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "Done thinking."));
  assert.ok(h.api.callsOf("sendChatAction").every((c) => c.body.action === "typing"));
});

Deno.test("two chats stream at once and both finish; one chat's turns run in order", async () => {
  const running = new Set<string>();
  const log: string[] = [];
  let release!: () => void;
  const bothStarted = new Promise<void>((resolve) => release = resolve);
  const h: Harness = await startHarness(async function* (turn): AsyncGenerator<AgentEvent> {
    const key = turn.sessionKey!;
    const text = String(turn.messages.at(-1)!.content);
    assert.ok(!running.has(key), `two turns of chat ${key} ran at once`);
    running.add(key);
    log.push(`start ${text}`);
    try {
      if (running.size === 2) release();
      if (text.startsWith("first")) await bothStarted;
      yield* deltas(`Reply to ${text}, written in several parts for the preview.`);
      yield final(`Reply to ${text}, written in several parts for the preview.`);
    } finally {
      running.delete(key);
      log.push(`end ${text}`);
    }
  });
  await using _ = h;
  h.api.sendUserMessage({ chatId: 1, text: "first in chat 1" });
  h.api.sendUserMessage({ chatId: 2, userId: 42, text: "first in chat 2" });
  const done = (chat: number, text: string) =>
    h.api.chatMessages(chat).some((m) =>
      m.text.startsWith(`Reply to ${text}`) && !m.text.includes(CURSOR)
    );
  await h.api.waitFor(() => done(1, "first in chat 1") && done(2, "first in chat 2"));
  // Both chats were mid-turn at the same moment.
  assert.ok(log.indexOf("start first in chat 2") < log.indexOf("end first in chat 1"));
  assert.ok(log.indexOf("start first in chat 1") < log.indexOf("end first in chat 2"));
  h.api.sendUserMessage({ chatId: 1, text: "second in chat 1" });
  await h.api.waitFor(() => done(1, "second in chat 1"));
  assert.ok(log.indexOf("end first in chat 1") < log.indexOf("start second in chat 1"));
});

Deno.test("a bare YAML `off` for reply_to_mode reaches the bot: no message quotes the user", async () => {
  const home = await Deno.makeTempDir({ prefix: "herald-yaml-off-" });
  try {
    await Deno.writeTextFile(`${home}/config.yaml`, "telegram:\n  reply_to_mode: off\n");
    const loaded = await loadConfig({ env: { HERALD_HOME: home } });
    assert.equal(loaded.config.telegram.reply_to_mode, "off");
    await using h = await startHarness(echo((t) => `echo ${t}`), {
      telegram: { reply_to_mode: loaded.config.telegram.reply_to_mode },
    });
    h.api.sendUserMessage({ text: "hello" });
    await h.api.waitFor(() => h.api.chatMessages().some((m) => m.text === "echo hello"));
    assert.ok(h.api.callsOf("sendMessage").every((c) => c.body.reply_parameters === undefined));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
