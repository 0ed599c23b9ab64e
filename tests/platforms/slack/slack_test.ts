import assert from "node:assert/strict";
import { aborted, deltas, echo, final, paced } from "../harness.ts";
import { startSlackHarness } from "./harness.ts";
import { verifySlackRequest } from "../../../platforms/slack/mod.ts";

const CURSOR = "▌";
const UPDATES = [
  "chat.postMessage",
  "chat.update",
  "chat.startStream",
  "chat.appendStream",
  "chat.stopStream",
];

Deno.test("Slack: a DM gets a streamed reply, each update spaced by the interval, final once in mrkdwn", async () => {
  const parts = ["Hello there, ", "this is **bold** ", "and streamed ", "in parts."];
  let count = () => 0;
  await using h = await startSlackHarness(paced(parts, () => count()), {
    streaming: { edit_interval: 0.08 },
  });
  count = () => h.slack.calls.filter((c) => UPDATES.includes(c.method)).length;
  h.slack.sendMessage({ text: "hi" });
  await h.slack.waitFor(() => h.slack.messages().some((m) => !m.text.endsWith(CURSOR)));
  const messages = h.slack.messages();
  assert.equal(messages.length, 1);
  assert.equal(messages[0].text, "Hello there, this is *bold* and streamed in parts.");
  assert.equal(messages[0].threadTs, undefined, "a DM reply stays where the message was");
  const updates = h.slack.calls.filter((c) => UPDATES.includes(c.method));
  assert.ok(h.slack.callsOf("chat.update").length >= 2);
  assert.ok(updates[0].body.text.endsWith(CURSOR));
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].at - updates[i - 1].at >= 78, `updates ${i - 1} and ${i} came too close`);
  }
  // Acknowledged only after the host stored it.
  assert.equal(h.slack.acks.length, 1);
  assert.deepEqual(h.agent.turns[0].messages, [{ role: "user", content: "hi" }]);
  assert.equal(h.agent.turns[0].platform, "slack");
});

Deno.test("Slack: a mention in a channel streams into a thread with chat.startStream/appendStream/stopStream", async () => {
  const parts = ["Streaming ", "natively into ", "the thread ", "works."];
  let count = () => 0;
  await using h = await startSlackHarness(paced(parts, () => count()), {
    streaming: { edit_interval: 0.08 },
  });
  count = () => h.slack.calls.filter((c) => UPDATES.includes(c.method)).length;
  const ts = h.slack.sendMessage({ channel: "C1", text: "stream please", mention: true });
  await h.slack.waitFor(() => h.slack.callsOf("chat.stopStream").length === 1);
  const [message] = h.slack.messages("C1");
  assert.equal(message.threadTs, ts);
  assert.equal(message.text, parts.join(""));
  assert.equal(message.streaming, false);
  assert.ok(h.slack.callsOf("chat.appendStream").length >= 1);
  assert.equal(h.slack.callsOf("chat.update").length, 0);
  const updates = h.slack.calls.filter((c) => UPDATES.includes(c.method));
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].at - updates[i - 1].at >= 78, `updates ${i - 1} and ${i} came too close`);
  }
  // The mention text reaches the model without the mention; one turn for message + app_mention.
  assert.equal(h.agent.turns.length, 1);
  assert.deepEqual(h.agent.turns[0].messages, [{ role: "user", content: "stream please" }]);
});

Deno.test("Slack: a workspace without message streaming falls back to chat.update, spaced the same", async () => {
  const parts = ["Falling ", "back to ", "chat.update ", "here."];
  let count = () => 0;
  await using h = await startSlackHarness(paced(parts, () => count()), {
    streaming: { edit_interval: 0.08 },
  });
  h.slack.streamingMethods = false;
  count = () => h.slack.calls.filter((c) => UPDATES.includes(c.method)).length;
  const ts = h.slack.sendMessage({ channel: "C1", text: "go", mention: true });
  await h.slack.waitFor(() =>
    h.slack.messages("C1").some((m) => m.text === "Falling back to chat.update here.")
  );
  await h.logs.waitFor("has no message streaming (unknown_method)");
  assert.equal(h.slack.messages("C1").length, 1);
  assert.equal(h.slack.messages("C1")[0].threadTs, ts);
  assert.equal(h.slack.callsOf("chat.startStream").length, 1, "asked once, then remembered");
  // The refused chat.startStream changed nothing; every update that did is spaced.
  const updates = h.slack.calls.filter((c) =>
    UPDATES.includes(c.method) && c.method !== "chat.startStream"
  );
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].at - updates[i - 1].at >= 78, `updates ${i - 1} and ${i} came too close`);
  }
});

