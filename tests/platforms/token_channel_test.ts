import assert from "node:assert/strict";
import type { AgentEvent } from "../../agent/events.ts";
import { emptyUsage } from "../../agent/messages.ts";
import { renderTurn } from "../../platforms/render_turn.ts";
import { AGENT_EVENT_TYPES, postEvent, readTokenChannel } from "../../platforms/token_channel.ts";

const call = {
  id: "c1",
  type: "function" as const,
  function: { name: "terminal", arguments: "{}" },
};

/** One event of every AgentEvent type; the Record type fails to compile when one is missing. */
const samples: Record<AgentEvent["type"], AgentEvent> = {
  text_delta: { type: "text_delta", delta: "Hi" },
  reasoning_delta: { type: "reasoning_delta", delta: "hmm" },
  tool_call_started: { type: "tool_call_started", callId: "c1", name: "terminal", kind: "server" },
  tool_call_arguments_delta: { type: "tool_call_arguments_delta", callId: "c1", delta: "{}" },
  tool_call_done: { type: "tool_call_done", call, kind: "server" },
  tool_started: { type: "tool_started", call, origin: "herald" },
  tool_completed: {
    type: "tool_completed",
    call,
    origin: "herald",
    output: "ok",
    isError: false,
    durationMs: 1,
  },
  approval_requested: {
    type: "approval_requested",
    approval: { id: "mcpr_1", call, origin: "herald", reason: "runs a command" },
  },
  approval_resolved: {
    type: "approval_resolved",
    approval: { id: "mcpr_1", call, origin: "herald", reason: "runs a command" },
    decision: { approved: true },
  },
  segment_break: { type: "segment_break" },
  usage: { type: "usage", usage: emptyUsage() },
  final: {
    type: "final",
    result: {
      status: "completed",
      text: "Hi",
      messages: [],
      usage: emptyUsage(),
      finishReason: "stop",
      clientToolCalls: [],
    },
  },
};

Deno.test("every AgentEvent type crosses the token channel intact", async () => {
  assert.deepEqual(Object.keys(samples).sort(), Object.keys(AGENT_EVENT_TYPES).sort());
  const { port1, port2 } = new MessageChannel();
  const ordered = Object.values(samples).filter((e) => e.type !== "final");
  for (const event of [...ordered, samples.final]) postEvent(port1, event);
  port1.close();
  const problems: string[] = [];
  const received: AgentEvent[] = [];
  for await (const event of readTokenChannel(port2, (p) => problems.push(p))) received.push(event);
  assert.deepEqual(problems, []);
  assert.deepEqual(received, [...ordered, samples.final]);
});

Deno.test("an event of a type the worker does not know is reported, not silently dropped", async () => {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage({ type: "event", event: { type: "approval_granted_v2", id: "a1" } });
  port1.postMessage({ type: "event", event: { type: "text_delta" } });
  postEvent(port1, samples.final);
  port1.close();
  const problems: string[] = [];
  const received: AgentEvent[] = [];
  for await (const event of readTokenChannel(port2, (p) => problems.push(p))) received.push(event);
  assert.deepEqual(received, [samples.final]);
  assert.equal(problems.length, 2);
  assert.match(problems[0], /unknown type "approval_granted_v2"/);
  assert.match(problems[1], /text_delta without a delta/);
});

Deno.test("the renderer's exhaustive switch hands text, breaks, tools and the final to the sink", async () => {
  const { port1, port2 } = new MessageChannel();
  for (const event of Object.values(samples)) postEvent(port1, event);
  port1.close();
  const seen: string[] = [];
  await renderTurn(port2, {
    text: (d) => void seen.push(`text:${d}`),
    segmentBreak: () => Promise.resolve(void seen.push("break")),
    toolStarted: (name) => void seen.push(`tool:${name}`),
    approval: (e) => Promise.resolve(void seen.push(`${e.type}:${e.approval.id}`)),
    final: (r) => Promise.resolve(void seen.push(`final:${r.text}`)),
  }, (line) => seen.push(`problem:${line}`));
  assert.deepEqual(seen, [
    "text:Hi",
    "tool:terminal",
    "approval_requested:mcpr_1",
    "approval_resolved:mcpr_1",
    "break",
    "final:Hi",
  ]);
});
