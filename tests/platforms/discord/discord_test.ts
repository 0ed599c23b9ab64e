import assert from "node:assert/strict";
import { aborted, deltas, echo, final, paced } from "../harness.ts";
import { startDiscordHarness } from "./harness.ts";

const CURSOR = "▌";
const isUpdate = (c: { method: string; path: string }) =>
  (c.method === "POST" || c.method === "PATCH") && /^\/channels\/\w+\/messages/.test(c.path);

Deno.test("Discord: a DM gets a streamed reply by editing one message, edits spaced by the interval", async () => {
  const parts = ["Hello there, ", "this is **bold** ", "and streamed ", "in parts."];
  let count = () => 0;
  await using h = await startDiscordHarness(paced(parts, () => count()), {
    streaming: { edit_interval: 0.08 },
  });
  count = () => h.discord.calls.filter(isUpdate).length;
  const id = h.discord.sendMessage({ content: "hi" });
  await h.discord.waitFor(() => h.discord.messages().some((m) => !m.content.endsWith(CURSOR)));
  const [message] = h.discord.messages();
  assert.equal(h.discord.messages().length, 1);
  assert.equal(message.content, parts.join(""));
  assert.equal(message.replyTo, id, "reply_to_mode first references the user's message");
  assert.ok(message.edits >= 3);
  const updates = h.discord.calls.filter(isUpdate);
  assert.ok(updates[0].body.content.endsWith(CURSOR));
  assert.deepEqual(updates[0].body.allowed_mentions, { parse: [], replied_user: false });
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].at - updates[i - 1].at >= 78, `edits ${i - 1} and ${i} came too close`);
  }
  assert.ok(h.discord.callsOf("POST", /^\/channels\/D1\/typing$/).length >= 1);
  assert.deepEqual(h.agent.turns[0].messages, [{ role: "user", content: "hi" }]);
  assert.equal(h.agent.turns[0].platform, "discord");
});

Deno.test("Discord: /new and /stop are registered as slash commands at start", async () => {
  await using h = await startDiscordHarness(echo((t) => t));
  const [put] = h.discord.callsOf("PUT", /^\/applications\/800\/commands$/);
  assert.deepEqual(put.body.map((c: { name: string }) => c.name), ["new", "stop"]);
  // identify went over the gateway whose URL came from GET /gateway/bot.
  assert.ok(h.discord.gatewayOps.includes(2));
  assert.equal(h.discord.callsOf("GET", /^\/gateway\/bot$/).length, 1);
});

Deno.test("Discord: in a server channel only a mention or a reply to the bot is answered", async () => {
  await using h = await startDiscordHarness(echo((t) => `echo ${t}`), {
    streaming: { enabled: false },
  });
  h.discord.sendMessage({ channelId: "C1", guildId: "G1", content: "not for you" });
  h.discord.sendMessage({ channelId: "C1", guildId: "G1", content: "for you", mention: true });
  // One at a time: a newer message in the channel would interrupt the running reply.
  await h.discord.waitFor(() => h.discord.messages("C1").length === 1);
  h.discord.sendMessage({ channelId: "C1", guildId: "G1", content: "and again", replyToBot: true });
  await h.discord.waitFor(() => h.discord.messages("C1").length === 2);
  assert.deepEqual(h.discord.messages("C1").map((m) => m.content), [
    "echo for you",
    "echo and again",
  ]);
  assert.equal(h.agent.turns.length, 2);
  assert.equal(h.agent.turns[0].sessionKey, "C1");
});

Deno.test("Discord: a 429 on an edit waits retry_after and the final text arrives once", async () => {
  let count = () => 0;
  await using h = await startDiscordHarness(
    paced(["one two three ", "four five six ", "seven eight ", "nine ten."], () => count()),
  );
  count = () => h.discord.calls.filter(isUpdate).length;
  h.discord.rateLimitNext("PATCH", 1);
  h.discord.sendMessage({ content: "count" });
  await h.discord.waitFor(() =>
    h.discord.messages().some((m) =>
      m.content === "one two three four five six seven eight nine ten."
    )
  );
  assert.equal(h.discord.messages().length, 1);
  const patches = h.discord.callsOf("PATCH", /^\/channels\/D1\/messages\/\w+$/);
  assert.ok(patches.length >= 2);
  assert.ok(patches[1].at - patches[0].at >= 990, "the edit after a 429 waited retry_after");
  const finals = patches.filter((p) =>
    p.body.content === "one two three four five six seven eight nine ten."
  );
  assert.equal(finals.length, 1, "the final text is sent once");
});