Deno.test("Slack: a 429 on an update backs off (Retry-After) and the final text arrives once", async () => {
  let count = () => 0;
  await using h = await startSlackHarness(
    paced(["one two three ", "four five six ", "seven eight ", "nine ten."], () => count()),
  );
  count = () => h.slack.calls.filter((c) => UPDATES.includes(c.method)).length;
  h.slack.failNext("chat.update", { status: 429, retryAfter: 1 });
  h.slack.sendMessage({ text: "count" });
  await h.slack.waitFor(() =>
    h.slack.messages().some((m) => m.text === "one two three four five six seven eight nine ten.")
  );
  assert.equal(h.slack.messages().length, 1);
  // The first chat.update got the 429; the next one waited out Retry-After (1 s).
  const updates = h.slack.callsOf("chat.update");
  assert.ok(updates.length >= 2);
  assert.ok(updates[1].at - updates[0].at >= 990, "the update after a 429 waited Retry-After");
});

Deno.test("Slack: a reply longer than 3,000 characters is split into messages without duplicates", async () => {
  const paragraph = (n: number) => `Paragraph ${n}. ` + "lorem ipsum ".repeat(200).trim();
  const reply = [1, 2, 3].map(paragraph).join("\n\n");
  await using h = await startSlackHarness(echo(() => reply), { streaming: { enabled: false } });
  h.slack.sendMessage({ text: "long please" });
  await h.slack.waitFor(() => h.slack.messages().length === 3);
  const texts = h.slack.messages().map((m) => m.text);
  assert.ok(texts.every((t) => t.length <= 3000));
  assert.deepEqual(texts.map((t) => t.slice(0, 12)), [
    "Paragraph 1.",
    "Paragraph 2.",
    "Paragraph 3.",
  ]);
  assert.equal(texts.join("\n\n"), reply);
});

for (const mode of ["off", "first", "all"] as const) {
  Deno.test(`Slack: reply_to_mode ${mode} decides whether a reply threads under a channel message, all of it`, async () => {
    const paragraph = (n: number) => `Paragraph ${n}. ` + "lorem ipsum ".repeat(200).trim();
    const reply = [1, 2].map(paragraph).join("\n\n");
    await using h = await startSlackHarness(echo(() => reply), {
      slack: { reply_to_mode: mode },
      streaming: { enabled: false },
    });
    const ts = h.slack.sendMessage({ channel: "C1", text: "two parts", mention: true });
    await h.slack.waitFor(() => h.slack.messages("C1").length === 2);
    // The thread under the message is the conversation: every part of a split reply goes there.
    const expected = { off: [undefined, undefined], first: [ts, ts], all: [ts, ts] }[mode];
    assert.deepEqual(h.slack.messages("C1").map((m) => m.threadTs), expected);
    assert.equal(h.slack.messages("C1").map((m) => m.text).join("\n\n"), reply);
  });
}

Deno.test("Slack: a message in a thread is its own session and is answered in the thread", async () => {
  await using h = await startSlackHarness(echo((t) => `echo ${t}`), {
    streaming: { enabled: false },
  });
  h.slack.sendMessage({ channel: "C1", text: "in thread", threadTs: "123.456", mention: true });
  await h.slack.waitFor(() => h.slack.messages("C1").length === 1);
  assert.equal(h.slack.messages("C1")[0].threadTs, "123.456");
  assert.equal(h.agent.turns[0].sessionKey, "C1:123.456");
});

Deno.test("Slack: a user outside SLACK_ALLOWED_USERS is refused and told their member id", async () => {
  await using h = await startSlackHarness(echo((t) => t));
  h.slack.sendMessage({ text: "let me in", user: "U666" });
  await h.slack.waitFor(() => h.slack.callsOf("chat.postEphemeral").length === 1);
  const [refusal] = h.slack.callsOf("chat.postEphemeral");
  assert.equal(refusal.body.user, "U666");
  assert.match(refusal.body.text, /not allowed.*U666/);
  assert.equal(h.agent.turns.length, 0);
  await h.logs.waitFor("refused a message from U666");
});

Deno.test("Slack: /new as a slash command starts a new conversation", async () => {
  await using h = await startSlackHarness(echo((t) => `echo ${t}`), {
    streaming: { enabled: false },
  });
  h.slack.sendMessage({ text: "remember me" });
  await h.slack.waitFor(() => h.slack.messages().length === 1);
  h.slack.slashCommand("/new");
  await h.slack.waitFor(() =>
    h.slack.callsOf("chat.postEphemeral").some((c) => c.body.text === "Started a new conversation.")
  );
  h.slack.sendMessage({ text: "who am I" });
  await h.slack.waitFor(() => h.slack.messages().length === 2);
  assert.deepEqual(h.agent.turns[1].messages, [{ role: "user", content: "who am I" }]);
});

Deno.test("Slack: /stop in a DM's text aborts the running turn", async () => {
  let stopped = false;
  await using h = await startSlackHarness(async function* (turn, signal) {
    const last = turn.messages.at(-1)!.content;
    if (last !== "slow") {
      yield* deltas("fast");
      yield final("fast");
      return;
    }
    yield* deltas("Thinking about it for a long while");
    await aborted(signal);
    stopped = true;
    yield final("Thinking about it for a long while", "interrupted");
  });
  h.slack.sendMessage({ text: "slow" });
  await h.slack.waitFor(() => h.agent.turns.length === 1);
  h.slack.sendMessage({ text: "/stop" });
  await h.slack.waitFor(() => h.slack.messages().some((m) => m.text === "Stopped."));
  assert.equal(stopped, true);
});

