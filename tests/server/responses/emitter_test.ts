import assert from "node:assert/strict";
import { startResponsesServer } from "./harness.ts";
import { SchemaSamples } from "./openresponses_schema.ts";

/** What the tests below saw, validated against the Open Responses schema by the last test. */
const samples = new SchemaSamples();

Deno.test("upstream reasoning becomes a reasoning item with summary events, before the message", async () => {
  await using s = await startResponsesServer();
  s.llm.enqueue({ reasoning: "The user greets; greet back.", text: "Hello!" });
  const stream = s.client.responses.stream({ model: "h", input: "hi" });
  const seen: { type: string; sequence_number: number }[] = [];
  let summary = "";
  stream.on("event", (e) => seen.push(e));
  stream.on("response.reasoning_summary_text.delta", (e) => summary += e.delta);
  const final = await stream.finalResponse();
  assert.equal(summary, "The user greets; greet back.");
  assert.deepEqual(final.output.map((i) => i.type), ["reasoning", "message"]);
  const reasoning = final.output[0] as { id: string; summary: { type: string; text: string }[] };
  assert.match(reasoning.id, /^rs_/);
  assert.deepEqual(reasoning.summary, [{ type: "summary_text", text: summary }]);
  assert.equal(final.output_text, "Hello!");
  assert.deepEqual(seen.slice(2, 5).map((e) => e.type), [
    "response.output_item.added",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
  ]);
  samples.events(seen);
  samples.response(final);
  // Stored with the response, and left out of the context of the next turn.
  const stored = await s.client.responses.retrieve(final.id);
  assert.deepEqual(stored.output.map((i) => i.type), ["reasoning", "message"]);
  await s.client.responses.create({ model: "h", input: "again", previous_response_id: final.id });
  const roles = s.llm.requests.at(-1)!.body.messages.map((m: { role: string }) => m.role);
  assert.deepEqual(roles, ["system", "user", "assistant", "user"]);
});

samples.test("emitted events and responses above match the Open Responses schema");
