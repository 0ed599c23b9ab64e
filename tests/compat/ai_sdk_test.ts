/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai`, `@ai-sdk/openai-compatible` and
 * `@ai-sdk/open-responses`) against a real gateway: Responses and Chat Completions, tools,
 * multi-turn with `item_reference`, and errors before and after output.
 */
import assert from "node:assert/strict";
import { APICallError, generateText, jsonSchema, type ModelMessage, streamText, tool } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createOpenResponses } from "@ai-sdk/open-responses";
import { COMPAT_KEY, startCompatGateway, WEATHER_PARAMETERS } from "./harness.ts";

// The SDK warns (on stderr) that reasoning without encrypted content is dropped with store:false;
// that is expected here and only clutters the test output.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const weather = {
  get_weather: tool({
    description: "Weather for a city",
    inputSchema: jsonSchema<{ city: string }>(WEATHER_PARAMETERS as never),
  }),
};

/** A fetch that records the JSON bodies the SDK posts. */
function recordingFetch(bodies: Record<string, unknown>[]): typeof fetch {
  return (input, init) => {
    if (typeof init?.body === "string") bodies.push(JSON.parse(init.body));
    return fetch(input, init);
  };
}

Deno.test("V1-V2: Responses model streams text with usage and returns parsed tool calls", async () => {
  await using g = await startCompatGateway();
  const openai = createOpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY });
  g.llm.enqueue({
    reasoning: "greet back",
    text: "Hello from Herald",
    usage: { prompt_tokens: 11, completion_tokens: 4 },
  });
  const streamed = streamText({ model: openai.responses("herald"), prompt: "hi", maxRetries: 0 });
  assert.equal(await streamed.text, "Hello from Herald");
  assert.equal(await streamed.reasoningText, "greet back");
  assert.equal((await streamed.usage).totalTokens, 15);
  assert.equal(await streamed.finishReason, "stop");

  g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
  const called = await generateText({
    model: openai.responses("herald"),
    prompt: "weather?",
    tools: weather,
    maxRetries: 0,
  });
  assert.equal(called.finishReason, "tool-calls");
  assert.deepEqual(called.toolCalls[0].input, { city: "Oslo" });
});

Deno.test("V3-V4: chat model streams text, usage and tool calls", async () => {
  await using g = await startCompatGateway();
  const openai = createOpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY });
  g.llm.enqueue({ text: "chat text" });
  const streamed = streamText({ model: openai.chat("herald"), prompt: "hi", maxRetries: 0 });
  assert.equal(await streamed.text, "chat text");
  assert.equal((await streamed.usage).totalTokens, 15);

  g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Bergen"}' }] });
  const withTools = streamText({
    model: openai.chat("herald"),
    prompt: "weather?",
    tools: weather,
    maxRetries: 0,
  });
  const calls = await withTools.toolCalls;
  assert.deepEqual(calls[0].input, { city: "Bergen" });
  assert.equal(await withTools.finishReason, "tool-calls");
});

Deno.test("V5-V6: openai-compatible provider streams text with usage and calls tools", async () => {
  await using g = await startCompatGateway();
  const herald = createOpenAICompatible({
    name: "herald",
    baseURL: g.baseURL,
    apiKey: COMPAT_KEY,
    includeUsage: true,
  });
  g.llm.enqueue({ text: "compatible", reasoning: "brief thought" });
  const streamed = streamText({ model: herald("herald"), prompt: "hi", maxRetries: 0 });
  assert.equal(await streamed.text, "compatible");
  assert.equal(await streamed.reasoningText, "brief thought");
  assert.equal((await streamed.usage).totalTokens, 15);

  g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Rome"}' }] });
  const called = await generateText({
    model: herald("herald"),
    prompt: "weather?",
    tools: weather,
    maxRetries: 0,
  });
  assert.deepEqual(called.toolCalls[0].input, { city: "Rome" });
});

Deno.test("V7: a second turn's item_reference items resolve to the stored items", async () => {
  await using g = await startCompatGateway();
  const bodies: Record<string, unknown>[] = [];
  const openai = createOpenAI({
    baseURL: g.baseURL,
    apiKey: COMPAT_KEY,
    fetch: recordingFetch(bodies),
  });
  g.llm.enqueue({ reasoning: "they said a number", text: "Noted: 42." });
  const messages: ModelMessage[] = [{ role: "user", content: "Remember 42." }];
  const first = await generateText({ model: openai.responses("herald"), messages, maxRetries: 0 });
  messages.push(...first.response.messages, { role: "user", content: "What number?" });
  const second = await generateText({ model: openai.responses("herald"), messages, maxRetries: 0 });
  assert.equal(second.text, "echo: What number?");
  const input = bodies.at(-1)!.input as { type?: string }[];
  assert.ok(input.some((i) => i.type === "item_reference"), JSON.stringify(input));
  const context = g.llm.requests.at(-1)!.body.messages.map((m: { role: string; content: string }) =>
    `${m.role}:${m.content}`
  );
  assert.deepEqual(context.slice(1), [
    "user:Remember 42.",
    "assistant:Noted: 42.",
    "user:What number?",
  ]);

  // With store:false the SDK sends full items instead, and they are accepted too.
  const unstored = await generateText({
    model: openai.responses("herald"),
    messages,
    providerOptions: { openai: { store: false } },
    maxRetries: 0,
  });
  assert.equal(unstored.text, "echo: What number?");
});

Deno.test("V8: providerOptions.openai.previousResponseId continues the context", async () => {
  await using g = await startCompatGateway();
  const openai = createOpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY });
  const first = await generateText({
    model: openai.responses("herald"),
    prompt: "I like tea.",
    maxRetries: 0,
  });
  const responseId = (first.providerMetadata?.openai as { responseId: string }).responseId;
  assert.match(responseId, /^resp_/);
  await generateText({
    model: openai.responses("herald"),
    prompt: "What do I like?",
    providerOptions: { openai: { previousResponseId: responseId } },
    maxRetries: 0,
  });
  const sent = g.llm.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content);
  assert.ok(sent.includes("I like tea."));
});

Deno.test("V9: an error before any output rejects with APICallError carrying the message", async () => {
  await using g = await startCompatGateway();
  const openai = createOpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY });
  for (const model of [openai.responses("herald"), openai.chat("herald")]) {
    g.llm.enqueue({ status: 400, errorMessage: "the model refused the request" });
    const error = await generateText({ model, prompt: "hi", maxRetries: 0 }).catch((e) => e);
    assert.ok(APICallError.isInstance(error), String(error));
    const body = JSON.parse(error.responseBody!);
    assert.equal(error.message, body.error.message);
    assert.match(error.message, /the model refused the request/);
  }
});

Deno.test("V10: an error after partial chat output keeps the text and ends with finishReason error", async () => {
  await using g = await startCompatGateway();
  const openai = createOpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY });
  g.llm.enqueue({ text: "partial words then", dieAfterChunks: 3 });
  const errors: unknown[] = [];
  const result = streamText({
    model: openai.chat("herald"),
    prompt: "hi",
    maxRetries: 0,
    onError: ({ error }) => {
      errors.push(error);
    },
  });
  let text = "";
  let finish: string | undefined;
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") text += part.text;
    if (part.type === "finish") finish = part.finishReason;
  }
  assert.equal(errors.length, 1);
  assert.equal(finish, "error");
  assert.equal(text, "partial ");
});

Deno.test("V11: the open-responses provider streams text", async () => {
  await using g = await startCompatGateway();
  const herald = createOpenResponses({
    name: "herald",
    url: `${g.baseURL}/responses`,
    apiKey: COMPAT_KEY,
  });
  g.llm.enqueue({ text: "open responses text" });
  const streamed = streamText({ model: herald("herald"), prompt: "hi", maxRetries: 0 });
  assert.equal(await streamed.text, "open responses text");
});
