import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { z } from "zod";
import { Agent } from "../../agent/mod.ts";
import type { AgentEvent, AgentTurn } from "../../agent/mod.ts";
import { LlmClient } from "../../agent/mod.ts";
import { ToolRegistry } from "../../agent/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { echoTool } from "../fakes/test_server.ts";

function makeAgent(llm: FakeLlm, options: { maxIterations?: number; maxRetries?: number } = {}) {
  const registry = new ToolRegistry().register(echoTool()).register({
    name: "boom",
    description: "Always throws.",
    parameters: z.object({}),
    execute: () => Promise.reject(new Error("kaput")),
  });
  return new Agent({
    llm: new LlmClient({
      targets: [{ model: "fake-model", baseUrl: llm.baseUrl }],
      connectTimeout: 60,
      firstTokenTimeout: 60,
      staleTimeout: 60,
      maxRetries: options.maxRetries ?? 0,
    }),
    registry,
    toolsets: { api_server: ["echo", "boom"], telegram: ["echo"], cli: [] },
    workspace: "/tmp/ws",
    maxIterations: options.maxIterations ?? 5,
  });
}

const userTurn = (text: string, extra: Partial<AgentTurn> = {}): AgentTurn => ({
  platform: "api_server",
  messages: [{ role: "user", content: text }],
  ...extra,
});

async function collect(gen: AsyncIterable<AgentEvent>): Promise<AgentEvent[]> {
  const out: AgentEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

function finalOf(events: AgentEvent[]) {
  const last = events.at(-1);
  assert(last?.type === "final", "the last event is final");
  return last.result;
}

Deno.test("text streams as deltas and the final result carries text and usage", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ text: "Hello there, friend", usage: { prompt_tokens: 7, completion_tokens: 3 } });
  const events = await collect(makeAgent(llm).run(userTurn("hi")));
  const text = events.filter((e) => e.type === "text_delta").map((e) => e.delta).join("");
  assertEquals(text, "Hello there, friend");
  assert(events.filter((e) => e.type === "text_delta").length > 1, "several deltas");
  const result = finalOf(events);
  assertEquals(result.status, "completed");
  assertEquals(result.text, "Hello there, friend");
  assertEquals(result.usage.total_tokens, 10);
  assertEquals(result.messages, [{ role: "assistant", content: "Hello there, friend" }]);
});

Deno.test("the core system prompt comes first and client system messages layer on top", async () => {
  await using llm = await FakeLlm.start();
  await collect(
    makeAgent(llm).run({
      platform: "api_server",
      instructions: "Speak like a pirate.",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }],
    }),
  );
  const sent = llm.requests[0].body.messages;
  assertEquals(sent[0].role, "system");
  assert(sent[0].content.startsWith("You are Herald"), "core prompt first");
  assert(sent[0].content.includes("Workspace"), "workspace named");
  assert(sent[0].content.includes("- echo:"), "tools listed");
  assert(sent[0].content.includes("Speak like a pirate."), "instructions layered");
  assert(sent[0].content.includes("Be brief."), "client system layered");
  assertEquals(sent.length, 2);
  assertEquals(sent[1], { role: "user", content: "hi" });
});

Deno.test("a server tool call runs, its result feeds back, and the loop continues", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue(
    { text: "Let me check.", toolCalls: [{ name: "echo", arguments: '{"text":"ping"}' }] },
    { text: "Done: ping" },
  );
  const events = await collect(makeAgent(llm).run(userTurn("go")));
  const types = events.map((e) => e.type);
  assert(types.includes("tool_call_started"));
  assert(types.includes("tool_started"));
  assert(types.includes("segment_break"));
  const completed = events.find((e) => e.type === "tool_completed");
  assert(completed?.type === "tool_completed");
  assertEquals(completed.output, "echoed: ping");
  const result = finalOf(events);
  assertEquals(result.status, "completed");
  assertEquals(result.text, "Done: ping");
  assertEquals(result.messages.map((m) => m.role), ["assistant", "tool", "assistant"]);
  const second = llm.requests[1].body.messages;
  assertEquals(second.at(-1).role, "tool");
  assertEquals(second.at(-1).content, "echoed: ping");
  assertEquals(result.usage.total_tokens, 30, "usage summed over both calls");
});

Deno.test("tool failures come back as tool results and the turn goes on", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue(
    {
      toolCalls: [
        { name: "boom", arguments: "{}" },
        { name: "echo", arguments: "{not json" },
        { name: "nope", arguments: "{}" },
        { name: "echo", arguments: "{}" },
      ],
    },
    { text: "recovered" },
  );
  const events = await collect(makeAgent(llm).run(userTurn("go")));
  const outputs = events.filter((e) => e.type === "tool_completed").map((e) =>
    e.type === "tool_completed" ? e.output : ""
  );
  assertEquals(outputs.length, 4);
  assert(outputs[0].includes("kaput"));
  assert(outputs[1].includes("not valid JSON"));
  assert(outputs[2].includes('unknown tool "nope"'));
  assert(outputs[3].includes("invalid arguments"));
  assertEquals(finalOf(events).text, "recovered");
});

