import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import OpenAI from "openai";
import { z } from "zod";
import type { Tool } from "../../agent/mod.ts";
import { readSse, startTestServer, TEST_KEY } from "../fakes/test_server.ts";

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${TEST_KEY}`,
      "Content-Type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const hi = [{ role: "user" as const, content: "hi" }];

Deno.test("openai SDK: non-streamed completion with usage", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ text: "Hello!", usage: { prompt_tokens: 12, completion_tokens: 2 } });
  const c = await s.client.chat.completions.create({ model: "herald", messages: hi });
  assertEquals(c.object, "chat.completion");
  assert(c.id.startsWith("chatcmpl-"));
  assertEquals(c.model, "herald");
  assertEquals(c.choices[0].message.content, "Hello!");
  assertEquals(c.choices[0].finish_reason, "stop");
  assertEquals(c.usage?.total_tokens, 14);
});

Deno.test("openai SDK: streamed deltas concatenate and include_usage adds a usage chunk", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ text: "The quick brown fox", usage: { prompt_tokens: 5, completion_tokens: 4 } });
  const stream = await s.client.chat.completions.create({
    model: "herald",
    messages: hi,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  assertEquals(text, "The quick brown fox");
  const last = chunks.at(-1)!;
  assertEquals(last.choices, []);
  assertEquals(last.usage?.total_tokens, 9);
  assert(chunks.slice(0, -1).every((c) => c.usage === null), "usage null on normal chunks");
});

Deno.test("openai SDK: stream().finalChatCompletion() works (role chunk and finish_reason)", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ text: "Final answer" });
  const final = await s.client.chat.completions.stream({ model: "herald", messages: hi })
    .finalChatCompletion();
  assertEquals(final.choices[0].message.content, "Final answer");
  assertEquals(final.choices[0].finish_reason, "stop");
});

Deno.test("openai SDK: a client tool streams as tool_call deltas and finalChatCompletion parses it", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
  const final = await s.client.chat.completions.stream({
    model: "herald",
    messages: hi,
    tools: [{
      type: "function",
      function: { name: "get_weather", parameters: { type: "object", properties: {} } },
    }],
  }).finalChatCompletion();
  const choice = final.choices[0];
  assertEquals(choice.finish_reason, "tool_calls");
  const call = choice.message.tool_calls![0];
  assert(call.type === "function");
  assertEquals(call.function.name, "get_weather");
  assertEquals(JSON.parse(call.function.arguments), { city: "Oslo" });
});

Deno.test("openai SDK: runTools round trip runs the client tool and continues with role tool", async () => {
  await using s = await startTestServer();
  s.llm.enqueue(
    { toolCalls: [{ name: "add", arguments: '{"a":2,"b":3}' }] },
    { text: "2 + 3 = 5" },
  );
  const runner = s.client.chat.completions.runTools({
    model: "herald",
    messages: [{ role: "user", content: "add 2 and 3" }],
    tools: [{
      type: "function",
      function: {
        name: "add",
        description: "Add two numbers.",
        parameters: {
          type: "object",
          properties: { a: { type: "number" }, b: { type: "number" } },
        },
        function: (args: { a: number; b: number }) => String(args.a + args.b),
        parse: JSON.parse,
      },
    }],
  });
  assertEquals(await runner.finalContent(), "2 + 3 = 5");
  const second = s.llm.requests[1].body.messages;
  const toolMsg = second.find((m: { role: string }) => m.role === "tool");
  assertEquals(toolMsg.content, "5");
  assert(
    second.some((m: { tool_calls?: unknown[] }) => m.tool_calls?.length),
    "assistant call kept",
  );
});

Deno.test("server tools run inside the turn and the client sees only the answer", async () => {
  await using s = await startTestServer();
  s.llm.enqueue(
    { text: "Checking.", toolCalls: [{ name: "echo", arguments: '{"text":"hi"}' }] },
    { text: "It said hi." },
  );
  const c = await s.client.chat.completions.create({ model: "herald", messages: hi });
  assertEquals(c.choices[0].message.content, "Checking.\n\nIt said hi.");
  assertEquals(c.choices[0].message.tool_calls, undefined);
  assertEquals(c.choices[0].finish_reason, "stop");
  // Nothing was streamed to the client, so both upstream calls asked for whole answers, and the
  // second carried the first's call and the tool's result.
  assertEquals(s.llm.requests.map((r) => r.body.stream), [false, false]);
  const second = s.llm.requests[1].body.messages;
  assertEquals(second.at(-2).tool_calls[0].function.name, "echo");
  assertEquals(second.at(-1), {
    role: "tool",
    tool_call_id: second.at(-2).tool_calls[0].id,
    content: "echoed: hi",
  });
});

Deno.test("the upstream streams only when the client asked for a stream", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ text: "plain" }, { text: "streamed" });
  const plain = await post(s.url, { model: "herald", messages: hi });
  assertEquals((await plain.json()).choices[0].message.content, "plain");
  const streamed = await post(s.url, { model: "herald", messages: hi, stream: true });
  const { data } = await readSse(streamed);
  assertEquals(data.at(-1), "[DONE]");
  assertEquals(s.llm.requests[0].body.stream, false);
  assertEquals(s.llm.requests[0].body.stream_options, undefined);
  assertEquals(s.llm.requests[1].body.stream, true);
  assertEquals(s.llm.requests[1].body.stream_options, { include_usage: true });
});

Deno.test("a client leaving a non-streamed request aborts the whole-answer upstream call", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ hang: true });
  const controller = new AbortController();
  const pending = fetch(`${s.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "herald", messages: hi }),
    signal: controller.signal,
  }).catch((e) => e);
  await s.llm.waitForRequests(1);
  controller.abort();
  assert(await pending instanceof Error);
  await s.llm.waitForCancelledStreams(1);
  assertEquals(s.llm.requests[0].body.stream, false);
});

