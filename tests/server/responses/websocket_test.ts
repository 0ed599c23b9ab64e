import assert from "node:assert/strict";
import { originGuard } from "../../../server/guards/mod.ts";
import { TEST_KEY } from "../../fakes/test_server.ts";
import { startResponsesServer } from "./harness.ts";
import { SchemaSamples } from "./openresponses_schema.ts";
import { connectResponses, type SocketMessage } from "./ws_client.ts";

const textOf = (m: { content: unknown }) =>
  typeof m.content === "string"
    ? m.content
    : (m.content as { text?: string }[] ?? []).map((p) => p.text ?? "").join("");

const samples = new SchemaSamples();

function terminal(turn: SocketMessage[]): SocketMessage {
  return turn.at(-1)!;
}

Deno.test("a WebSocket response.create gets the SSE events, numbered, ending in response.completed", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ text: ["Hel", "lo"] });
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", input: "hi" });
  const turn = await ws.nextTurn();
  assert.deepEqual(turn.map((e) => e.sequence_number), turn.map((_, i) => i));
  assert.deepEqual(turn.slice(0, 2).map((e) => e.type), [
    "response.created",
    "response.in_progress",
  ]);
  assert.deepEqual(
    turn.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta),
    ["Hel", "lo"],
  );
  const done = terminal(turn);
  assert.equal(done.type, "response.completed");
  assert.equal(done.response.output[0].content[0].text, "Hello");
  samples.events(turn as { type: string }[], "websocket");
  samples.response(done.response);
});

Deno.test("WebSocket turns run one at a time, in the order they were sent", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ text: "first", chunkDelayMs: 20 }, { text: "second" });
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", store: false, input: "one" });
  ws.send({ model: "herald", store: false, input: "two" });
  const first = await ws.nextTurn();
  const second = await ws.nextTurn();
  assert.equal(terminal(first).response.output[0].content[0].text, "first");
  assert.equal(terminal(second).response.output[0].content[0].text, "second");
  // The second turn's events all came after the first turn's terminal event.
  assert.equal(second[0].type, "response.created");
  assert.equal(second[0].sequence_number, 0);
  assert.equal(s.llm.requests.length, 2);
});

