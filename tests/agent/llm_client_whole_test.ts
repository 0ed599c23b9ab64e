import assert from "node:assert/strict";
import { type LlmChunk, LlmClient, type LlmClientOptions } from "../../agent/llm_client.ts";
import { UpstreamError } from "../../agent/errors.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

const messages = [{ role: "user" as const, content: "hello" }];

function client(baseUrls: string[], options: Partial<LlmClientOptions> = {}): LlmClient {
  return new LlmClient({
    targets: baseUrls.map((baseUrl) => ({ model: "fake-model", baseUrl, apiKey: "sk-test" })),
    connectTimeout: 5,
    firstTokenTimeout: 5,
    staleTimeout: 5,
    maxRetries: 0,
    ...options,
  });
}

/** Every batch of one whole call. */
async function whole(
  llm: LlmClient,
  signal = new AbortController().signal,
): Promise<LlmChunk[][]> {
  const batches: LlmChunk[][] = [];
  for await (const batch of llm.streamBatches({ messages }, signal, { whole: true })) {
    batches.push(batch);
  }
  return batches;
}

Deno.test("a whole call asks the upstream for stream: false and yields the answer as one batch", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({
    text: "the whole answer",
    reasoning: "thought",
    usage: { prompt_tokens: 7, completion_tokens: 3 },
  });
  const batches = await whole(client([fake.baseUrl]));
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0].body.stream, false);
  assert.equal(fake.requests[0].body.stream_options, undefined);
  // Sent through the SDK, with the key, without its X-Stainless-* telemetry headers.
  const headers = fake.requests[0].headers;
  assert.equal(headers.get("authorization"), "Bearer sk-test");
  assert.match(headers.get("user-agent") ?? "", /^OpenAI\/JS /);
  assert.deepEqual([...headers.keys()].filter((name) => name.startsWith("x-stainless")), []);
  assert.equal(batches.length, 1);
  const [chunk] = batches[0];
  const delta = chunk.choices[0].delta as Record<string, unknown>;
  assert.equal(delta.content, "the whole answer");
  assert.equal(delta.reasoning_content, "thought");
  assert.equal(chunk.choices[0].finish_reason, "stop");
  assert.equal(chunk.usage?.completion_tokens, 3);
});

Deno.test("a whole call carries the model's tool calls with their ids and arguments", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ toolCalls: [{ name: "read_file", arguments: '{"path":"a.txt"}', id: "call_1" }] });
  const [[chunk]] = await whole(client([fake.baseUrl]));
  assert.deepEqual(chunk.choices[0].delta.tool_calls, [{
    index: 0,
    id: "call_1",
    type: "function",
    function: { name: "read_file", arguments: '{"path":"a.txt"}' },
  }]);
  assert.equal(chunk.choices[0].finish_reason, "tool_calls");
});

Deno.test("a whole answer that never comes fails with upstream_timeout naming llm.request_timeout", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ hang: true });
  const error = await whole(client([fake.baseUrl], { requestTimeout: 0.3 })).catch((e) => e);
  assert.ok(error instanceof UpstreamError, String(error));
  assert.equal(error.code, "upstream_timeout");
  assert.match(error.message, /no complete answer within 0\.3 s \(llm\.request_timeout\)/);
  assert.ok(!error.message.includes("sk-test"));
  // The hung request was abandoned, not left open.
  await fake.waitForCancelledStreams(1);
});

Deno.test("the request timeout also covers an upstream that sends no headers", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ text: "too late", delayMs: 1500 });
  const error = await whole(client([fake.baseUrl], { requestTimeout: 0.3 })).catch((e) => e);
  assert.ok(error instanceof UpstreamError, String(error));
  assert.equal(error.code, "upstream_timeout");
  assert.match(error.message, /llm\.request_timeout/);
});

Deno.test("a whole call is retried after a timeout, then answered", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ hang: true }, { text: "second time" });
  const llm = client([fake.baseUrl], { requestTimeout: 0.3, maxRetries: 1 });
  const [[chunk]] = await whole(llm);
  assert.equal(chunk.choices[0].delta.content, "second time");
  assert.equal(fake.requests.length, 2);
});

Deno.test("the caller leaving aborts a whole call with the caller's reason", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ hang: true });
  const controller = new AbortController();
  const pending = whole(client([fake.baseUrl]), controller.signal).catch((e) => e);
  await fake.waitForRequests(1);
  controller.abort(new Error("client disconnected"));
  const error = await pending;
  assert.equal(error.message, "client disconnected");
  await fake.waitForCancelledStreams(1);
});

Deno.test("a whole call moves on to the fallback model when the primary fails", async () => {
  await using primary = await FakeLlm.start();
  await using fallback = await FakeLlm.start();
  primary.enqueue({ status: 503 });
  fallback.enqueue({ text: "from the fallback" });
  const [[chunk]] = await whole(client([primary.baseUrl, fallback.baseUrl]));
  assert.equal(chunk.choices[0].delta.content, "from the fallback");
  assert.equal(primary.requests[0].body.stream, false);
  assert.equal(fallback.requests[0].body.stream, false);
});

Deno.test("a whole call maps upstream refusals and broken answers like a stream", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue(
    { status: 400, errorMessage: "temperature is not supported", errorParam: "temperature" },
    { text: "cut", dieAfterChunks: 0 },
    { status: 401, errorMessage: "bad key sk-test" },
  );
  const llm = client([fake.baseUrl]);
  const refused = await whole(llm).catch((e) => e);
  assert.equal(refused.code, "upstream_rejected_request");
  assert.equal(refused.request.param, "temperature");
  const broken = await whole(llm).catch((e) => e);
  assert.equal(broken.code, "upstream_error");
  assert.match(broken.message, /broke off its answer/);
  const unauthorised = await whole(llm).catch((e) => e);
  assert.equal(unauthorised.upstreamStatus, 401);
  assert.match(unauthorised.message, /check OPENAI_API_KEY/);
  assert.ok(!unauthorised.message.includes("sk-test"));
});

Deno.test("a whole answer's reasoning counts under either name upstreams give it", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{
          index: 0,
          message: { role: "assistant", content: "42", reasoning: "thought it over" },
          finish_reason: "stop",
        }],
      }),
  );
  try {
    const [[chunk]] = await whole(client([`http://127.0.0.1:${server.addr.port}/v1`]));
    const delta = chunk.choices[0].delta as Record<string, unknown>;
    assert.equal(delta.content, "42");
    assert.equal(delta.reasoning_content, "thought it over");
  } finally {
    await server.shutdown();
  }
});

Deno.test("without `whole`, the same client still streams", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ text: "streamed" });
  let text = "";
  for await (
    const chunk of client([fake.baseUrl]).stream({ messages }, new AbortController().signal)
  ) {
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  assert.equal(text, "streamed");
  assert.equal(fake.requests[0].body.stream, true);
});
