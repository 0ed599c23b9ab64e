import assert from "node:assert/strict";
import OpenAI from "openai";
import { TEST_KEY } from "../../fakes/test_server.ts";
import { startResponsesServer } from "./harness.ts";
import { SchemaSamples } from "./openresponses_schema.ts";

/** What the tests below saw, validated against the Open Responses schema by the last test. */
const samples = new SchemaSamples();

const textOf = (m: { content: unknown }) =>
  typeof m.content === "string"
    ? m.content
    : (m.content as { text?: string }[] ?? []).map((p) => p.text ?? "").join("");

Deno.test("responses.create answers with a completed, schema-valid response", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ text: "Hello there", usage: { prompt_tokens: 7, completion_tokens: 3 } });
  const r = await s.client.responses.create({ model: "herald", input: "hi" });
  assert.equal(r.status, "completed");
  assert.equal(r.output_text, "Hello there");
  assert.equal(r.usage?.input_tokens, 7);
  assert.match(r.id, /^resp_/);
  samples.response(r);
});

Deno.test("responses.stream delivers deltas, a valid event sequence and the final response", async () => {
  await using s = await startResponsesServer({ coalesceMs: 50 });
  s.llm.enqueue({ text: ["Hel", "lo ", "wor", "ld"], chunkDelayMs: 5 });
  const stream = s.client.responses.stream({ model: "herald", input: "hi" });
  let deltas = "";
  const seen: { type: string; sequence_number: number }[] = [];
  stream.on("response.output_text.delta", (e) => deltas += e.delta);
  stream.on("event", (e) => seen.push(e));
  const final = await stream.finalResponse();
  assert.equal(deltas, "Hello world");
  assert.equal(final.output_text, "Hello world");
  assert.deepEqual(seen.map((e) => e.sequence_number), seen.map((_, i) => i));
  assert.deepEqual(seen.slice(0, 4).map((e) => e.type), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
  ]);
  assert.deepEqual(seen.slice(-4).map((e) => e.type), [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
  ]);
  samples.events(seen);
  samples.response(final);
});

Deno.test("the raw Responses stream names every event and ends with [DONE]", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ text: "abc" });
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "herald", input: "hi", stream: true }),
  });
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const frames = (await res.text()).split("\n\n").filter((f) => f && !f.startsWith(":"));
  assert.equal(frames.at(-1), "data: [DONE]");
  for (const frame of frames.slice(0, -1)) {
    const [eventLine, dataLine, ...rest] = frame.split("\n");
    assert.equal(rest.length, 0);
    const data = JSON.parse(dataLine.slice("data: ".length));
    assert.equal(eventLine, `event: ${data.type}`);
  }
});

