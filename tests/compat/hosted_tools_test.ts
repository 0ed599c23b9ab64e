/**
 * Real Responses clients against a real gateway whose agent uses one of Herald's own tools
 * (`read_file`) and one tool the client declared (`get_weather`) in the same model response:
 * none may try to run Herald's tool, every one gets the final answer, and a second turn works.
 * Clients: the OpenAI Agents SDK, the Vercel AI SDK (`.responses()`), LangChain
 * (`useResponsesApi`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import OpenAI from "openai";
import {
  Agent,
  OpenAIResponsesModel,
  run,
  setTracingDisabled,
  tool as agentTool,
} from "@openai/agents";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { createOpenAI } from "@ai-sdk/openai";
import { ChatOpenAI } from "@langchain/openai";
import { HumanMessage, ToolMessage } from "@langchain/core/messages";
import { z } from "zod";
import { COMPAT_KEY, startCompatGateway, WEATHER_PARAMETERS } from "./harness.ts";

// The Agents SDK would otherwise export traces to OpenAI's servers.
setTracingDisabled(true);
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

type Sent = { role: string; content?: unknown; tool_calls?: { function: { name: string } }[] };

/** Scripts the upstream: read_file (Herald's) and get_weather (the client's) at once, then text. */
async function scriptBoth(g: Awaited<ReturnType<typeof startCompatGateway>>, answer: string) {
  await Deno.writeTextFile(join(g.workspace, "notes.txt"), "pack an umbrella");
  g.llm.enqueue(
    {
      toolCalls: [
        { name: "read_file", arguments: '{"path":"notes.txt"}', id: "call_read" },
        { name: "get_weather", arguments: '{"city":"Oslo"}', id: "call_weather" },
      ],
    },
    { text: answer },
  );
}

/** The last upstream request's tool results, by content. */
function toolResults(g: Awaited<ReturnType<typeof startCompatGateway>>): string[] {
  return (g.llm.requests.at(-1)!.body.messages as Sent[])
    .filter((m) => m.role === "tool").map((m) => String(m.content));
}

Deno.test("Agents SDK: a Herald tool is a hosted call, the client tool runs locally, two turns", async () => {
  await using g = await startCompatGateway();
  await scriptBoth(g, "Rain in Oslo; your notes say pack an umbrella.");
  const client = new OpenAI({ baseURL: g.baseURL, apiKey: COMPAT_KEY, maxRetries: 0 });
  const ran: string[] = [];
  const agent = new Agent({
    name: "assistant",
    model: new OpenAIResponsesModel(client, "herald"),
    tools: [agentTool({
      name: "get_weather",
      description: "Weather for a city",
      parameters: z.object({ city: z.string() }),
      execute: ({ city }) => {
        ran.push(city);
        return `rain in ${city}`;
      },
    })],
  });
  const first = await run(agent, "What should I bring to Oslo?");
  assert.equal(first.finalOutput, "Rain in Oslo; your notes say pack an umbrella.");
  assert.deepEqual(ran, ["Oslo"]);
  const hosted = first.newItems.filter((i) => i.type === "tool_call_item")
    .map((i) => (i.rawItem as { type: string; name?: string }));
  assert.ok(hosted.some((r) => r.type === "hosted_tool_call"), JSON.stringify(hosted));
  assert.ok(toolResults(g).some((r) => r.includes("pack an umbrella")));
  assert.ok(toolResults(g).includes("rain in Oslo"));

  // The second turn resends the history (mcp_call without output): Herald's record fills it in.
  g.llm.enqueue({ text: "You are welcome." });
  const second = await run(agent, [...first.history, { role: "user", content: "thanks" }]);
  assert.equal(second.finalOutput, "You are welcome.");
  assert.ok(toolResults(g).some((r) => r.includes("pack an umbrella")));

  // Streamed, the same.
  await scriptBoth(g, "Streamed: umbrella.");
  const streamed = await run(agent, "Again, streamed?", { stream: true });
  let text = "";
  for await (const piece of streamed.toTextStream()) text += piece;
  await streamed.completed;
  assert.equal(text, "Streamed: umbrella.");
  assert.equal(streamed.finalOutput, "Streamed: umbrella.");
});

