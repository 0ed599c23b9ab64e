/**
 * An upstream that answered and then went away is reported as that, not as "no LLM reachable"
 * (which sends the user to fix a base URL that was right).
 */
import assert from "node:assert/strict";
import { LlmClient } from "../../agent/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

async function drain(client: LlmClient): Promise<void> {
  const request = { messages: [{ role: "user" as const, content: "hi" }] };
  for await (const _ of client.stream(request as never, new AbortController().signal)) { /* */ }
}

Deno.test("an upstream that answered earlier and then stops is not 'no LLM reachable'", async () => {
  const llm = await FakeLlm.start();
  const client = new LlmClient({
    targets: [{ model: "fake-model", baseUrl: llm.baseUrl }],
    connectTimeout: 60,
    firstTokenTimeout: 60,
    staleTimeout: 60,
    maxRetries: 0,
  });
  await drain(client);
  await llm.close();
  await assert.rejects(drain(client), (error: Error) => {
    assert.match(error.message, /stopped answering \(it answered earlier\)/);
    assert.doesNotMatch(error.message, /no LLM reachable/);
    return true;
  });
});

Deno.test("an upstream never reached is still 'no LLM reachable: set OPENAI_BASE_URL'", async () => {
  const client = new LlmClient({
    targets: [{ model: "m", baseUrl: "http://127.0.0.1:9/v1" }],
    connectTimeout: 60,
    firstTokenTimeout: 60,
    staleTimeout: 60,
    maxRetries: 0,
  });
  await assert.rejects(drain(client), /no LLM reachable at http:\/\/127\.0\.0\.1:9\/v1/);
});