Deno.test("retrieve, delete, then retrieve again is a 404", async () => {
  await using s = await startResponsesServer();
  const r = await s.client.responses.create({ model: "herald", input: "remember me" });
  const got = await s.client.responses.retrieve(r.id);
  assert.equal(got.output_text, "echo: remember me");
  samples.response(got);
  const res = await fetch(`${s.url}/v1/responses/${r.id}`, {
    method: "DELETE",
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  assert.deepEqual(await res.json(), { id: r.id, object: "response.deleted", deleted: true });
  await assert.rejects(s.client.responses.retrieve(r.id), OpenAI.NotFoundError);
  await assert.rejects(s.client.responses.delete(r.id), OpenAI.NotFoundError);
});

Deno.test("inputItems.list pages through every input item", async () => {
  await using s = await startResponsesServer();
  const r = await s.client.responses.create({
    model: "herald",
    input: [
      { role: "user", content: "one" },
      { role: "assistant", content: "two" },
      { role: "user", content: "three" },
    ],
  });
  const ids: string[] = [];
  const texts: string[] = [];
  for await (const item of s.client.responses.inputItems.list(r.id, { limit: 1, order: "asc" })) {
    ids.push(item.id);
    texts.push(textOf(item as { content: unknown }));
  }
  assert.deepEqual(texts, ["one", "two", "three"]);
  assert.equal(new Set(ids).size, 3);
  const desc = await s.client.responses.inputItems.list(r.id);
  assert.deepEqual(desc.data.map((i) => textOf(i as { content: unknown })), [
    "three",
    "two",
    "one",
  ]);
});

Deno.test("a chain keeps server tool calls and results, once each", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue(
    { toolCalls: [{ name: "echo", arguments: '{"text":"ping"}', id: "call_a" }] },
    { text: "tool said ping" },
  );
  const first = await s.client.responses.create({ model: "herald", input: "use the tool" });
  assert.deepEqual(first.output.map((i) => i.type), ["mcp_call", "message"]);
  const hosted = first.output[0] as unknown as Record<string, unknown>;
  assert.deepEqual(hosted, {
    id: hosted.id,
    type: "mcp_call",
    status: "completed",
    server_label: "herald",
    name: "echo",
    arguments: '{"text":"ping"}',
    output: "echoed: ping",
  });
  const second = await s.client.responses.create({
    model: "herald",
    input: "and again?",
    previous_response_id: first.id,
  });
  assert.equal(second.previous_response_id, first.id);
  const sent = s.llm.requests.at(-1)!.body.messages;
  assert.deepEqual(sent.slice(1).map((m: { role: string }) => m.role), [
    "user",
    "assistant",
    "tool",
    "assistant",
    "user",
  ]);
  assert.equal(sent[2].tool_calls[0].id, hosted.id);
  assert.equal(sent[3].tool_call_id, hosted.id);
  assert.equal(sent[3].content, "echoed: ping");
  assert.equal(sent[4].content, "tool said ping");
  const third = await s.client.responses.create({
    model: "herald",
    input: "third",
    previous_response_id: second.id,
  });
  assert.equal(third.status, "completed");
  assert.equal(s.llm.requests.at(-1)!.body.messages.length, 1 + 5 + 2);
});

Deno.test("instructions carry forward along a chain until replaced", async () => {
  await using s = await startResponsesServer();
  const a = await s.client.responses.create({ model: "h", input: "x", instructions: "Be terse." });
  const b = await s.client.responses.create({ model: "h", input: "y", previous_response_id: a.id });
  assert.equal(b.instructions, "Be terse.");
  assert.match(s.llm.requests.at(-1)!.body.messages[0].content, /Be terse\./);
  const c = await s.client.responses.create({
    model: "h",
    input: "z",
    previous_response_id: b.id,
    instructions: "Be verbose.",
  });
  assert.equal(c.instructions, "Be verbose.");
});

Deno.test("a conversation name chains turns and cannot be combined with previous_response_id", async () => {
  await using s = await startResponsesServer();
  const a = await s.client.responses.create({ model: "h", input: "first", conversation: "proj" });
  assert.deepEqual((a as unknown as { conversation: unknown }).conversation, { id: "proj" });
  const b = await s.client.responses.create({ model: "h", input: "second", conversation: "proj" });
  assert.equal(b.previous_response_id, a.id);
  const sent = s.llm.requests.at(-1)!.body.messages.slice(1).map(textOf);
  assert.deepEqual(sent, ["first", "echo: first", "second"]);
  const err = await s.client.responses.create({
    model: "h",
    input: "x",
    conversation: "proj",
    previous_response_id: a.id,
  }).catch((e) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
  const fresh = await s.client.responses.create({
    model: "h",
    input: "new",
    conversation: "other",
  });
  assert.equal(fresh.previous_response_id, null);
});

Deno.test("store:false writes nothing and cannot be chained", async () => {
  await using s = await startResponsesServer();
  const r = await s.client.responses.create({ model: "h", input: "secret", store: false });
  assert.equal((r as unknown as { store: boolean }).store, false);
  await assert.rejects(s.client.responses.retrieve(r.id), OpenAI.NotFoundError);
  let keys = 0;
  for await (const _ of s.kv.list({ prefix: [] })) keys++;
  assert.equal(keys, 0);
  const err = await s.client.responses.create({
    model: "h",
    input: "x",
    previous_response_id: r.id,
  }).catch((e) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
  assert.equal(err.code, "previous_response_not_found");
});

Deno.test("an unknown previous_response_id is a 400 previous_response_not_found", async () => {
  await using s = await startResponsesServer();
  const err = await s.client.responses.create({
    model: "h",
    input: "x",
    previous_response_id: "resp_nope",
  }).catch((e) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
  assert.equal(err.code, "previous_response_not_found");
  assert.equal(err.param, "previous_response_id");
  assert.equal(err.type, "invalid_request_error");
  await assert.rejects(s.client.responses.retrieve("resp_nope"), OpenAI.NotFoundError);
  await assert.rejects(s.client.responses.inputItems.list("resp_nope"), OpenAI.NotFoundError);
});

Deno.test("a client tool call round-trips through function_call_output", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue(
    { toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}', id: "call_w" }] },
    { text: "It is sunny in Paris." },
  );
  const tools = [{
    type: "function" as const,
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } } },
    strict: false,
  }];
  const first = await s.client.responses.create({ model: "h", input: "weather?", tools });
  assert.deepEqual(first.output.map((i) => i.type), ["function_call"]);
  const call = first.output[0] as { call_id: string; arguments: string; status: string };
  assert.equal(call.call_id, "call_w");
  assert.equal(call.arguments, '{"city":"Paris"}');
  samples.response(first);
  const second = await s.client.responses.create({
    model: "h",
    previous_response_id: first.id,
    tools,
    input: [{ type: "function_call_output", call_id: "call_w", output: "sunny" }],
  });
  assert.equal(second.output_text, "It is sunny in Paris.");
  const sent = s.llm.requests.at(-1)!.body.messages;
  assert.deepEqual(sent.at(-1), { role: "tool", tool_call_id: "call_w", content: "sunny" });
  assert.equal(sent.at(-2).tool_calls[0].function.name, "get_weather");
});

