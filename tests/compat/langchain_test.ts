/**
 * LangChain's ChatOpenAI against a real gateway, in Chat Completions mode and Responses mode.
 */
import assert from "node:assert/strict";
import { ChatOpenAI } from "@langchain/openai";
import { AIMessageChunk } from "@langchain/core/messages";
import { COMPAT_KEY, startCompatGateway, WEATHER_PARAMETERS } from "./harness.ts";

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: WEATHER_PARAMETERS as unknown as Record<string, unknown>,
  },
};

function model(baseURL: string, useResponsesApi = false): ChatOpenAI {
  return new ChatOpenAI({
    model: "herald",
    apiKey: COMPAT_KEY,
    maxRetries: 0,
    useResponsesApi,
    configuration: { baseURL },
  });
}

async function concat(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk> {
  let whole: AIMessageChunk | undefined;
  for await (const chunk of stream) whole = whole ? whole.concat(chunk) : chunk;
  assert.ok(whole);
  return whole;
}

Deno.test("L1-L3: chat invoke, stream with usage, and streamed tool calls", async () => {
  await using g = await startCompatGateway();
  const chat = model(g.baseURL);
  const reply = await chat.invoke("hi");
  assert.equal(reply.content, "echo: hi");

  g.llm.enqueue({ text: "streamed reply" });
  const whole = await concat(await chat.stream("hi"));
  assert.ok(whole instanceof AIMessageChunk);
  assert.equal(whole.content, "streamed reply");
  assert.equal(whole.usage_metadata?.total_tokens, 15);

  g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Lima"}' }] });
  const called = await concat(await chat.bindTools([weatherTool]).stream("weather?"));
  assert.equal(called.tool_calls?.[0].name, "get_weather");
  assert.deepEqual(called.tool_calls?.[0].args, { city: "Lima" });
});

Deno.test("L4-L5: Responses mode invoke, and streamed tool calls", async () => {
  await using g = await startCompatGateway();
  const responses = model(g.baseURL, true);
  g.llm.enqueue({ reasoning: "a short thought", text: "responses mode" });
  const reply = await responses.invoke("hi");
  assert.equal(reply.text, "responses mode");

  g.llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Quito"}' }] });
  const called = await concat(await responses.bindTools([weatherTool]).stream("weather?"));
  assert.equal(called.tool_calls?.[0].name, "get_weather");
  assert.deepEqual(called.tool_calls?.[0].args, { city: "Quito" });
});