Deno.test("a store:false chain continues on the same WebSocket with previous_response_id", async () => {
  await using s = await startResponsesServer();
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", store: false, input: "Remember: cobalt", instructions: "Be brief." });
  const first = terminal(await ws.nextTurn()).response;
  ws.send({ model: "herald", store: false, previous_response_id: first.id, input: "Code word?" });
  const second = terminal(await ws.nextTurn());
  assert.equal(second.type, "response.completed");
  assert.equal(second.response.previous_response_id, first.id);
  assert.equal(second.response.instructions, "Be brief.");
  const sent = s.llm.requests[1].body.messages.map(textOf);
  assert.ok(sent.includes("Remember: cobalt"), "the first turn's input reached the model");
  assert.ok(sent.includes("echo: Remember: cobalt"), "the first turn's answer reached the model");
  assert.equal(sent.at(-1), "Code word?");
  // Never stored: over HTTP the response does not exist.
  const res = await fetch(`${s.url}/v1/responses/${first.id}`, {
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  assert.equal(res.status, 404);
  await res.body?.cancel();
});

Deno.test("a store:false response is not known on another connection: previous_response_not_found", async () => {
  await using s = await startResponsesServer();
  let id: string;
  {
    await using ws = await connectResponses(s.url);
    ws.send({ model: "herald", store: false, input: "hi" });
    id = terminal(await ws.nextTurn()).response.id;
  }
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", store: false, previous_response_id: id, input: "again" });
  const [error] = await ws.nextTurn();
  assert.deepEqual(error, {
    type: "error",
    status: 400,
    error: {
      type: "invalid_request_error",
      code: "previous_response_not_found",
      message: `Previous response with id '${id}' not found.`,
      param: "previous_response_id",
    },
  });
  // The connection stays usable.
  ws.send({ model: "herald", store: false, input: "fresh start" });
  assert.equal(terminal(await ws.nextTurn()).type, "response.completed");
});

Deno.test("a failed continuation evicts the response it continued", async () => {
  await using s = await startResponsesServer();
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", store: false, input: "hi" });
  const id = terminal(await ws.nextTurn()).response.id;
  ws.send({
    model: "herald",
    store: false,
    previous_response_id: id,
    input: [{ type: "function_call_output", call_id: "call_missing", output: "x" }],
  });
  const [failed] = await ws.nextTurn();
  assert.equal(failed.type, "error");
  assert.equal(failed.status, 400);
  assert.match(failed.error.message, /call_missing/);
  assert.equal(failed.error.param, "input[0].call_id");
  ws.send({ model: "herald", store: false, previous_response_id: id, input: "stale" });
  const [stale] = await ws.nextTurn();
  assert.equal(stale.error.code, "previous_response_not_found");
  assert.equal(s.llm.requests.length, 1, "neither failed turn reached the model");
});

Deno.test("stored WebSocket responses are retrievable over HTTP and chain from HTTP ones", async () => {
  await using s = await startResponsesServer();
  const http = await s.client.responses.create({ model: "herald", input: "over http" });
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", previous_response_id: http.id, input: "over ws" });
  const done = terminal(await ws.nextTurn()).response;
  const fetched = await s.client.responses.retrieve(done.id);
  assert.equal(fetched.output_text, "echo: over ws");
  assert.equal(fetched.previous_response_id, http.id);
  assert.ok(s.llm.requests[1].body.messages.map(textOf).includes("over http"));
});

Deno.test("compaction output starts a new WebSocket chain", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ text: "Summary: the code word is slate." });
  const res = await fetch(`${s.url}/v1/responses/compact`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "herald",
      input: [
        { role: "user", content: "Remember the code word: slate." },
        { role: "assistant", content: "OK." },
      ],
    }),
  });
  assert.equal(res.status, 200);
  const compacted = await res.json();
  await using ws = await connectResponses(s.url);
  ws.send({
    model: "herald",
    store: false,
    input: [...compacted.output, { role: "user", content: "Continue." }],
  });
  const done = terminal(await ws.nextTurn());
  assert.equal(done.type, "response.completed");
  const sent = s.llm.requests.at(-1)!.body.messages.map(textOf).join("\n");
  assert.match(sent, /slate/);
});

Deno.test("closing the WebSocket aborts the running turn upstream", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ hang: true });
  const ws = await connectResponses(s.url);
  ws.send({ model: "herald", input: "wait" });
  await s.llm.waitForRequests(1);
  await ws.close();
  await s.llm.waitForCancelledStreams(1);
  await s.runs.idle();
  assert.equal(s.runs.size, 0);
});

Deno.test("a WebSocket from a foreign Origin is refused before the upgrade", async () => {
  await using s = await startResponsesServer({
    middleware: [originGuard({ origins: ["https://chat.example.com"] })],
  });
  // The handshake as a browser on evil.example would send it.
  const key = btoa("0123456789abcdef");
  const res = await fetch(`${s.url}/v1/responses`, {
    headers: {
      Authorization: `Bearer ${TEST_KEY}`,
      Origin: "https://evil.example",
      Connection: "Upgrade",
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": key,
    },
  });
  assert.equal(res.status, 403);
  assert.equal((await res.json()).error.code, "origin_not_allowed");
  await assert.rejects(
    connectResponses(s.url, { headers: { Origin: "https://evil.example" } }),
  );
  assert.equal(s.llm.requests.length, 0);
  // A listed origin connects.
  await using ws = await connectResponses(s.url, {
    headers: { Origin: "https://chat.example.com" },
  });
  ws.send({ model: "herald", input: "hi" });
  assert.equal(terminal(await ws.nextTurn()).type, "response.completed");
});

