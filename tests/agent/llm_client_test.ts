import assert from "node:assert/strict";
import { LlmClient, serialiseBody } from "../../agent/llm_client.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

const TOOL = {
  type: "function",
  function: {
    name: "read_file",
    description: 'Reads a file "as is"\nwith quotes and a newline',
    parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
};

Deno.test("serialiseBody is the same JSON as JSON.stringify, tools last", () => {
  const body = {
    model: "m",
    messages: [{ role: "user", content: 'hi \u2028 "there"' }],
    tools: [TOOL, { ...TOOL, function: { ...TOOL.function, name: "write_file" } }],
    temperature: 0.2,
    stream: true,
    skipped: undefined,
  };
  const text = serialiseBody(body);
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(body)));
  assert.equal(Object.keys(JSON.parse(text)).at(-1), "tools");
  assert.ok(!text.includes("skipped"));
  // The same declaration objects again: the same text.
  assert.equal(serialiseBody(body), text);
  // No tools, an empty list, or only tools: still plain JSON.
  assert.equal(serialiseBody({ model: "m", tools: [] }), JSON.stringify({ model: "m", tools: [] }));
  assert.equal(serialiseBody({ model: "m" }), '{"model":"m"}');
  assert.deepEqual(JSON.parse(serialiseBody({ tools: [TOOL] })), { tools: [TOOL] });
});

Deno.test("a new declaration object is serialised afresh, not taken from the cache", () => {
  const first = { ...TOOL, function: { ...TOOL.function, description: "one" } };
  const second = { ...TOOL, function: { ...TOOL.function, description: "two" } };
  assert.match(serialiseBody({ tools: [first] }), /"one"/);
  assert.match(serialiseBody({ tools: [second] }), /"two"/);
});

Deno.test("the upstream receives the serialised body as JSON, tools and messages intact", async () => {
  const fake = await FakeLlm.start();
  try {
    const llm = new LlmClient({
      targets: [{ model: "fake-model", baseUrl: fake.baseUrl, apiKey: "sk-test" }],
      connectTimeout: 60,
      firstTokenTimeout: 60,
      staleTimeout: 60,
      maxRetries: 0,
    });
    const messages = [{ role: "user" as const, content: "hello" }];
    let text = "";
    for await (
      const chunk of llm.stream(
        // deno-lint-ignore no-explicit-any
        { messages, tools: [TOOL as any], temperature: 0.5 },
        new AbortController().signal,
      )
    ) text += chunk.choices[0]?.delta?.content ?? "";
    assert.ok(text.length > 0);
    const [req] = fake.requests;
    assert.equal(req.headers.get("content-type"), "application/json");
    assert.equal(req.headers.get("authorization"), "Bearer sk-test");
    assert.equal(req.body.model, "fake-model");
    assert.equal(req.body.stream, true);
    assert.deepEqual(req.body.stream_options, { include_usage: true });
    assert.equal(req.body.temperature, 0.5);
    assert.deepEqual(req.body.messages, messages);
    assert.deepEqual(req.body.tools, [TOOL]);
  } finally {
    await fake.close();
  }
});
