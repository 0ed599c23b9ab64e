/**
 * Calls Herald runs itself are reported as `mcp_call` items (never `function_call`), in plain
 * answers, streams, stored responses, input_items and conversations; the item shapes clients send
 * back are accepted and the tool history is rebuilt from Herald's own records.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import OpenAI6 from "openai6";
import type OpenAI from "openai";
import { echoTool, readSse, TEST_KEY } from "../../fakes/test_server.ts";
import { startResponsesServer } from "./harness.ts";

type Item = Record<string, unknown>;

const failingTool = {
  name: "fail",
  description: "Always fails.",
  parameters: z.object({}),
  execute: () => Promise.reject(new Error("disk on fire")),
};

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  strict: false,
};

Deno.test("a Herald tool call streams as an mcp_call item with the standard event sequence", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue(
    { toolCalls: [{ name: "echo", arguments: '{"text":"ping"}', id: "call_1" }] },
    { text: "done" },
  );
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "h", input: "go", stream: true }),
  });
  const { data } = await readSse(res);
  const events = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));
  const hosted = events.filter((e) => e.item?.type === "mcp_call" || e.type.includes("mcp_call"));
  assert.deepEqual(hosted.map((e) => e.type), [
    "response.output_item.added",
    "response.mcp_call_arguments.delta",
    "response.mcp_call_arguments.done",
    "response.mcp_call.in_progress",
    "response.mcp_call.completed",
    "response.output_item.done",
  ]);
  const id = hosted[0].item.id;
  assert.match(id, /^mcp_/);
  for (const e of hosted.slice(1, 5)) assert.equal(e.item_id, id);
  assert.deepEqual(hosted[0].item, {
    id,
    type: "mcp_call",
    status: "in_progress",
    server_label: "herald",
    name: "echo",
    arguments: "",
  });
  assert.equal(hosted[2].arguments, '{"text":"ping"}');
  assert.deepEqual(hosted[5].item, {
    id,
    type: "mcp_call",
    status: "completed",
    server_label: "herald",
    name: "echo",
    arguments: '{"text":"ping"}',
    output: "echoed: ping",
  });
  assert.ok(!events.some((e) => e.item?.type?.startsWith("function_call")));
  assert.ok(!events.some((e) => e.type.startsWith("response.function_call")));
  const completed = events.at(-1);
  assert.equal(completed.type, "response.completed");
  assert.deepEqual(completed.response.output.map((i: Item) => i.type), ["mcp_call", "message"]);
  // sequence numbers stay one counter, output indexes append.
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
});

Deno.test("the openai stream helpers (6.x and 7.x) accumulate mcp_call items", async () => {
  await using s = await startResponsesServer();
  const lines: [string, OpenAI][] = [
    ["7", s.client],
    ["6", new OpenAI6({ baseURL: `${s.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 }) as never],
  ];
  for (const [line, client] of lines) {
    s.llm.enqueue(
      { toolCalls: [{ name: "echo", arguments: '{"text":"a"}' }] },
      { text: `answer ${line}` },
    );
    const stream = client.responses.stream({ model: "h", input: "go" });
    const seen: string[] = [];
    stream.on("event", (e) => seen.push(e.type));
    const final = await stream.finalResponse();
    assert.equal(final.output_text, `answer ${line}`);
    const call = final.output.find((i) => i.type === "mcp_call") as unknown as Item;
    assert.equal(call.output, "echoed: a", line);
    assert.equal(call.status, "completed", line);
    assert.ok(seen.includes("response.mcp_call.completed"), line);
  }
});

Deno.test("a failing Herald tool is an mcp_call with status failed and its error; success has no error key", async () => {
  await using s = await startResponsesServer({ tools: [echoTool(), failingTool] });
  s.llm.enqueue(
    {
      toolCalls: [
        { name: "fail", arguments: "{}" },
        { name: "echo", arguments: '{"text":"ok"}' },
      ],
    },
    { text: "reported" },
  );
  const r = await s.client.responses.create({ model: "h", input: "go" });
  const [failed, ok] = r.output.filter((i) => i.type === "mcp_call") as unknown as Item[];
  assert.equal(failed.status, "failed");
  assert.equal(failed.error, "error: fail failed: disk on fire");
  assert.equal(failed.output, "error: fail failed: disk on fire");
  assert.equal(ok.status, "completed");
  assert.ok(!("error" in ok));
  s.llm.enqueue({ toolCalls: [{ name: "fail", arguments: "{}" }] }, { text: "x" });
  const again = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "h", input: "go", stream: true }),
  });
  const types = (await readSse(again)).data.filter((d) => d !== "[DONE]").map((d) =>
    JSON.parse(d).type
  );
  assert.ok(types.includes("response.mcp_call.failed"));
  assert.ok(!types.includes("response.mcp_call.completed"));
});

Deno.test("a Herald tool and a client tool in one response: mcp_call plus function_call, then the client's result", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({
    toolCalls: [
      { name: "echo", arguments: '{"text":"local"}', id: "call_h" },
      { name: "get_weather", arguments: '{"city":"Oslo"}', id: "call_c" },
    ],
  });
  const first = await s.client.responses.create({ model: "h", input: "both", tools: [weather] });
  assert.deepEqual(first.output.map((i) => i.type).sort(), ["function_call", "mcp_call"]);
  const fc = first.output.find((i) => i.type === "function_call")!;
  assert.ok(fc.type === "function_call");
  assert.equal(fc.name, "get_weather");
  assert.equal(fc.call_id, "call_c");
  const hosted = first.output.find((i) => i.type === "mcp_call") as unknown as Item;
  assert.equal(hosted.output, "echoed: local");

  s.llm.enqueue({ text: "Sunny in Oslo, and the echo said local." });
  const second = await s.client.responses.create({
    model: "h",
    previous_response_id: first.id,
    input: [{ type: "function_call_output", call_id: "call_c", output: "sunny" }],
    tools: [weather],
  });
  assert.equal(second.output_text, "Sunny in Oslo, and the echo said local.");
  const sent = s.llm.requests.at(-1)!.body.messages;
  const assistant = sent.find((m: Item) => m.role === "assistant");
  const callIds = assistant.tool_calls.map((c: { id: string }) => c.id).sort();
  assert.deepEqual(callIds, [hosted.id, "call_c"].sort());
  const results = sent.filter((m: Item) => m.role === "tool");
  assert.deepEqual(
    results.map((m: Item) => [m.tool_call_id, m.content]).sort(),
    [[hosted.id, "echoed: local"], ["call_c", "sunny"]].sort(),
  );
});

Deno.test("stored responses, input_items and conversation items show the same mcp_call items", async () => {
  await using s = await startResponsesServer();
  const conv = await s.client.conversations.create({});
  s.llm.enqueue({ toolCalls: [{ name: "echo", arguments: '{"text":"c"}' }] }, { text: "ok" });
  const r = await s.client.responses.create({ model: "h", input: "go", conversation: conv.id });
  const hosted = r.output.find((i) => i.type === "mcp_call") as unknown as Item;
  const stored = await s.client.responses.retrieve(r.id);
  assert.deepEqual(stored.output.find((i) => i.type === "mcp_call"), hosted as never);
  const items = [];
  for await (const item of s.client.conversations.items.list(conv.id, { order: "asc" })) {
    items.push(item as unknown as Item);
  }
  assert.deepEqual(items.map((i) => i.type), ["message", "mcp_call", "message"]);
  assert.deepEqual(items[1], hosted);

  // The next response's input_items keep a referenced mcp_call as it was stored.
  const next = await s.client.responses.create({
    model: "h",
    input: [{ type: "item_reference", id: String(hosted.id) }, { role: "user", content: "more" }],
  } as never);
  const inputs = await s.client.responses.inputItems.list(next.id, { order: "asc" });
  assert.deepEqual(inputs.data[0] as unknown as Item, hosted);
});

Deno.test("history is rebuilt from Herald's records: echoed mcp items without output get the stored output", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ toolCalls: [{ name: "echo", arguments: '{"text":"x"}' }] }, { text: "first" });
  const first = await s.client.responses.create({ model: "h", input: "go" });
  const hosted = first.output.find((i) => i.type === "mcp_call") as unknown as Item;
  const message = first.output.find((i) => i.type === "message") as unknown as Item;
  // What the Agents SDK resends: mcp_list_tools and mcp_call without output, then the text.
  await s.client.responses.create({
    model: "h",
    input: [
      { role: "developer", content: "be brief" },
      { role: "user", content: "go" },
      { type: "mcp_list_tools", id: "mcpl_1", server_label: "herald", tools: [] },
      {
        type: "mcp_call",
        id: hosted.id,
        server_label: "herald",
        name: "echo",
        arguments: '{"text":"x"}',
        status: "completed",
      },
      { ...message },
      { type: "acme:trace", id: "t1", data: 1 },
      { type: "message", role: "user", content: [{ type: "input_text", text: "again" }] },
    ],
  } as never);
  const sent = s.llm.requests.at(-1)!.body.messages;
  assert.match(sent[0].content, /be brief$/);
  assert.deepEqual(sent.slice(1).map((m: Item) => m.role), [
    "user",
    "assistant",
    "tool",
    "assistant",
    "user",
  ]);
  assert.equal(sent[3].content, "echoed: x");
  assert.equal(sent[4].content, "first");
});

Deno.test("with store:false an echoed mcp_call without output is history with a placeholder result", async () => {
  await using s = await startResponsesServer();
  await s.client.responses.create({
    model: "h",
    store: false,
    input: [
      { role: "user", content: "go" },
      {
        type: "mcp_call",
        id: "mcp_unknown",
        server_label: "herald",
        name: "echo",
        arguments: "{}",
      },
      { type: "mcp_call", id: "mcp_known", server_label: "herald", name: "echo", output: "out" },
      { role: "assistant", content: "did it" },
      { role: "user", content: "next" },
    ],
  } as never);
  const sent = s.llm.requests.at(-1)!.body.messages;
  const tools = sent.filter((m: Item) => m.role === "tool").map((m: Item) => m.content);
  assert.deepEqual(tools, ["(no result was recorded for this call)", "out"]);
});

Deno.test("an item resent beside previous_response_id counts once", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ toolCalls: [{ name: "echo", arguments: '{"text":"y"}' }] }, { text: "one" });
  const first = await s.client.responses.create({ model: "h", input: "go" });
  await s.client.responses.create({
    model: "h",
    previous_response_id: first.id,
    input: [...first.output, { role: "user", content: "two" }] as never,
  });
  const roles = s.llm.requests.at(-1)!.body.messages.map((m: Item) => m.role);
  assert.deepEqual(roles, ["system", "user", "assistant", "tool", "assistant", "user"]);
});

Deno.test("mcp tools: herald is accepted and echoed, allowed_tools narrows the tools, server_url is never fetched", async () => {
  let fetched = 0;
  await using decoy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    fetched++;
    return new Response("{}");
  });
  const other = { ...echoTool(), name: "other" };
  await using s = await startResponsesServer({ tools: [echoTool(), other] });
  const tool = {
    type: "mcp",
    server_label: "herald",
    server_url: `http://127.0.0.1:${decoy.addr.port}/mcp`,
    require_approval: "never",
    allowed_tools: ["echo"],
    headers: { authorization: "Bearer secret" },
  };
  const r = await s.client.responses.create({ model: "h", input: "hi", tools: [tool] } as never);
  assert.equal(r.status, "completed");
  assert.deepEqual(r.tools, [{
    type: "mcp",
    server_label: "herald",
    server_url: tool.server_url,
    allowed_tools: ["echo"],
    require_approval: "never",
  }] as never);
  const offered = s.llm.requests.at(-1)!.body.tools!.map((t) => t.function.name);
  assert.deepEqual(offered, ["echo"]);
  assert.equal(fetched, 0);
  await decoy.shutdown();
});

Deno.test("an mcp tool naming a server Herald does not have is a 400", async () => {
  await using s = await startResponsesServer();
  await assert.rejects(
    s.client.responses.create({
      model: "h",
      input: "hi",
      tools: [{ type: "mcp", server_label: "deepwiki", server_url: "https://example.com/mcp" }],
    } as never),
    (e: { status: number; code: string; param: string }) =>
      e.status === 400 && e.code === "unknown_mcp_server" && e.param === "tools[0].server_label",
  );
});