Deno.test("a client tool call ends the turn and is returned, not run", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }] });
  const events = await collect(
    makeAgent(llm).run(userTurn("weather?", {
      clientTools: [{ name: "get_weather", parameters: { type: "object" } }],
    })),
  );
  const result = finalOf(events);
  assertEquals(result.finishReason, "tool_calls");
  assertEquals(result.clientToolCalls.length, 1);
  assertEquals(result.clientToolCalls[0].function.arguments, '{"city":"Oslo"}');
  assert(!events.some((e) => e.type === "tool_started"), "client tools are not executed");
  const offered = llm.requests[0].body.tools!.map((t) => t.function.name);
  assertEquals(offered.sort(), ["boom", "echo", "get_weather"]);
});

Deno.test("max_iterations reached ends the turn as incomplete", async () => {
  await using llm = await FakeLlm.start({
    responder: () => ({ toolCalls: [{ name: "echo", arguments: '{"text":"again"}' }] }),
  });
  const result = finalOf(await collect(makeAgent(llm, { maxIterations: 3 }).run(userTurn("loop"))));
  assertEquals(result.status, "incomplete");
  assertEquals(result.incompleteReason, "max_iterations");
  assertEquals(llm.requests.length, 3);
});

Deno.test("toolsets decide which server tools the model sees", async () => {
  await using llm = await FakeLlm.start();
  await collect(makeAgent(llm).run({ ...userTurn("x"), platform: "cli" }));
  assertEquals(llm.requests[0].body.tools, undefined);
  await collect(makeAgent(llm).run({ ...userTurn("x"), platform: "telegram" }));
  assertEquals(llm.requests[1].body.tools!.map((t) => t.function.name), ["echo"]);
});

Deno.test("a tool registered or removed between turns shows in the next turn's toolset", async () => {
  await using llm = await FakeLlm.start();
  const agent = makeAgent(llm);
  const names = (i: number) => llm.requests[i].body.tools?.map((t) => t.function.name);
  await collect(agent.run({ ...userTurn("x"), platform: "telegram" }));
  assertEquals(names(0), ["echo"]);
  agent.options.registry.unregister("echo");
  await collect(agent.run({ ...userTurn("x"), platform: "telegram" }));
  assertEquals(names(1), undefined);
  agent.options.registry.register(echoTool());
  await collect(agent.run({ ...userTurn("x"), platform: "telegram" }));
  assertEquals(names(2), ["echo"]);
});

Deno.test("an upstream error fails the turn with a message naming the upstream", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ status: 401, errorMessage: "bad key sk-secret" });
  const result = finalOf(await collect(makeAgent(llm).run(userTurn("x"))));
  assertEquals(result.status, "failed");
  assert(result.error!.message.includes(llm.baseUrl), result.error!.message);
  assert(result.error!.message.includes("401"));
  assert(result.error!.message.includes("OPENAI_API_KEY"));
});

Deno.test("429 and 5xx are retried with backoff honouring Retry-After", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue(
    { status: 429, headers: { "retry-after-ms": "10" } },
    { status: 503 },
    { text: "third time lucky" },
  );
  const result = finalOf(await collect(makeAgent(llm, { maxRetries: 3 }).run(userTurn("x"))));
  assertEquals(result.status, "completed");
  assertEquals(result.text, "third time lucky");
  assertEquals(llm.requests.length, 3);
});

Deno.test("a stream that dies before its first token is retried once without streaming", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ text: "lost", dieAfterChunks: 0 }, { text: "whole answer" });
  const result = finalOf(await collect(makeAgent(llm).run(userTurn("x"))));
  assertEquals(result.status, "completed");
  assertEquals(result.text, "whole answer");
  assertEquals(llm.requests[1].body.stream, false);
});

Deno.test("a stream that dies midway fails the turn and keeps the partial text", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ text: ["part one ", "part two"], dieAfterChunks: 2 });
  const result = finalOf(await collect(makeAgent(llm).run(userTurn("x"))));
  assertEquals(result.status, "failed");
  assertEquals(result.text, "part one ");
});

Deno.test("no upstream reachable: the error says to set OPENAI_BASE_URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const agent = new Agent({
    llm: new LlmClient({
      targets: [{ model: "m", baseUrl: `http://127.0.0.1:${port}/v1` }],
      connectTimeout: 60,
      firstTokenTimeout: 60,
      staleTimeout: 60,
      maxRetries: 0,
    }),
    registry: new ToolRegistry(),
    toolsets: { api_server: [], telegram: [], cli: [] },
    workspace: "/tmp",
    maxIterations: 3,
  });
  const result = finalOf(await collect(agent.run(userTurn("x"))));
  assertEquals(result.status, "failed");
  assertEquals(
    result.error!.message,
    `no LLM reachable at http://127.0.0.1:${port}/v1: set OPENAI_BASE_URL`,
  );
  assertEquals(result.error!.code, "upstream_unreachable");
  assertEquals("status" in result.error!, false, "the agent says what failed, not an HTTP status");
});

