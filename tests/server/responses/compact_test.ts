import assert from "node:assert/strict";
import { TEST_KEY } from "../../fakes/test_server.ts";
import { openCompaction, sealCompaction } from "../../../server/responses/compaction.ts";
import { startResponsesServer } from "./harness.ts";
import { SchemaSamples } from "./openresponses_schema.ts";

/** What the tests below saw, validated against the Open Responses schema by the last test. */
const samples = new SchemaSamples();

async function post(url: string, body: unknown): Promise<Response> {
  return await fetch(`${url}/v1/responses/compact`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("compact summarises a stored chain with the LLM, offering no tools", async () => {
  await using s = await startResponsesServer();
  const first = await s.client.responses.create({ model: "h", input: "My cat is called Miso." });
  s.llm.enqueue({
    text: "The user's cat is Miso.",
    usage: { prompt_tokens: 40, completion_tokens: 6 },
  });
  const res = await post(s.url, {
    model: "h",
    previous_response_id: first.id,
    input: "And I live in Oslo.",
    prompt_cache_key: "k",
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.object, "response.compaction");
  samples.matches("CompactResource", body);
  assert.equal(typeof body.created_at, "number");
  assert.equal(body.usage.input_tokens, 40);
  const item = body.output.at(-1);
  assert.equal(item.type, "compaction");
  assert.match(item.id, /^cmp_/);
  assert.equal(openCompaction(item.encrypted_content), "The user's cat is Miso.");
  const sent = s.llm.requests.at(-1)!.body;
  assert.equal(sent.tools, undefined);
  const prompt = sent.messages.at(-1).content as string;
  assert.match(prompt, /User: My cat is called Miso\./);
  assert.match(prompt, /Assistant: echo: My cat is called Miso\./);
  assert.match(prompt, /User: And I live in Oslo\./);
});

Deno.test("a compaction item sent back as input expands into the summary", async () => {
  await using s = await startResponsesServer();
  const blob = sealCompaction("The user's cat is Miso.");
  const r = await s.client.responses.create({
    model: "h",
    input: [
      { type: "compaction", encrypted_content: blob } as never,
      { role: "user", content: "What is my cat called?" },
    ],
  });
  assert.equal(r.status, "completed");
  const sent = s.llm.requests.at(-1)!.body.messages.slice(1);
  assert.equal(sent[0].role, "user");
  assert.match(sent[0].content, /The user's cat is Miso\./);
  assert.equal(sent[1].content, "What is my cat called?");
  // Stored with an id, so it chains and lists like any input item.
  const items = await s.client.responses.inputItems.list(r.id, { order: "asc" });
  assert.equal(items.data[0].type as string, "compaction");
  assert.match(items.data[0].id, /^cmp_/);
});

Deno.test("compact without a model is a 400, and a foreign compaction blob is refused", async () => {
  await using s = await startResponsesServer();
  const missing = await post(s.url, { input: "hi" });
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error.param, "model");
  const unknown = await post(s.url, { model: "h", previous_response_id: "resp_nope" });
  assert.equal((await unknown.json()).error.code, "previous_response_not_found");
  const empty = await post(s.url, { model: "h" });
  assert.equal(empty.status, 400);
  await empty.body?.cancel();
  const foreign = await s.client.responses.create({
    model: "h",
    input: [
      { type: "compaction", encrypted_content: "gAAAA-openai-blob" } as never,
      { role: "user", content: "hi" },
    ],
  }).catch((e) => e);
  assert.equal(foreign.status, 400);
  assert.equal(foreign.code, "invalid_encrypted_content");
});

Deno.test("compaction blobs round-trip any text", () => {
  const text = "Ünïcödé ✓ and emoji 🐈 " + "x".repeat(100_000);
  assert.equal(openCompaction(sealCompaction(text)), text);
  assert.equal(openCompaction("herald.compaction.v1.!!!"), null);
  assert.equal(openCompaction(42), null);
});

samples.test("compaction results above match the Open Responses schema");