Deno.test("a WebSocket without the bearer key is refused", async () => {
  await using s = await startResponsesServer();
  await assert.rejects(connectResponses(s.url, { key: "wrong-key-0123456789" }));
  const res = await fetch(`${s.url}/v1/responses`, { headers: { Upgrade: "websocket" } });
  assert.equal(res.status, 401);
  await res.body?.cancel();
});

Deno.test("GET /v1/responses without an upgrade says to use a WebSocket", async () => {
  await using s = await startResponsesServer();
  const res = await fetch(`${s.url}/v1/responses`, {
    headers: { Authorization: `Bearer ${TEST_KEY}` },
  });
  assert.equal(res.status, 426);
  assert.equal((await res.json()).error.code, "upgrade_required");
});

Deno.test("bad WebSocket messages get error envelopes and the connection stays open", async () => {
  await using s = await startResponsesServer();
  await using ws = await connectResponses(s.url);
  ws.socket.send("not json");
  assert.equal((await ws.next()).error.code, "invalid_json");
  ws.socket.send(JSON.stringify({ type: "session.update" }));
  const wrongType = await ws.next();
  assert.equal(wrongType.status, 400);
  assert.equal(wrongType.error.param, "type");
  ws.send({ model: "herald" });
  const missing = await ws.next();
  assert.equal(missing.error.code, "missing_required_parameter");
  assert.equal(missing.error.param, "input");
  ws.send({ model: "herald", input: "hi", background: true });
  assert.equal((await ws.next()).error.param, "background");
  ws.send({ model: "herald", input: "hi", stream: true });
  assert.equal(terminal(await ws.nextTurn()).type, "response.completed");
});

Deno.test("a WebSocket ends with websocket_connection_limit_reached at its age limit", async () => {
  // 0.001 minutes: 60 ms.
  await using s = await startResponsesServer({ websocketMaxMinutes: 0.001 });
  const ws = await connectResponses(s.url);
  const message = await ws.next();
  assert.equal(message.type, "error");
  assert.equal(message.error.code, "websocket_connection_limit_reached");
  assert.equal(await ws.closed, 1000);
});

Deno.test("with streaming off a WebSocket turn gets each item's text as one delta", async () => {
  await using s = await startResponsesServer({ coalesceMs: 2e9 });
  s.llm.enqueue({ text: ["one ", "two ", "three"] });
  await using ws = await connectResponses(s.url);
  ws.send({ model: "herald", input: "hi" });
  const turn = await ws.nextTurn();
  assert.deepEqual(
    turn.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta),
    ["one two three"],
  );
});

Deno.test("WebSocket turns count against max_concurrent_runs: one too many gets a 429 envelope", async () => {
  await using s = await startResponsesServer({ maxConcurrentRuns: 1 });
  s.llm.enqueue({ hang: true });
  await using busy = await connectResponses(s.url);
  busy.send({ model: "herald", input: "wait" });
  await s.llm.waitForRequests(1);
  await using other = await connectResponses(s.url);
  other.send({ model: "herald", input: "me too" });
  const [refused] = await other.nextTurn();
  assert.equal(refused.status, 429);
  assert.equal(refused.error.code, "rate_limit_exceeded");
  assert.equal(s.llm.requests.length, 1);
});

samples.test("WebSocket events and responses above match the Open Responses schema");

Deno.test("a WebSocket message over the body limit is a body_too_large error; the socket stays usable", async () => {
  await using s = await startResponsesServer();
  await using ws = await connectResponses(s.url);
  const image = `data:image/png;base64,${"A".repeat(11 * 1024 * 1024)}`;
  ws.send({
    model: "herald",
    input: [{ role: "user", content: [{ type: "input_image", image_url: image }] }],
  });
  const [error] = await ws.nextTurn();
  assert.equal(error.type, "error");
  assert.equal(error.status, 413);
  assert.equal(error.error.code, "body_too_large");
  assert.match(error.error.message, /10485760-byte limit \(10 MB\)/);
  assert.equal(s.llm.requests.length, 0);
  ws.send({ model: "herald", input: "still there?" });
  assert.equal(terminal(await ws.nextTurn()).type, "response.completed");
});