Deno.test("fallback models are used when the primary keeps failing", async () => {
  await using primary = await FakeLlm.start();
  await using fallback = await FakeLlm.start();
  primary.respondWith(() => ({ status: 500 }));
  fallback.enqueue({ text: "from fallback" });
  const agent = new Agent({
    llm: new LlmClient({
      targets: [
        { model: "a", baseUrl: primary.baseUrl },
        { model: "b", baseUrl: fallback.baseUrl },
      ],
      connectTimeout: 60,
      firstTokenTimeout: 60,
      staleTimeout: 60,
      maxRetries: 1,
    }),
    registry: new ToolRegistry(),
    toolsets: { api_server: [], telegram: [], cli: [] },
    workspace: "/tmp",
    maxIterations: 3,
  });
  const result = finalOf(await collect(agent.run(userTurn("x"))));
  assertEquals(result.text, "from fallback");
  assertEquals(primary.requests.length, 2);
  assertEquals(fallback.requests[0].body.model, "b");
});

Deno.test("a stale stream is aborted after the stale timeout", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ hang: true });
  const agent = new Agent({
    llm: new LlmClient({
      targets: [{ model: "m", baseUrl: llm.baseUrl }],
      connectTimeout: 60,
      firstTokenTimeout: 0.3,
      staleTimeout: 0.3,
      maxRetries: 0,
    }),
    registry: new ToolRegistry(),
    toolsets: { api_server: [], telegram: [], cli: [] },
    workspace: "/tmp",
    maxIterations: 3,
  });
  const result = finalOf(await collect(agent.run(userTurn("x"))));
  assertEquals(result.status, "failed");
  assert(result.error!.message.includes("llm.first_token_timeout"), result.error!.message);
});

Deno.test("aborting stops the upstream stream and a running tool", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ toolCalls: [{ name: "echo", arguments: '{"text":"x","wait_ms":30000}' }] });
  const controller = new AbortController();
  const agent = makeAgent(llm);
  const events: AgentEvent[] = [];
  for await (const e of agent.run(userTurn("x"), { signal: controller.signal })) {
    events.push(e);
    if (e.type === "tool_started") controller.abort();
  }
  const result = finalOf(events);
  assertEquals(result.status, "interrupted");

  llm.enqueue({ hang: true });
  const c2 = new AbortController();
  const run = agent.run(userTurn("y"), { signal: c2.signal });
  const pending = collect(run);
  await llm.waitForRequests(2);
  c2.abort();
  assertEquals(finalOf(await pending).status, "interrupted");
  await llm.waitForCancelledStreams(1);
});

Deno.test("read-only calls from one response run together; writes run one at a time, in order", async () => {
  await using llm = await FakeLlm.start();
  let active = 0;
  let peak = { read: 0, write: 0 };
  const order: string[] = [];
  let bothStarted: () => void = () => {};
  const together = new Promise<void>((resolve) => bothStarted = resolve);
  const registry = new ToolRegistry();
  for (const kind of ["read", "write"] as const) {
    registry.register({
      name: `probe_${kind}`,
      description: `A ${kind} probe.`,
      parameters: z.object({ n: z.number() }),
      readOnly: kind === "read",
      execute: async ({ n }) => {
        active++;
        peak = { ...peak, [kind]: Math.max(peak[kind], active) };
        order.push(`${kind}${n}`);
        if (kind === "read" && active === 2) bothStarted();
        // A read waits for its sibling (bounded, so a sequential loop fails rather than hangs;
        // the bound is generous so that a slow machine starting the sibling late does not fail).
        const bound = kind === "read" ? 60_000 : 5;
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          kind === "read" ? together : new Promise(() => {}),
          new Promise((resolve) => timer = setTimeout(resolve, bound)),
        ]);
        clearTimeout(timer);
        active--;
        return `${kind}${n} done`;
      },
    });
  }
  const names = registry.names();
  const agent = new Agent({
    llm: new LlmClient({
      targets: [{ model: "fake-model", baseUrl: llm.baseUrl }],
      connectTimeout: 60,
      firstTokenTimeout: 60,
      staleTimeout: 60,
      maxRetries: 0,
    }),
    registry,
    toolsets: { api_server: names, telegram: names, cli: names },
    workspace: "/tmp/ws",
    maxIterations: 3,
  });
  const call = (kind: string, n: number) => ({ name: `probe_${kind}`, arguments: `{"n":${n}}` });
  llm.enqueue({
    toolCalls: [call("read", 1), call("read", 2), call("write", 3), call("write", 4)],
  });
  llm.enqueue({ text: "done" });
  await collect(agent.run(userTurn("go")));
  assertEquals(peak, { read: 2, write: 1 });
  assertEquals(order.slice(2), ["write3", "write4"]);
  const results = llm.requests[1].body.messages.filter((m) => m.role === "tool")
    .map((m) => m.content);
  assertEquals(results, ["read1 done", "read2 done", "write3 done", "write4 done"]);
});