Deno.test("raw SSE framing: role chunk first, constant identity, one finish_reason, [DONE]", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ text: "abcdefghij" });
  const res = await post(s.url, { model: "herald", messages: hi, stream: true });
  assertEquals(res.status, 200);
  assert(res.headers.get("content-type")!.startsWith("text/event-stream"));
  assertEquals(res.headers.get("cache-control"), "no-cache, no-transform");
  const { frames, data } = await readSse(res);
  assert(frames.every((f) => !f.startsWith("event:")), "no event: lines on chat");
  assertEquals(data.at(-1), "[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  assertEquals(chunks[0].choices[0].delta, { role: "assistant", content: "" });
  const ids = new Set(chunks.map((c) => `${c.id}|${c.created}|${c.model}`));
  assertEquals(ids.size, 1);
  const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
  assertEquals(finishes.length, 1);
  assertEquals(finishes[0].choices[0].delta, {});
  assert(chunks.every((c) => Number.isInteger(c.choices[0].index)));
  assert(!("usage" in chunks[0]), "no usage field unless asked");
});

Deno.test("raw SSE: first tool delta carries index, id, type, name and empty arguments", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ toolCalls: [{ name: "lookup", arguments: '{"q":"x"}' }] });
  const res = await post(s.url, {
    model: "herald",
    messages: hi,
    stream: true,
    tools: [{ type: "function", function: { name: "lookup" } }],
  });
  const { data } = await readSse(res);
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  const toolDeltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
  assertEquals(toolDeltas[0].index, 0);
  assert(toolDeltas[0].id.length > 0);
  assertEquals(toolDeltas[0].type, "function");
  assertEquals(toolDeltas[0].function, { name: "lookup", arguments: "" });
  assertEquals(toolDeltas.map((d) => d.function.arguments).join(""), '{"q":"x"}');
  assertEquals(chunks.at(-1).choices[0].finish_reason, "tool_calls");
});

Deno.test("an upstream failure mid-stream is sent as an error chunk then [DONE]", async () => {
  await using s = await startTestServer();
  s.llm.enqueue({ text: ["partial ", "more"], dieAfterChunks: 2 });
  const res = await post(s.url, { model: "herald", messages: hi, stream: true });
  const { data } = await readSse(res);
  assertEquals(data.at(-1), "[DONE]");
  const err = JSON.parse(data.at(-2)!);
  assert(err.error.message.includes(s.llm.baseUrl), err.error.message);
  assertEquals(err.error.type, "server_error");
  s.llm.enqueue({ text: ["partial ", "more"], dieAfterChunks: 2 });
  const stream = await s.client.chat.completions.create({
    model: "herald",
    messages: hi,
    stream: true,
  });
  await assertRejects(async () => {
    for await (const _ of stream) { /* drain */ }
  });
});

async function assertRejects(fn: () => Promise<unknown>) {
  let threw = false;
  try {
    await fn();
  } catch {
    threw = true;
  }
  assert(threw, "expected a rejection");
}

Deno.test("no upstream reachable: 503 before any stream, with the fix in the message", async () => {
  await using s = await startTestServer();
  await s.llm.close();
  const res = await post(s.url, { model: "herald", messages: hi, stream: true });
  assertEquals(res.status, 503);
  assertEquals(res.headers.get("content-type"), "application/json");
  const body = await res.json();
  assert(body.error.message.endsWith("set OPENAI_BASE_URL"), body.error.message);
  assertEquals(body.error.code, "upstream_unreachable");
  const err = await s.client.chat.completions.create({ model: "herald", messages: hi })
    .catch((e) => e);
  assert(err instanceof OpenAI.InternalServerError);
});

