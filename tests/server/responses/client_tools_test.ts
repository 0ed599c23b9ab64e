import assert from "node:assert/strict";
import { TEST_KEY } from "../../fakes/test_server.ts";
import { startResponsesServer } from "./harness.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

async function post(url: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const APPLY_PATCH = {
  type: "custom",
  name: "apply_patch",
  description: "Apply a patch to the workspace.",
  format: { type: "grammar", syntax: "lark", definition: "start: /.+/s" },
};

Deno.test("a custom tool is offered to the model and its call comes back as a custom_tool_call", async () => {
  await using s = await startResponsesServer();
  const patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch";
  s.llm.enqueue({
    toolCalls: [{ name: "apply_patch", arguments: JSON.stringify({ input: patch }) }],
  });
  const first = await post(s.url, { model: "herald", input: "add a.txt", tools: [APPLY_PATCH] });
  assert.equal(first.status, 200);
  const call = first.json.output.at(-1);
  assert.equal(call.type, "custom_tool_call");
  assert.equal(call.name, "apply_patch");
  assert.equal(call.input, patch);
  assert.match(call.id, /^ctc_/);
  assert.equal("arguments" in call, false);
  assert.deepEqual(first.json.tools.map((t: Json) => t.type), ["custom"]);
  // Offered upstream as a function taking the raw input, with the grammar in its description.
  const offered = s.llm.requests[0].body.tools!.find((t: Json) =>
    t.function.name === "apply_patch"
  );
  assert.deepEqual(offered.function.parameters.required, ["input"]);
  assert.match(offered.function.description, /start: \/\.\+\/s/);

  // The client answers with custom_tool_call_output; the model sees a tool result.
  s.llm.enqueue({ text: "Patched." });
  const second = await post(s.url, {
    model: "herald",
    previous_response_id: first.json.id,
    tools: [APPLY_PATCH],
    input: [{ type: "custom_tool_call_output", call_id: call.call_id, output: "Done!" }],
  });
  assert.equal(second.status, 200);
  assert.equal(second.json.output.at(-1).content[0].text, "Patched.");
  const messages = s.llm.requests[1].body.messages;
  const assistant = messages.find((m: Json) => m.tool_calls);
  assert.equal(JSON.parse(assistant.tool_calls[0].function.arguments).input, patch);
  assert.deepEqual(messages.at(-1), { role: "tool", tool_call_id: call.call_id, content: "Done!" });
});

Deno.test("a streamed custom tool call is one custom_tool_call item with its input", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({
    toolCalls: [{ name: "apply_patch", arguments: JSON.stringify({ input: "x" }) }],
  });
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "herald", input: "go", tools: [APPLY_PATCH], stream: true }),
  });
  const events = (await res.text()).split("\n\n")
    .map((f) => f.split("\n").find((l) => l.startsWith("data: {")))
    .filter((l): l is string => !!l)
    .map((l) => JSON.parse(l.slice(6)));
  assert.ok(!events.some((e) => e.type.startsWith("response.function_call_arguments")));
  const done = events.find((e) => e.type === "response.output_item.done");
  assert.equal(done.item.type, "custom_tool_call");
  assert.equal(done.item.input, "x");
});

Deno.test("hosted tool types Herald cannot serve are left out with one log line", async () => {
  await using s = await startResponsesServer();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
  try {
    const r = await post(s.url, {
      model: "herald",
      input: "hi",
      tools: [
        { type: "web_search" },
        { type: "file_search", vector_store_ids: ["vs_1"] },
        { type: "web_search" },
        { type: "function", name: "lookup", parameters: { type: "object", properties: {} } },
      ],
    });
    assert.equal(r.status, 200);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /web_search, file_search/);
  const names = s.llm.requests[0].body.tools!.map((t: Json) => t.function.name);
  assert.ok(names.includes("lookup"));
  assert.ok(!names.includes("web_search"));
});

Deno.test("a Responses tool_choice naming a function reaches the upstream in Chat form", async () => {
  await using s = await startResponsesServer();
  await post(s.url, {
    model: "herald",
    input: "hi",
    tools: [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} } }],
    tool_choice: { type: "function", name: "lookup" },
  });
  assert.deepEqual(s.llm.requests[0].body.tool_choice, {
    type: "function",
    function: { name: "lookup" },
  });
});

Deno.test("a function_call_output for an unknown call_id is a 400 naming the id", async () => {
  await using s = await startResponsesServer();
  const r = await post(s.url, {
    model: "herald",
    input: [
      { role: "user", content: "hi" },
      { type: "function_call_output", call_id: "call_nope", output: "x" },
    ],
  });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /call_nope/);
  assert.equal(r.json.error.param, "input[1].call_id");
  assert.equal(s.llm.requests.length, 0);
});

Deno.test("a function_call_output answering a call earlier in the same input is accepted", async () => {
  await using s = await startResponsesServer();
  const r = await post(s.url, {
    model: "herald",
    input: [
      { role: "user", content: "weather?" },
      { type: "function_call", call_id: "call_1", name: "weather", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "sunny" },
    ],
  });
  assert.equal(r.status, 200);
});

Deno.test("malformed input items are a 400 naming the item's index, never sent upstream", async () => {
  await using s = await startResponsesServer();
  const cases: [unknown, string][] = [
    [{ type: "function_call", call_id: "c", name: "f" }, "input[1].arguments"],
    [{ type: "function_call", call_id: "c", name: 3, arguments: "{}" }, "input[1].name"],
    [{ type: "function_call_output", call_id: "c" }, "input[1].output"],
    [{ type: "custom_tool_call", call_id: "c", name: "p" }, "input[1].input"],
    [{ role: "robot", content: "beep" }, "input[1].role"],
    [{ role: "user", content: 42 }, "input[1].content"],
    [{ role: "user", content: ["ok", 7] }, "input[1].content[1]"],
  ];
  for (const [item, param] of cases) {
    const r = await post(s.url, {
      model: "herald",
      input: [{ role: "user", content: "hi" }, item],
    });
    assert.equal(r.status, 400, JSON.stringify(item));
    assert.equal(r.json.error.param, param);
    assert.match(r.json.error.message, /input\[1\]/);
  }
  assert.equal(s.llm.requests.length, 0);
});

Deno.test("unknown top-level fields are accepted and ignored", async () => {
  await using s = await startResponsesServer();
  const r = await post(s.url, { model: "herald", input: "hi", some_future_field: { a: 1 } });
  assert.equal(r.status, 200);
  assert.equal("some_future_field" in r.json, false);
});