Deno.test("item_reference inputs resolve to stored items", async () => {
  await using s = await startResponsesServer();
  const first = await s.client.responses.create({ model: "h", input: "alpha" });
  const msgId = first.output[0].id!;
  await s.client.responses.create({
    model: "h",
    input: [
      { role: "user", content: "alpha" },
      { type: "item_reference", id: msgId },
      { role: "user", content: "beta" },
    ],
  });
  const sent = s.llm.requests.at(-1)!.body.messages.slice(1);
  assert.deepEqual(sent.map(textOf), ["alpha", "echo: alpha", "beta"]);
  const err = await s.client.responses.create({
    model: "h",
    input: [{ type: "item_reference", id: "msg_missing" }],
  }).catch((e) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
});

Deno.test("8 simultaneous turns on one conversation name all land in one chain", async () => {
  await using s = await startResponsesServer();
  const results = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => s.client.responses.create({ model: "h", input: `turn ${i}`, conversation: "busy" }),
    ),
  );
  assert.ok(results.every((r) => r.status === "completed"));
  const head = await s.store.conversationHead("busy");
  const turns = await s.store.history(head.responseId!);
  assert.equal(turns.length, 8);
  assert.equal(new Set(turns.map((t) => t.id)).size, 8);
  // Each turn saw every earlier turn exactly once.
  const lengths = s.llm.requests.map((r) => r.body.messages.length).sort((a, b) => a - b);
  assert.deepEqual(lengths, [2, 4, 6, 8, 10, 12, 14, 16]);
});

Deno.test("background responses run on, can be polled, replayed and cancelled idempotently", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ text: "done in background" });
  const bg = await s.client.responses.create({ model: "h", input: "go", background: true });
  assert.ok(["queued", "in_progress"].includes(bg.status!));
  // Follow the live run to its end through the replay endpoint.
  const replay = await fetch(`${s.url}/v1/responses/${bg.id}?stream=true&starting_after=1`, {
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  const events = (await replay.text()).split("\n\n").filter((f) => f.startsWith("event:"))
    .map((f) => JSON.parse(f.split("\n")[1].slice(6)));
  assert.equal(events[0].sequence_number, 2);
  assert.equal(events.at(-1).type, "response.completed");
  samples.events(events);
  const done = await s.client.responses.retrieve(bg.id);
  assert.equal(done.status, "completed");
  assert.equal(done.output_text, "done in background");
  const stored = await fetch(`${s.url}/v1/responses/${bg.id}?stream=true&starting_after=3`, {
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  const again = (await stored.text()).split("\n\n").filter((f) => f.startsWith("event:"));
  assert.equal(again.length, events.length - 2);

  s.llm.enqueue({ hang: true });
  const slow = await s.client.responses.create({ model: "h", input: "wait", background: true });
  await s.llm.waitForRequests(2);
  const cancelled = await s.client.responses.cancel(slow.id);
  assert.equal(cancelled.status, "cancelled");
  const twice = await s.client.responses.cancel(slow.id);
  assert.deepEqual(twice, cancelled);
  samples.response(cancelled);

  const plain = await s.client.responses.create({ model: "h", input: "x" });
  await assert.rejects(s.client.responses.cancel(plain.id), OpenAI.BadRequestError);
});

Deno.test("a client leaving mid-stream stops the agent and stores an incomplete response", async () => {
  await using s = await startResponsesServer();
  // Stalls after a few chunks: still running when the client leaves, however slow the machine.
  s.llm.enqueue({ text: "x".repeat(400), stallAfterChunks: 5 });
  const controller = new AbortController();
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    signal: controller.signal,
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "h", input: "long please", stream: true, conversation: "c" }),
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("output_text.delta")) text += (await reader.read()).value;
  const id = JSON.parse(text.split("\n").find((l) => l.startsWith("data: "))!.slice(6)).response.id;
  controller.abort();
  await reader.cancel().catch(() => {});
  await s.llm.waitForCancelledStreams(1);
  // The name is released once the incomplete turn is stored; the next turn chains on it.
  const next = await s.client.responses.create({ model: "h", input: "next", conversation: "c" });
  assert.equal(next.previous_response_id, id);
  const stored = await s.client.responses.retrieve(id);
  assert.equal(stored.status, "incomplete");
  samples.response(stored);
});