Deno.test("errors use the OpenAI envelope with the right status and SDK class", async () => {
  await using s = await startTestServer();
  const bad = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "wrong-key-wrong-key", maxRetries: 0 });
  const e401 = await bad.chat.completions.create({ model: "herald", messages: hi }).catch((e) => e);
  assert(e401 instanceof OpenAI.AuthenticationError);

  const e400 = await s.client.chat.completions.create({ model: "herald", messages: [] })
    .catch((e) => e);
  assert(e400 instanceof OpenAI.BadRequestError);
  assertEquals(e400.param, "messages");

  for (
    const [body, param] of [
      ["{not json", null],
      [{}, "messages"],
      [{ messages: [{ role: "assistant", content: "x" }] }, "messages"],
      [
        { messages: [{ role: "user", content: [{ type: "input_audio" }] }] },
        "messages[0].content[0]",
      ],
    ] as const
  ) {
    const res = await post(s.url, body);
    assertEquals(res.status, 400, JSON.stringify(body));
    const json = await res.json();
    assertEquals(Object.keys(json.error).sort(), ["code", "message", "param", "type"]);
    assertEquals(json.error.param, param);
  }

  const r404 = await fetch(`${s.url}/v1/nope`, {
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  assertEquals(r404.status, 404);
  assertEquals((await r404.json()).error.code, "unknown_route");
  const r405 = await fetch(`${s.url}/v1/chat/completions`, {
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  assertEquals(r405.status, 405);
  assertEquals(r405.headers.get("allow"), "POST");
  await r405.body?.cancel();
});

Deno.test("unknown request fields are accepted and ignored", async () => {
  await using s = await startTestServer();
  const res = await post(s.url, {
    model: "anything",
    messages: hi,
    temperature: 0.2,
    user: "u1",
    metadata: { a: "b" },
    logit_bias: { "1": 2 },
    reasoning_effort: "low",
    some_frontend_extra: true,
  });
  assertEquals(res.status, 200);
  const body = await res.json();
  assertEquals(body.model, "anything");
  assertEquals(body.choices[0].message.content, "echo: hi");
});

Deno.test("image parts are passed through to the model", async () => {
  await using s = await startTestServer();
  const url = "data:image/png;base64,iVBORw0KGgo=";
  await s.client.chat.completions.create({
    model: "herald",
    messages: [{
      role: "user",
      content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url } }],
    }],
  });
  const sent = s.llm.requests[0].body.messages.at(-1);
  assertEquals(sent.content[1], { type: "image_url", image_url: { url } });
});

Deno.test("a client disconnect closes the upstream stream", async () => {
  await using s = await startTestServer();
  // The upstream sends a few tokens, then nothing until its client leaves: only Herald closing
  // its side can end it (how fast is measured in bench/, not asserted here).
  s.llm.enqueue({ text: Array(200).fill("tok "), stallAfterChunks: 3 });
  const res = await post(s.url, { model: "herald", messages: hi, stream: true }, {});
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes('"content":"tok "')) text += (await reader.read()).value;
  await reader.cancel();
  await s.llm.waitForCancelledStreams(1);
  assertEquals(s.llm.cancelledStreams, 1);
  await s.runs.idle();
});

Deno.test("keep-alive comments flow while a slow server tool runs", async () => {
  // The tool runs until the client has read two keep-alive comments: only comments sent while
  // it runs can end it, however slow the machine (no timing to race).
  const pinged = Promise.withResolvers<void>();
  const waitForPings: Tool = {
    name: "wait_for_pings",
    description: "Waits until the client has seen two keep-alive comments.",
    parameters: z.object({}),
    readOnly: true,
    execute: async (_args, { signal }) => {
      await Promise.race([
        pinged.promise,
        new Promise((_, reject) => signal.addEventListener("abort", reject, { once: true })),
      ]);
      return "pinged";
    },
  };
  await using s = await startTestServer({ keepAliveMs: 100, tools: [waitForPings] });
  s.llm.enqueue({ toolCalls: [{ name: "wait_for_pings", arguments: "{}" }] }, { text: "done" });
  const res = await post(s.url, { model: "herald", messages: hi, stream: true });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const pings = () => text.split("\n\n").filter((f) => f === ": keepalive").length;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    if (pings() >= 2) pinged.resolve();
  }
  assert(pings() >= 2, text);
  assert(text.endsWith("data: [DONE]\n\n"), text);
  assertEquals(s.llm.requests.length, 2);
});

Deno.test("models and health: list, retrieve, 404, and health without auth", async () => {
  await using s = await startTestServer();
  const ids = [];
  for await (const m of s.client.models.list()) ids.push(m.id);
  assertEquals(ids, ["herald"]);
  const m = await s.client.models.retrieve("herald");
  assertEquals(m.object, "model");
  const missing = await s.client.models.retrieve("gpt-9").catch((e) => e);
  assert(missing instanceof OpenAI.NotFoundError);
  const health = await fetch(`${s.url}/health`);
  assertEquals(health.status, 200);
  assertEquals((await health.json()).status, "ok");
  const v1 = await fetch(`${s.url}/v1/health`);
  assertEquals(v1.status, 200);
  await v1.body?.cancel();
});

Deno.test("streaming.api_server off: the answer arrives as one delta per segment", async () => {
  await using s = await startTestServer({ streamTokens: false });
  s.llm.enqueue({ text: "one two three four five" });
  const res = await post(s.url, { model: "herald", messages: hi, stream: true });
  const { data } = await readSse(res);
  const contents = data.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta?.content)
    .filter((c) => c);
  assertEquals(contents, ["one two three four five"]);
});
