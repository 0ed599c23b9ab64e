import assert from "node:assert/strict";
import { startResponsesServer } from "./harness.ts";

Deno.test("input_items returns message content as typed parts, as OpenAI does", async () => {
  await using s = await startResponsesServer();
  const r = await s.client.responses.create({
    model: "h",
    input: [
      { role: "system", content: "sys" },
      { role: "assistant", content: "before" },
      { role: "user", content: [{ type: "input_text", text: "now" }] },
    ],
  });
  const items = await s.client.responses.inputItems.list(r.id, { order: "asc" });
  assert.deepEqual(
    items.data.map((i) => ({ ...i, id: undefined })),
    [
      {
        id: undefined,
        type: "message",
        role: "system",
        status: "completed",
        content: [{ type: "input_text", text: "sys" }],
      },
      {
        id: undefined,
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "before", annotations: [] }],
      },
      {
        id: undefined,
        type: "message",
        role: "user",
        status: "completed",
        content: [{ type: "input_text", text: "now" }],
      },
    ],
  );
  const plain = await s.client.responses.create({ model: "h", input: "just a string" });
  const one = await s.client.responses.inputItems.list(plain.id);
  assert.deepEqual((one.data[0] as { content: unknown }).content, [
    { type: "input_text", text: "just a string" },
  ]);
});

Deno.test("an item_reference to an output message resolves to the stored assistant message", async () => {
  await using s = await startResponsesServer();
  const first = await s.client.responses.create({ model: "h", input: "alpha" });
  const second = await s.client.responses.create({
    model: "h",
    input: [{ type: "item_reference", id: first.output[0].id! }, { role: "user", content: "b" }],
  });
  const items = await s.client.responses.inputItems.list(second.id, { order: "asc" });
  assert.deepEqual(items.data[0], first.output[0]);
});

Deno.test("truncation auto drops the oldest turns to fit the context budget", async () => {
  await using s = await startResponsesServer({ contextTokens: 700 });
  let previous: string | undefined;
  for (let i = 0; i < 6; i++) {
    const r = await s.client.responses.create({
      model: "h",
      input: `${i} ${"w".repeat(400)}`,
      previous_response_id: previous,
      truncation: "auto",
    });
    assert.equal(r.truncation, "auto");
    previous = r.id;
  }
  const sent = s.llm.requests.at(-1)!.body.messages.slice(1);
  // ~105 tokens per message and 700 to spend: the new input and two whole earlier turns.
  assert.equal(sent.length, 5);
  assert.match(sent[0].content, /^3 /);
  assert.match(sent.at(-1).content, /^5 /);
  // Disabled (the default) sends the whole chain.
  await s.client.responses.create({ model: "h", input: "all", previous_response_id: previous });
  assert.equal(s.llm.requests.at(-1)!.body.messages.length, 1 + 12 + 1);
});