Deno.test("a 1 MB tool output stores, retrieves and feeds the next turn intact", async () => {
  await using s = await startResponsesServer();
  const big = "ü€ abc\n".repeat(150_000); // ~1 MB of text, much of it outside Latin-1
  s.llm.enqueue(
    { toolCalls: [{ name: "echo", arguments: JSON.stringify({ text: big }), id: "call_big" }] },
    { text: "got it" },
  );
  const first = await s.client.responses.create({ model: "h", input: "make it big" });
  const output = (r: { output: unknown[] }) =>
    (r.output as { type: string; output?: string }[]).find((i) => i.type === "mcp_call")!.output;
  assert.equal(output(first), `echoed: ${big}`);
  assert.equal(output(await s.client.responses.retrieve(first.id)), `echoed: ${big}`);
  await s.client.responses.create({ model: "h", input: "next", previous_response_id: first.id });
  const tool = s.llm.requests.at(-1)!.body.messages.find((m) => m.role === "tool");
  assert.equal(tool.content, `echoed: ${big}`);
});

Deno.test("two children of one previous_response_id are both valid chains", async () => {
  await using s = await startResponsesServer();
  const root = await s.client.responses.create({ model: "h", input: "root" });
  const left = await s.client.responses.create({
    model: "h",
    input: "left",
    previous_response_id: root.id,
  });
  const right = await s.client.responses.create({
    model: "h",
    input: "right",
    previous_response_id: root.id,
  });
  for (const [child, word] of [[left, "left"], [right, "right"]] as const) {
    await s.client.responses.create({ model: "h", input: "more", previous_response_id: child.id });
    const sent = s.llm.requests.at(-1)!.body.messages.slice(1).map(textOf);
    assert.deepEqual(sent, ["root", "echo: root", word, `echo: ${word}`, "more"]);
  }
});

Deno.test("DELETE of a conversation's latest response unmaps the name, so it starts afresh", async () => {
  await using s = await startResponsesServer();
  await s.client.responses.create({ model: "h", input: "one", conversation: "topic" });
  const latest = await s.client.responses.create({
    model: "h",
    input: "two",
    conversation: "topic",
  });
  const deleted = await s.client.responses.delete(latest.id) as unknown;
  assert.deepEqual(deleted, { id: latest.id, object: "response.deleted", deleted: true });
  const after = await s.client.responses.create({
    model: "h",
    input: "three",
    conversation: "topic",
  });
  assert.equal(after.previous_response_id, null);
  assert.deepEqual(s.llm.requests.at(-1)!.body.messages.slice(1).map(textOf), ["three"]);
});

Deno.test("input_items honours after, limit and order like OpenAI", async () => {
  await using s = await startResponsesServer();
  const r = await s.client.responses.create({
    model: "h",
    input: ["a", "b", "c", "d"].map((t) => ({ role: "user" as const, content: t })),
  });
  const page = (query: string) =>
    fetch(`${s.url}/v1/responses/${r.id}/input_items?${query}`, {
      headers: { Authorization: `Bearer ${TEST_KEY}` },
    }).then((res) => res.json());
  const all = await page("order=asc");
  assert.equal(all.object, "list");
  assert.deepEqual(all.data.map(textOf), ["a", "b", "c", "d"]);
  assert.equal(all.first_id, all.data[0].id);
  assert.equal(all.last_id, all.data[3].id);
  assert.equal(all.has_more, false);
  const ids = all.data.map((i: { id: string }) => i.id);
  const desc = await page("limit=2");
  assert.deepEqual(desc.data.map(textOf), ["d", "c"]);
  assert.equal(desc.has_more, true);
  const next = await page(`limit=2&after=${desc.last_id}`);
  assert.deepEqual(next.data.map(textOf), ["b", "a"]);
  assert.equal(next.has_more, false);
  const ascAfter = await page(`order=asc&after=${ids[1]}`);
  assert.deepEqual(ascAfter.data.map(textOf), ["c", "d"]);
});

Deno.test("a streamed store:false turn with a tool call writes no KV key at all", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue(
    { toolCalls: [{ name: "echo", arguments: '{"text":"x"}' }] },
    { text: "not kept" },
  );
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "h", input: "x", store: false, stream: true }),
  });
  assert.match(await res.text(), /response\.completed/);
  const keys: Deno.KvKey[] = [];
  for await (const entry of s.kv.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys, []);
});

samples.test("responses and stream events of the tests above match the Open Responses schema");