Deno.test("Slack: a worker crash restarts it and the message is still answered", async () => {
  await using h = await startSlackHarness(echo((t) => `answer to ${t}`), {
    crashOnText: "crash me",
    crashGenerations: 1,
    streaming: { enabled: false },
  });
  h.slack.sendMessage({ text: "crash me" });
  await h.slack.waitFor(() => h.slack.messages().some((m) => m.text === "answer to crash me"));
  await h.logs.waitFor("worker died");
  assert.equal(h.slack.messages().length, 1);
  assert.equal(h.agent.turns.length, 1);
});

Deno.test("Slack: a rejected bot token stops the adapter with one line naming SLACK_BOT_TOKEN", async () => {
  await using h = await startSlackHarness(echo((t) => t), {
    slack: { bot_token: "xoxb-wrong" },
    waitConnected: false,
  });
  assert.equal(await h.handle.connected, undefined);
  const lines = h.logs.lines.filter((l) => l.includes("rejected"));
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^Slack: the bot token was rejected \(invalid_auth\).*SLACK_BOT_TOKEN/);
  assert.equal(
    h.slack.callsOf("apps.connections.open").length,
    0,
    "no connection with a bad token",
  );
  assert.ok(!h.logs.lines.some((l) => l.includes("worker died")));
});

Deno.test("Slack: a rejected app-level token stops the adapter with one line naming SLACK_APP_TOKEN", async () => {
  await using h = await startSlackHarness(echo((t) => t), {
    slack: { app_token: "xapp-wrong" },
    waitConnected: false,
  });
  assert.equal(await h.handle.connected, undefined);
  assert.ok(
    h.logs.lines.some((l) => /^Slack: the app-level token was rejected.*SLACK_APP_TOKEN/.test(l)),
  );
});

async function signed(body: string, secret: string, type: string, at = Date.now()) {
  const timestamp = String(Math.floor(at / 1000));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${timestamp}:${body}`)),
  );
  const hex = Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
  return new Request("http://localhost/slack/events", {
    method: "POST",
    headers: {
      "content-type": type,
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": `v0=${hex}`,
    },
    body,
  });
}

Deno.test("Slack HTTP mode: signed events are stored and answered once, retries deduplicated, bad signatures refused", async () => {
  await using h = await startSlackHarness(echo((t) => `echo ${t}`), {
    slack: { mode: "http", signing_secret: "shh", app_token: undefined },
    streaming: { enabled: false },
  });
  const event = JSON.stringify({
    type: "event_callback",
    event_id: "EvHTTP1",
    event: {
      type: "message",
      channel: "D1",
      channel_type: "im",
      user: "U42",
      text: "over http",
      ts: "1.1",
    },
  });
  const first = await h.handle.handleWebhook!(await signed(event, "shh", "application/json"));
  assert.equal(first.status, 200);
  await first.body?.cancel();
  await h.slack.waitFor(() => h.slack.messages().some((m) => m.text === "echo over http"));
  // Slack's retry of the same event (X-Slack-Retry-Num) is acknowledged and not answered again.
  const retry = await h.handle.handleWebhook!(await signed(event, "shh", "application/json"));
  assert.equal(retry.status, 200);
  await retry.body?.cancel();
  const forged = await h.handle.handleWebhook!(await signed(event, "wrong", "application/json"));
  assert.equal(forged.status, 403);
  await forged.body?.cancel();
  const stale = await h.handle.handleWebhook!(
    await signed(event, "shh", "application/json", Date.now() - 10 * 60_000),
  );
  assert.equal(stale.status, 403);
  await stale.body?.cancel();
  assert.equal(h.agent.turns.length, 1);
  assert.equal(h.slack.messages().length, 1);
});

Deno.test("Slack HTTP mode: URL verification answers the challenge; slash commands get an empty 200", async () => {
  const challenge = JSON.stringify({ type: "url_verification", challenge: "abc123" });
  const verdict = await verifySlackRequest(await signed(challenge, "s", "application/json"), "s");
  assert.ok(!("updates" in verdict));
  assert.deepEqual(await verdict.response.json(), { challenge: "abc123" });
  const form = new URLSearchParams({
    command: "/new",
    user_id: "U42",
    channel_id: "D1",
    trigger_id: "t1",
  });
  const command = await verifySlackRequest(
    await signed(form.toString(), "s", "application/x-www-form-urlencoded"),
    "s",
  );
  assert.ok("updates" in command);
  assert.equal(command.updates[0].id, "slash_commands:t1");
  assert.equal(await command.response!.text(), "");
});
