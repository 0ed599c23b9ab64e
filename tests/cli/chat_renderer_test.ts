import { assertEquals } from "./_assert.ts";
import type { AgentEvent, TurnResult } from "../../agent/mod.ts";
import type { ToolCall } from "../../agent/mod.ts";
import { describeToolCall, renderChatStream } from "../../cli/chat_renderer.ts";
import { BufferWriter } from "../../cli/mod.ts";

function call(name: string, args: unknown, id = "call_1"): ToolCall {
  return { id, type: "function", function: { name, arguments: JSON.stringify(args) } };
}

function result(overrides: Partial<TurnResult> = {}): TurnResult {
  return {
    status: "completed",
    text: "",
    messages: [],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    finishReason: "stop",
    clientToolCalls: [],
    ...overrides,
  };
}

async function* stream(...events: AgentEvent[]): AsyncGenerator<AgentEvent> {
  for (const event of events) yield event;
}

Deno.test("text streams as it arrives and ends on a new line", async () => {
  const out = new BufferWriter();
  const final = result({ text: "Hello world" });
  const returned = await renderChatStream(
    stream(
      { type: "text_delta", delta: "Hello" },
      { type: "text_delta", delta: " world" },
      { type: "usage", usage: final.usage },
      { type: "final", result: final },
    ),
    out,
  );
  assertEquals(out.text, "Hello world\n");
  assertEquals(returned, final);
});

Deno.test("a running tool shows as a dim progress line between text segments", async () => {
  const out = new BufferWriter();
  const ls = call("terminal", { command: "ls -la" });
  await renderChatStream(
    stream(
      { type: "text_delta", delta: "Let me look." },
      { type: "segment_break" },
      { type: "tool_call_started", callId: ls.id, name: "terminal", kind: "server" },
      { type: "tool_call_done", call: ls, kind: "server" },
      { type: "tool_started", call: ls, origin: "herald" },
      {
        type: "tool_completed",
        call: ls,
        origin: "herald",
        output: "a\nb",
        isError: false,
        durationMs: 3,
      },
      { type: "text_delta", delta: "Two files." },
      { type: "final", result: result() },
    ),
    out,
    { color: true },
  );
  assertEquals(out.text, "Let me look.\n\x1b[2m⚙ terminal: ls -la\x1b[22m\nTwo files.\n");
});

Deno.test("progress can go to a separate writer so the answer alone is on stdout", async () => {
  const out = new BufferWriter();
  const progress = new BufferWriter();
  const read = call("read_file", { path: "README.md" });
  await renderChatStream(
    stream(
      { type: "tool_started", call: read, origin: "herald" },
      {
        type: "tool_completed",
        call: read,
        origin: "herald",
        output: "No such file\n",
        isError: true,
        durationMs: 1,
      },
      { type: "text_delta", delta: "It is missing." },
      { type: "final", result: result() },
    ),
    out,
    { progress },
  );
  assertEquals(out.text, "It is missing.\n");
  assertEquals(progress.text, "⚙ read_file: README.md\n✗ read_file: No such file\n");
});

Deno.test("a failed turn ends with the error message", async () => {
  const out = new BufferWriter();
  const failed = result({
    status: "failed",
    error: {
      message: "Upstream http://127.0.0.1:9/v1 refused the connection.",
      code: "upstream_error",
    },
  });
  const returned = await renderChatStream(
    stream({ type: "text_delta", delta: "Partial" }, { type: "final", result: failed }),
    out,
  );
  assertEquals(out.text, "Partial\n✗ Upstream http://127.0.0.1:9/v1 refused the connection.\n");
  assertEquals(returned?.status, "failed");
});

Deno.test("interrupted and incomplete turns say so", async () => {
  const interrupted = new BufferWriter();
  await renderChatStream(
    stream({ type: "final", result: result({ status: "interrupted" }) }),
    interrupted,
  );
  assertEquals(interrupted.text, "(interrupted)\n");
  const incomplete = new BufferWriter();
  await renderChatStream(
    stream({
      type: "final",
      result: result({ status: "incomplete", incompleteReason: "max_iterations" }),
    }),
    incomplete,
  );
  assertEquals(incomplete.text, "(stopped: the turn reached agent.max_iterations)\n");
});

Deno.test("reasoning is hidden unless asked for", async () => {
  const events = () =>
    stream(
      { type: "reasoning_delta", delta: "thinking" },
      { type: "text_delta", delta: "Answer" },
      { type: "final", result: result() },
    );
  const hidden = new BufferWriter();
  await renderChatStream(events(), hidden);
  assertEquals(hidden.text, "Answer\n");
  const shown = new BufferWriter();
  await renderChatStream(events(), shown, { showReasoning: true });
  assertEquals(shown.text, "thinking\nAnswer\n");
});

Deno.test("a stream without a final event returns undefined", async () => {
  const out = new BufferWriter();
  assertEquals(await renderChatStream(stream({ type: "text_delta", delta: "x" }), out), undefined);
  assertEquals(out.text, "x\n");
});

Deno.test("tool calls are summarised by their telling argument, truncated to one line", () => {
  assertEquals(
    describeToolCall(call("web_fetch", { url: "https://example.com" })),
    "web_fetch: https://example.com",
  );
  assertEquals(describeToolCall(call("custom", { n: 1, label: "x" })), "custom: x");
  assertEquals(
    describeToolCall({ id: "1", type: "function", function: { name: "bad", arguments: "{" } }),
    "bad",
  );
  const long = describeToolCall(call("terminal", { command: "echo " + "a".repeat(200) + "\nls" }));
  assertEquals(long.length, "terminal: ".length + 80);
  assertEquals(long.endsWith("…"), true);
});