Deno.test("Discord: a reply over 2,000 characters splits without duplicates and keeps code fences whole", async () => {
  const code = "```ts\n" +
    Array.from({ length: 60 }, (_, i) => `const line${i} = ${i};`).join("\n") +
    "\n```";
  const reply = "Intro paragraph. " + "words ".repeat(250).trim() + "\n\n" + code + "\n\nThe end.";
  await using h = await startDiscordHarness(echo(() => reply), { streaming: { enabled: false } });
  h.discord.sendMessage({ content: "long please" });
  await h.discord.waitFor(() => h.discord.messages().some((m) => m.content.endsWith("The end.")));
  const contents = h.discord.messages().map((m) => m.content);
  assert.ok(contents.length >= 2);
  assert.ok(contents.every((c) => c.length <= 2000));
  for (const c of contents) {
    assert.equal((c.match(/```/g) ?? []).length % 2, 0, `unbalanced fence:\n${c}`);
  }
  const words = contents.join("\n").split(/\s+/).filter((w) => w.startsWith("const"));
  assert.equal(words.length, 60, "every code line once");
});

for (const mode of ["off", "first", "all"] as const) {
  Deno.test(`Discord: reply_to_mode ${mode} decides which chunks reference the message`, async () => {
    const reply = ["Part one. " + "a ".repeat(900), "Part two. " + "b ".repeat(900)].join("\n\n");
    await using h = await startDiscordHarness(echo(() => reply), {
      discord: { reply_to_mode: mode },
      streaming: { enabled: false },
    });
    const id = h.discord.sendMessage({ content: "two parts" });
    await h.discord.waitFor(() => h.discord.messages().length === 2);
    const expected = { off: [undefined, undefined], first: [id, undefined], all: [id, id] }[mode];
    assert.deepEqual(h.discord.messages().map((m) => m.replyTo), expected);
  });
}

Deno.test("Discord: a user outside DISCORD_ALLOWED_USERS is refused and told their id", async () => {
  await using h = await startDiscordHarness(echo((t) => t));
  h.discord.sendMessage({ content: "let me in", userId: "666", username: "mallory" });
  await h.discord.waitFor(() => h.discord.messages().length === 1);
  assert.match(h.discord.messages()[0].content, /not allowed.*666/);
  assert.equal(h.agent.turns.length, 0);
});

Deno.test("Discord: /new as a slash command resets the history; the answer edits the deferred response", async () => {
  await using h = await startDiscordHarness(echo((t) => `echo ${t}`), {
    streaming: { enabled: false },
  });
  h.discord.sendMessage({ content: "remember me" });
  await h.discord.waitFor(() => h.discord.messages().length === 1);
  const interaction = h.discord.slashCommand("new");
  await h.discord.waitFor(() =>
    h.discord.callsOf("PATCH", /^\/webhooks\/800\/[\w-]+\/messages\/@original$/)
      .some((c) => c.body.content === "Started a new conversation.")
  );
  const [deferred] = h.discord.callsOf("POST", new RegExp(`^/interactions/${interaction}/`));
  assert.deepEqual(deferred.body, { type: 5, data: { flags: 64 } });
  h.discord.sendMessage({ content: "who am I" });
  await h.discord.waitFor(() => h.discord.messages().length === 2);
  assert.deepEqual(h.agent.turns[1].messages, [{ role: "user", content: "who am I" }]);
});

Deno.test("Discord: /stop aborts the running turn", async () => {
  let stopped = false;
  await using h = await startDiscordHarness(async function* (_turn, signal) {
    yield* deltas("Thinking about it for a long while");
    await aborted(signal);
    stopped = true;
    yield final("Thinking about it for a long while", "interrupted");
  });
  h.discord.sendMessage({ content: "slow" });
  await h.discord.waitFor(() => h.agent.turns.length === 1);
  h.discord.slashCommand("stop");
  await h.discord.waitFor(() =>
    h.discord.callsOf("PATCH", /@original$/).some((c) => c.body.content === "Stopped.")
  );
  assert.equal(stopped, true);
});

Deno.test("Discord: an image attachment reaches the model as an image", async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await using h = await startDiscordHarness(echo(() => "a cat"), { streaming: { enabled: false } });
  const url = h.discord.addAttachment("cat.png", png, "image/png");
  h.discord.sendMessage({
    content: "what is this?",
    attachments: [{ url, content_type: "image/png", filename: "cat.png", size: png.length }],
  });
  await h.discord.waitFor(() => h.discord.messages().length === 1);
  assert.deepEqual(h.agent.turns[0].messages[0].content, [
    { type: "text", text: "what is this?" },
    {
      type: "image_url",
      image_url: { url: `data:image/png;base64,${btoa(String.fromCharCode(...png))}` },
    },
  ]);
});

Deno.test("Discord: a worker crash restarts it and the message is still answered", async () => {
  await using h = await startDiscordHarness(echo((t) => `answer to ${t}`), {
    crashOnText: "crash me",
    crashGenerations: 1,
    streaming: { enabled: false },
  });
  h.discord.sendMessage({ content: "crash me" });
  await h.discord.waitFor(() =>
    h.discord.messages().some((m) => m.content === "answer to crash me")
  );
  await h.logs.waitFor("worker died");
  assert.equal(h.discord.messages().length, 1);
});

Deno.test("Discord: a rejected token stops the adapter with one line naming DISCORD_BOT_TOKEN", async () => {
  await using h = await startDiscordHarness(echo((t) => t), {
    discord: { bot_token: "wrong" },
    waitConnected: false,
  });
  assert.equal(await h.handle.connected, undefined);
  const lines = h.logs.lines.filter((l) => l.includes("rejected"));
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^Discord: the bot token was rejected \(401 Unauthorized\).*DISCORD_BOT_TOKEN/,
  );
  assert.equal(h.discord.gatewayOps.length, 0, "no gateway connection with a bad token");
  assert.ok(!h.logs.lines.some((l) => l.includes("worker died")));
});
