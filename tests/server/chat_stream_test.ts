import assert from "node:assert/strict";
import type { AgentEvent, TurnResult } from "../../agent/mod.ts";
import { emptyUsage } from "../../agent/mod.ts";
import { renderChatCompletionStream } from "../../server/chat_stream.ts";
import type { SseWriter } from "../../server/mod.ts";

/** A writer that keeps the `data:` payloads it was given. */
function recordingWriter(): SseWriter & { data: string[] } {
  const data: string[] = [];
  return {
    data,
    closed: false,
    backlogged: false,
    send(payload) {
      data.push(JSON.stringify(payload));
    },
    sendRaw(payload) {
      data.push(payload);
    },
    sendFrame(frame) {
      // A whole frame must be one `data:` line and the blank line that ends it.
      const match = /^data: ([^\n]*)\n\n$/.exec(frame);
      assert.ok(match, `not one data frame: ${JSON.stringify(frame)}`);
      data.push(match[1]);
    },
    comment() {},
    close() {},
  };
}

function result(status: TurnResult["status"]): TurnResult {
  return {
    status,
    text: "partial",
    messages: [{ role: "assistant", content: "partial" }],
    usage: emptyUsage(),
    finishReason: "stop",
    clientToolCalls: [],
    ...(status === "interrupted" ? { incompleteReason: "interrupted" as const } : {}),
  };
}

async function* events(final: TurnResult): AsyncGenerator<AgentEvent> {
  yield { type: "text_delta", delta: "partial" };
  yield { type: "final", result: final };
}

const identity = { id: "chatcmpl-1", created: 1, model: "herald", includeUsage: true };

Deno.test("an interrupted chat stream ends with a shutting_down error chunk, not a finish", async () => {
  const writer = recordingWriter();
  await renderChatCompletionStream(events(result("interrupted")), writer, identity);
  assert.equal(writer.data.at(-1), "[DONE]");
  const error = JSON.parse(writer.data.at(-2)!).error;
  assert.equal(error.code, "shutting_down");
  assert.equal(error.type, "server_error");
  assert.match(error.message, /retry/i);
  assert.ok(!writer.data.some((d) => d.includes('"finish_reason":"stop"')));
  // No usage chunk either: the stream did not finish.
  assert.ok(!writer.data.some((d) => d.includes('"choices":[]')));
});

Deno.test("a completed chat stream still ends with finish_reason stop and usage", async () => {
  const writer = recordingWriter();
  await renderChatCompletionStream(events(result("completed")), writer, identity);
  assert.equal(writer.data.at(-1), "[DONE]");
  assert.match(writer.data.at(-3)!, /"finish_reason":"stop"/);
  assert.match(writer.data.at(-2)!, /"choices":\[\]/);
});

Deno.test("text and reasoning deltas are whole chunks, with usage null only when usage is asked for", async () => {
  async function* deltas(): AsyncGenerator<AgentEvent> {
    yield { type: "reasoning_delta", delta: 'think "hard"' };
    yield { type: "text_delta", delta: "line\nnext \u2014 done" };
    yield { type: "final", result: result("completed") };
  }
  for (const includeUsage of [true, false]) {
    const writer = recordingWriter();
    await renderChatCompletionStream(deltas(), writer, { ...identity, includeUsage });
    const chunkOf = (delta: Record<string, string>) => ({
      id: "chatcmpl-1",
      object: "chat.completion.chunk",
      created: 1,
      model: "herald",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
      ...(includeUsage ? { usage: null } : {}),
    });
    assert.deepEqual(JSON.parse(writer.data[1]), chunkOf({ reasoning_content: 'think "hard"' }));
    assert.deepEqual(JSON.parse(writer.data[2]), chunkOf({ content: "line\nnext \u2014 done" }));
  }
});
