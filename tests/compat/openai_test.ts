/**
 * The official openai SDK against a real gateway: the current 7.x line for every case, and the
 * 6.x line (alias `openai6`) for the Responses stream and error cases, where the two differ.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import OpenAI6 from "openai6";
import { COMPAT_KEY, startCompatGateway, WEATHER_PARAMETERS } from "./harness.ts";

function client7(baseURL: string): OpenAI {
  return new OpenAI({ baseURL, apiKey: COMPAT_KEY, maxRetries: 0 });
}

const LINES = [
  { name: "openai 7", make: (baseURL: string) => client7(baseURL) },
  {
    name: "openai 6",
    make: (baseURL: string) =>
      new OpenAI6({ baseURL, apiKey: COMPAT_KEY, maxRetries: 0 }) as unknown as OpenAI,
  },
];

const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: WEATHER_PARAMETERS,
  strict: true,
};

Deno.test("O1-O3: models.list and chat completions, plain and streamed with usage", async () => {
  await using g = await startCompatGateway();
  const client = client7(g.baseURL);
  const ids: string[] = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ["herald"]);
  const plain = await client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(plain.choices[0].message.content, "echo: hi");
  g.llm.enqueue({ text: "streamed answer" });
  const stream = await client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    last = chunk;
  }
  assert.equal(text, "streamed answer");
  assert.deepEqual(last?.choices, []);
  assert.equal(last?.usage?.total_tokens, 15);
});

Deno.test("O4-O5: chat stream helper with tools, and runTools round trip", async () => {
  await using g = await startCompatGateway();
  const client = client7(g.baseURL);
  const tools = [{
    type: "function" as const,
    function: { name: "get_weather", parameters: WEATHER_PARAMETERS },
  }];
  g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
  const final = await client.chat.completions.stream({
    model: "herald",
    messages: [{ role: "user", content: "weather?" }],
    tools,
  }).finalChatCompletion();
  assert.equal(final.choices[0].finish_reason, "tool_calls");
  const call = final.choices[0].message.tool_calls![0] as { function: { arguments: string } };
  assert.deepEqual(JSON.parse(call.function.arguments), { city: "Oslo" });

  g.llm.enqueue(
    { toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}', id: "call_rt" }] },
    { text: "It is 7 degrees in Oslo." },
  );
  let ran = "";
  const runner = client.chat.completions.runTools({
    model: "herald",
    messages: [{ role: "user", content: "weather?" }],
    tools: [{
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather for a city",
        parameters: WEATHER_PARAMETERS as unknown as Record<string, unknown>,
        function: (args: { city: string }) => {
          ran = args.city;
          return "7 degrees";
        },
        parse: JSON.parse,
      },
    }],
  });
  assert.equal(await runner.finalContent(), "It is 7 degrees in Oslo.");
  assert.equal(ran, "Oslo");
  const second = g.llm.requests.at(-1)!.body.messages;
  assert.deepEqual(second.at(-1), { role: "tool", tool_call_id: "call_rt", content: "7 degrees" });
});

for (const line of LINES) {
  Deno.test(`O6-O8 (${line.name}): responses.create, responses.stream text and tool calls`, async () => {
    await using g = await startCompatGateway();
    const client = line.make(g.baseURL);
    const created = await client.responses.create({ model: "herald", input: "hi" });
    assert.equal(created.status, "completed");
    assert.equal(created.output_text, "echo: hi");

    g.llm.enqueue({ reasoning: "thinking", text: ["Hel", "lo ", "there"] });
    const stream = client.responses.stream({ model: "herald", input: "hi" });
    let deltas = "";
    stream.on("response.output_text.delta", (e) => deltas += e.delta);
    const final = await stream.finalResponse();
    assert.equal(deltas, "Hello there");
    assert.equal(final.output_text, "Hello there");
    assert.deepEqual(final.output.map((i) => i.type), ["reasoning", "message"]);

    g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    const tools = client.responses.stream({
      model: "herald",
      input: "weather?",
      tools: [weatherTool],
    });
    const withCall = await tools.finalResponse();
    const call = withCall.output.find((i) => i.type === "function_call");
    assert.ok(call && call.type === "function_call");
    assert.deepEqual(JSON.parse(call.arguments), { city: "Oslo" });
    assert.equal(call.status, "completed");
  });

  Deno.test(`O11 (${line.name}): a mid-stream failure throws APIError on chat and Responses`, async () => {
    await using g = await startCompatGateway();
    const client = line.make(g.baseURL);
    g.llm.enqueue({ text: "partial answer that breaks", dieAfterChunks: 3 });
    const chat = await client.chat.completions.create({
      model: "herald",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    await assert.rejects(async () => {
      for await (const _ of chat) { /* drain */ }
    }, (e: Error) => e instanceof OpenAI.APIError || e instanceof OpenAI6.APIError);

    g.llm.enqueue({ text: "partial answer that breaks", dieAfterChunks: 3 });
    const raw = await client.responses.create({ model: "herald", input: "hi", stream: true });
    await assert.rejects(async () => {
      for await (const _ of raw) { /* drain */ }
    }, (e: Error) => e instanceof OpenAI.APIError || e instanceof OpenAI6.APIError);

    g.llm.enqueue({ text: "partial answer that breaks", dieAfterChunks: 3 });
    const helper = client.responses.stream({ model: "herald", input: "hi" });
    await assert.rejects(helper.finalResponse());
  });
}