Deno.test("AI SDK .responses(): Herald's call is provider-executed, the client tool runs, two turns", async () => {
  await using g = await startCompatGateway();
  const bodies: { input: { type?: string }[] }[] = [];
  const openai = createOpenAI({
    baseURL: g.baseURL,
    apiKey: COMPAT_KEY,
    fetch: (input, init) => {
      if (typeof init?.body === "string") bodies.push(JSON.parse(init.body));
      return fetch(input, init);
    },
  });
  const ran: string[] = [];
  const tools = {
    get_weather: tool({
      description: "Weather for a city",
      inputSchema: jsonSchema<{ city: string }>(WEATHER_PARAMETERS as never),
      execute: ({ city }) => {
        ran.push(city);
        return Promise.resolve(`rain in ${city}`);
      },
    }),
  };
  await scriptBoth(g, "Umbrella weather.");
  const first = await generateText({
    model: openai.responses("herald"),
    prompt: "What should I bring to Oslo?",
    tools,
    stopWhen: stepCountIs(4),
    maxRetries: 0,
  });
  assert.equal(first.text, "Umbrella weather.");
  assert.deepEqual(ran, ["Oslo"]);
  const calls = first.steps[0].toolCalls;
  const hosted = calls.find((c) => c.toolName === "mcp.read_file");
  assert.ok(hosted?.providerExecuted, JSON.stringify(calls));
  assert.ok(toolResults(g).some((r) => r.includes("pack an umbrella")));

  // Second turn: the SDK sends item_references to the earlier items; Herald resolves them.
  g.llm.enqueue({ text: "Still umbrella weather." });
  const second = await generateText({
    model: openai.responses("herald"),
    messages: [
      { role: "user", content: "What should I bring to Oslo?" },
      // In AI SDK 7 `response.messages` holds the last step only.
      ...first.steps.flatMap((step) => step.response.messages),
      { role: "user", content: "And tomorrow?" },
    ],
    tools,
    maxRetries: 0,
  });
  assert.equal(second.text, "Still umbrella weather.");
  assert.ok(bodies.at(-1)!.input.some((i) => i.type === "item_reference"));
  assert.ok(toolResults(g).some((r) => r.includes("pack an umbrella")));

  // Streamed.
  await scriptBoth(g, "Streamed umbrella.");
  const streamed = streamText({
    model: openai.responses("herald"),
    prompt: "Streamed?",
    tools,
    stopWhen: stepCountIs(4),
    maxRetries: 0,
  });
  assert.equal(await streamed.text, "Streamed umbrella.");
  assert.deepEqual(ran, ["Oslo", "Oslo"]);
});

Deno.test("LangChain useResponsesApi: only the client tool comes back as a tool call; the round trip answers", async () => {
  await using g = await startCompatGateway();
  const chat = new ChatOpenAI({
    model: "herald",
    apiKey: COMPAT_KEY,
    maxRetries: 0,
    useResponsesApi: true,
    configuration: { baseURL: g.baseURL },
  }).bindTools([{
    type: "function",
    function: {
      name: "get_weather",
      description: "Weather for a city",
      parameters: WEATHER_PARAMETERS as unknown as Record<string, unknown>,
    },
  }]);
  await scriptBoth(g, "Umbrella, says LangChain.");
  const question = new HumanMessage("What should I bring to Oslo?");
  const called = await chat.invoke([question]);
  assert.deepEqual(called.tool_calls?.map((c) => c.name), ["get_weather"]);
  const call = called.tool_calls![0];
  const answer = await chat.invoke([
    question,
    called,
    new ToolMessage({ tool_call_id: call.id!, content: "rain in Oslo" }),
  ]);
  assert.equal(answer.text, "Umbrella, says LangChain.");
  const results = toolResults(g);
  assert.ok(results.some((r) => r.includes("pack an umbrella")), JSON.stringify(results));
  assert.ok(results.includes("rain in Oslo"));
});
