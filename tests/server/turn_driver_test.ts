/**
 * The turn driver after the SSE hand-over: a failure there ends the stream the protocol's way
 * and is logged once, with its cause and the request id.
 */
import assert from "node:assert/strict";
import type { AgentEvent, TurnResult, TurnRunner } from "../../agent/mod.ts";
import { chatCompletionRoutes, createApp, RunTracker } from "../../server/mod.ts";
import { TEST_KEY } from "../fakes/test_server.ts";
import { startResponsesServer } from "./responses/harness.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
} as unknown as Deno.ServeHandlerInfo;

/** A runner whose second event is malformed, so the renderer throws after the hand-over. */
const brokenRunner: TurnRunner = {
  run: async function* (): AsyncGenerator<AgentEvent, TurnResult> {
    yield { type: "text_delta", delta: "Hel" };
    yield { type: "tool_started" } as unknown as AgentEvent;
    throw new Error("not reached");
  },
};

Deno.test("a Chat stream that fails after the hand-over ends with an error frame and [DONE], logged", async () => {
  const logged: { requestId: string; error: unknown }[] = [];
  const runs = new RunTracker();
  const app = createApp({
    routes: chatCompletionRoutes({ agent: brokenRunner, runs, maxBodyBytes: 1 << 20 }),
    apiKeys: () => [TEST_KEY],
    onUnexpectedError: (error, ctx) => logged.push({ requestId: ctx.requestId, error }),
  });
  const res = await app(
    new Request("http://127.0.0.1/v1/chat/completions", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TEST_KEY}`,
        "Content-Type": "application/json",
        "X-Request-Id": "chat-1",
      },
      body: JSON.stringify({
        model: "h",
        stream: true,
        messages: [{ role: "user", content: "hi" }],
      }),
    }),
    info,
  );
  assert.equal(res.status, 200);
  const data = (await res.text()).split("\n\n").filter((f) => f.startsWith("data: "))
    .map((f) => f.slice(6));
  assert.equal(data.at(-1), "[DONE]");
  const error = JSON.parse(data.at(-2)!).error;
  assert.equal(error.code, "internal_error");
  assert.equal(error.type, "server_error");
  assert.ok(data.some((d) => d.includes('"content":"Hel"')), "what was streamed stays");
  assert.equal(logged.length, 1);
  assert.equal(logged[0].requestId, "chat-1");
  assert.ok(logged[0].error instanceof TypeError);
  assert.equal(runs.size, 0, "the run is finished");
});

Deno.test("a Responses stream whose save fails ends with error, response.failed and [DONE], logged", async () => {
  const logged: { requestId: string; error: unknown }[] = [];
  await using s = await startResponsesServer({
    onUnexpectedError: (error, ctx) => logged.push({ requestId: ctx.requestId, error }),
  });
  s.store.save = () =>
    Promise.reject(new Error("Cannot store the turn", { cause: new Error("disk full") }));
  s.llm.enqueue({ text: "Hello" });
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${TEST_KEY}`,
      "Content-Type": "application/json",
      "X-Request-Id": "resp-1",
    },
    body: JSON.stringify({ model: "h", input: "hi", stream: true }),
  });
  assert.equal(res.status, 200);
  const frames = (await res.text()).split("\n\n").filter((f) =>
    f.startsWith("event:") || f.startsWith("data:")
  );
  assert.equal(frames.at(-1), "data: [DONE]");
  const events = frames.slice(0, -1).map((f) => JSON.parse(f.split("\n")[1].slice(6)));
  assert.deepEqual(events.slice(-2).map((e) => e.type), ["error", "response.failed"]);
  assert.ok(!events.some((e) => e.type === "response.completed"));
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
  const failed = events.at(-1).response;
  assert.equal(failed.status, "failed");
  assert.equal(failed.error.code, "internal_error");
  assert.equal(logged.length, 1);
  assert.equal(logged[0].requestId, "resp-1");
  assert.equal(((logged[0].error as Error).cause as Error).message, "disk full");
});

Deno.test("streaming off: a streamed Responses turn sends each item's text as one delta", async () => {
  await using s = await startResponsesServer({ streamTokens: false });
  s.llm.enqueue({ text: ["Hel", "lo ", "wor", "ld"] });
  const res = await fetch(`${s.url}/v1/responses`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "h", input: "hi", stream: true }),
  });
  const events = (await res.text()).split("\n\n").filter((f) => f.startsWith("event:"))
    .map((f) => JSON.parse(f.split("\n")[1].slice(6)));
  const deltas = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta);
  assert.deepEqual(deltas, ["Hello world"]);
  assert.equal(events.at(-1).type, "response.completed");
});