Deno.test("O9-O10, O12: chaining, retrieve, delete, bad previous id, input items paging", async () => {
  await using g = await startCompatGateway();
  const client = client7(g.baseURL);
  const first = await client.responses.create({ model: "herald", input: "my name is Ada" });
  const second = await client.responses.create({
    model: "herald",
    input: "what is my name?",
    previous_response_id: first.id,
  });
  const context = g.llm.requests.at(-1)!.body.messages.map((m: { content: unknown }) => m.content);
  assert.ok(context.includes("my name is Ada"));
  assert.equal((await client.responses.retrieve(second.id)).output_text, second.output_text);
  await client.responses.delete(second.id);
  await assert.rejects(client.responses.retrieve(second.id), OpenAI.NotFoundError);

  const err = await client.responses.create({
    model: "herald",
    input: "x",
    previous_response_id: "resp_missing",
  }).catch((e) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
  assert.equal(err.code, "previous_response_not_found");
  assert.equal(err.param, "previous_response_id");
  assert.equal(err.type, "invalid_request_error");

  const many = await client.responses.create({
    model: "herald",
    input: ["a", "b", "c", "d", "e"].map((t) => ({ role: "user" as const, content: t })),
  });
  const seen: string[] = [];
  for await (const item of client.responses.inputItems.list(many.id, { limit: 2 })) {
    assert.equal(item.type, "message");
    const content = (item as { content: { type: string; text: string }[] }).content;
    assert.equal(content[0].type, "input_text");
    seen.push(content[0].text);
  }
  assert.deepEqual(seen, ["e", "d", "c", "b", "a"]);
});

Deno.test("O14-O15: background with idempotent cancel, and stream resumption", async () => {
  await using g = await startCompatGateway();
  const client = client7(g.baseURL);
  g.llm.enqueue({ hang: true });
  const bg = await client.responses.create({ model: "herald", input: "slow", background: true });
  assert.ok(bg.status === "queued" || bg.status === "in_progress");
  await g.llm.waitForRequests(1);
  const cancelled = await client.responses.cancel(bg.id);
  assert.equal(cancelled.status, "cancelled");
  assert.deepEqual(await client.responses.cancel(bg.id), cancelled);

  g.llm.enqueue({ text: ["one ", "two ", "three"] });
  const started = await client.responses.create({
    model: "herald",
    input: "count",
    background: true,
    stream: true,
  });
  let id = "";
  let cut = -1;
  for await (const event of started) {
    if (event.type === "response.created") id = event.response.id;
    if (event.type === "response.output_text.delta") {
      cut = event.sequence_number;
      break;
    }
  }
  const resumed = client.responses.stream({ response_id: id, starting_after: cut });
  const sequence: number[] = [];
  resumed.on("event", (e) => sequence.push(e.sequence_number));
  const final = await resumed.finalResponse();
  assert.equal(final.output_text, "one two three");
  assert.equal(sequence[0], cut + 1);
  assert.deepEqual(sequence, sequence.map((_, i) => cut + 1 + i));
});

Deno.test("O13: conversations create, items, retrieve, delete and responses in a conversation", async () => {
  await using g = await startCompatGateway();
  const client = client7(g.baseURL);
  const conv = await client.conversations.create({
    items: [{ type: "message", role: "user", content: "The code word is kiwi." }],
  });
  await client.responses.create({ model: "herald", input: "Code word?", conversation: conv.id });
  const context = g.llm.requests.at(-1)!.body.messages.map((m: { content: unknown }) => m.content);
  assert.ok(context.includes("The code word is kiwi."));
  const types: string[] = [];
  for await (const item of client.conversations.items.list(conv.id, { order: "asc" })) {
    types.push(item.type);
  }
  assert.deepEqual(types, ["message", "message", "message"]);
  assert.equal((await client.conversations.retrieve(conv.id)).id, conv.id);
  await client.conversations.delete(conv.id);
  await assert.rejects(client.conversations.retrieve(conv.id), OpenAI.NotFoundError);
});

Deno.test("O16: the conversation list a chat page needs: list, rename, page history from the end, delete", async () => {
  await using g = await startCompatGateway();
  const client = client7(g.baseURL);
  type Conv = OpenAI.Conversations.Conversation;
  const listAll = async () => {
    const ids: string[] = [];
    const pages = client.getAPIList<Conv, OpenAI.ConversationCursorPage<Conv>>(
      "/conversations",
      OpenAI.ConversationCursorPage<Conv>,
      { query: { limit: 2 } },
    );
    for await (const c of pages) ids.push(c.id);
    return ids;
  };
  const a = await client.conversations.create({ metadata: { title: "New chat" } });
  const b = await client.conversations.create({});
  for (let i = 0; i < 3; i++) {
    await client.responses.create({ model: "herald", input: `turn ${i}`, conversation: a.id });
  }
  await client.responses.create({ model: "herald", input: "named", conversation: "notes" });
  assert.deepEqual(await listAll(), ["notes", a.id, b.id]);

  await client.conversations.update(a.id, { metadata: { title: "Turns" } });
  assert.deepEqual((await client.conversations.retrieve(a.id)).metadata, { title: "Turns" });

  // The newest two items first, then the two before them: a chat view scrolling up.
  const text = (i: unknown) => (i as { content: { text: string }[] }).content[0].text;
  const newest = await client.conversations.items.list(a.id, { order: "desc", limit: 2 });
  assert.deepEqual(newest.data.map(text), ["echo: turn 2", "turn 2"]);
  assert.ok(newest.hasNextPage());
  const older = await newest.getNextPage();
  assert.deepEqual(older.data.map(text), ["echo: turn 1", "turn 1"]);

  await client.conversations.delete(a.id);
  await client.conversations.delete("notes");
  assert.deepEqual(await listAll(), [b.id]);
});
