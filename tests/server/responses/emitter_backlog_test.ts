import assert from "node:assert/strict";
import { ResponseEmitter, type ResponseStreamEvent } from "../../../server/responses/mod.ts";
import type { ResponseObject } from "../../../store/mod.ts";

function base(): ResponseObject {
  return { id: "resp_test", object: "response", status: "in_progress", output: [] };
}

function deltas(events: ResponseStreamEvent[]): string[] {
  return events.filter((e) => e.type === "response.output_text.delta").map((e) => String(e.delta));
}

Deno.test("each text delta is emitted at once while the client keeps up", () => {
  const events: ResponseStreamEvent[] = [];
  const emitter = new ResponseEmitter(base(), (e) => events.push(e));
  emitter.start(false);
  emitter.handle({ type: "text_delta", delta: "Hel" });
  assert.deepEqual(deltas(events), ["Hel"]);
  emitter.handle({ type: "text_delta", delta: "lo" });
  assert.deepEqual(deltas(events), ["Hel", "lo"]);
  emitter.dispose();
});

Deno.test("text deltas are joined while the transport is backlogged, then sent as one", async () => {
  const events: ResponseStreamEvent[] = [];
  let backlogged = true;
  const emitter = new ResponseEmitter(base(), (e) => events.push(e), {
    backlogged: () => backlogged,
  });
  emitter.start(false);
  for (const delta of ["a", "b", "c"]) emitter.handle({ type: "text_delta", delta });
  assert.deepEqual(deltas(events), []);
  // The client catches up: the held text goes out as one delta at the next check.
  backlogged = false;
  const before = events.length;
  await new Promise<void>((resolve) => {
    const check = () => events.length > before ? resolve() : setTimeout(check, 1);
    check();
  });
  assert.deepEqual(deltas(events), ["abc"]);
  emitter.handle({ type: "text_delta", delta: "d" });
  assert.deepEqual(deltas(events), ["abc", "d"]);
  emitter.dispose();
});

Deno.test("held text is flushed before any other event, keeping the order", () => {
  const events: ResponseStreamEvent[] = [];
  const emitter = new ResponseEmitter(base(), (e) => events.push(e), { backlogged: () => true });
  emitter.start(false);
  emitter.handle({ type: "text_delta", delta: "before the call" });
  emitter.handle({ type: "tool_call_started", callId: "call_1", name: "f", kind: "client" });
  const types = events.map((e) => e.type);
  assert.ok(
    types.indexOf("response.output_text.delta") < types.lastIndexOf("response.output_item.added"),
  );
  assert.deepEqual(deltas(events), ["before the call"]);
  emitter.dispose();
});

Deno.test("logprobs agree between the delta events, the done events and the final item", () => {
  const events: ResponseStreamEvent[] = [];
  const emitter = new ResponseEmitter(base(), (e) => events.push(e));
  emitter.start(false);
  emitter.handle({ type: "text_delta", delta: "Hi" });
  const final = emitter.finish({
    status: "completed",
    text: "Hi",
    messages: [],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    finishReason: "stop",
    clientToolCalls: [],
  }, "completed");
  const withLogprobs = events.filter((e) => "logprobs" in e || "part" in e);
  assert.ok(withLogprobs.length >= 3);
  for (const e of events) {
    if ("logprobs" in e) assert.deepEqual(e.logprobs, [], e.type);
    if ("part" in e) assert.deepEqual((e.part as { logprobs: unknown }).logprobs, [], e.type);
  }
  const item = (final.output as { content: { logprobs: unknown }[] }[])[0];
  assert.deepEqual(item.content[0].logprobs, []);
  const done = events.find((e) => e.type === "response.output_item.done")!;
  assert.deepEqual((done.item as { content: { logprobs: unknown }[] }).content[0].logprobs, []);
  emitter.dispose();
});
