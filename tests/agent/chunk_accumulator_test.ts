import assert from "node:assert/strict";
import { ChunkAccumulator, type LlmChunk } from "../../agent/mod.ts";

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ choices: [{ index: 0, delta, finish_reason: null }], ...extra }) as unknown as LlmChunk;

Deno.test("text and reasoning pieces are reported in order and joined", () => {
  const acc = new ChunkAccumulator();
  const parts = [
    ...acc.add(chunk({ reasoning_content: "let me " })),
    ...acc.add(chunk({ reasoning: "think" })),
    ...acc.add(chunk({ content: "Hel" })),
    ...acc.add(chunk({ content: "lo" })),
  ];
  assert.deepEqual(parts.map((p) => p.type), [
    "reasoning_delta",
    "reasoning_delta",
    "text_delta",
    "text_delta",
  ]);
  assert.equal(acc.reasoning, "let me think");
  assert.equal(acc.text, "Hello");
});

Deno.test("tool calls are assembled from pieces by index, in index order", () => {
  const acc = new ChunkAccumulator();
  const parts = [
    ...acc.add(
      chunk({ tool_calls: [{ index: 1, id: "b", function: { name: "two", arguments: "{" } }] }),
    ),
    ...acc.add(
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "one", arguments: "{}" } }] }),
    ),
    ...acc.add(chunk({ tool_calls: [{ index: 1, function: { arguments: "}" } }] })),
  ];
  assert.deepEqual(parts, [
    { type: "tool_call_started", callId: "b", name: "two" },
    { type: "tool_call_arguments_delta", callId: "b", delta: "{" },
    { type: "tool_call_started", callId: "a", name: "one" },
    { type: "tool_call_arguments_delta", callId: "a", delta: "{}" },
    { type: "tool_call_arguments_delta", callId: "b", delta: "}" },
  ]);
  assert.ok(acc.hasToolCalls);
  assert.deepEqual(acc.toolCalls(), [
    { id: "a", type: "function", function: { name: "one", arguments: "{}" } },
    { id: "b", type: "function", function: { name: "two", arguments: "{}" } },
  ]);
});

Deno.test("a call without an id gets one; a name arriving late is kept", () => {
  const acc = new ChunkAccumulator();
  const [started] = acc.add(chunk({ tool_calls: [{ index: 0, function: { arguments: "" } }] }));
  acc.add(chunk({ tool_calls: [{ index: 0, function: { name: "late" } }] }));
  assert.equal(started.type, "tool_call_started");
  const [call] = acc.toolCalls();
  assert.match(call.id, /^call_[0-9a-f]{24}$/);
  assert.equal(call.function.name, "late");
});

Deno.test("usage is summed over the chunks that carry it; the finish reason is kept", () => {
  const acc = new ChunkAccumulator();
  assert.equal(acc.sawUsage, false);
  acc.add({ choices: [{ index: 0, delta: {}, finish_reason: "length" }] } as unknown as LlmChunk);
  acc.add({
    choices: [],
    usage: {
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 4 },
    },
  } as unknown as LlmChunk);
  assert.equal(acc.finishReason, "length");
  assert.equal(acc.sawUsage, true);
  assert.equal(acc.usage.prompt_tokens, 7);
  assert.equal(acc.usage.total_tokens, 10);
  assert.equal(acc.usage.cached_tokens, 4);
});

Deno.test("addEach hands on, in order, exactly the parts add returns, and folds the same", () => {
  const chunks = [
    chunk({ role: "assistant" }),
    chunk({ reasoning_content: "hmm", content: "Hi" }),
    chunk({ content: "", tool_calls: [{ index: 0, id: "a", function: { name: "one" } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
    { choices: [{ index: 0, finish_reason: "tool_calls" }] } as unknown as LlmChunk,
    {
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    } as unknown as LlmChunk,
  ];
  const byAdd = new ChunkAccumulator();
  const byEach = new ChunkAccumulator();
  for (const c of chunks) {
    const handed: unknown[] = [];
    byEach.addEach(c, (part) => handed.push(part));
    assert.deepEqual(handed, byAdd.add(c));
  }
  for (const acc of [byAdd, byEach]) {
    assert.equal(acc.text, "Hi");
    assert.equal(acc.reasoning, "hmm");
    assert.equal(acc.finishReason, "tool_calls");
    assert.equal(acc.usage.total_tokens, 7);
    assert.deepEqual(acc.toolCalls(), [
      { id: "a", type: "function", function: { name: "one", arguments: '{"x":1}' } },
    ]);
  }
});
