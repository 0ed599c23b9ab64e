import assert from "node:assert/strict";
import { LlmClient, type LlmClientOptions } from "../../agent/llm_client.ts";
import { UpstreamError } from "../../agent/errors.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";

const TOOL = {
  type: "function",
  function: {
    name: "read_file",
    description: 'Reads a file "as is"\nwith quotes and a newline',
    parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
};

Deno.test("the upstream receives the body as JSON, tools and non-ASCII text intact, streamed or whole", async () => {
  await using fake = await FakeLlm.start();
  const llm = clientFor(fake.baseUrl);
  const messages = [{ role: "user" as const, content: 'héllo \u2028 😀 "quoted" 中文' }];
  const tools = [TOOL, { ...TOOL, function: { ...TOOL.function, name: "wrïte ✓" } }];
  // deno-lint-ignore no-explicit-any
  const request = { messages, tools: tools as any, temperature: 0.5 };
  for (const whole of [false, true, false]) {
    fake.enqueue({ text: "ok" });
    let text = "";
    for await (const batch of llm.streamBatches(request, new AbortController().signal, { whole })) {
      for (const chunk of batch) text += chunk.choices[0]?.delta?.content ?? "";
    }
    assert.equal(text, "ok");
    const req = fake.requests.at(-1)!;
    assert.equal(req.headers.get("content-type"), "application/json");
    assert.equal(req.headers.get("authorization"), "Bearer sk-test");
    assert.deepEqual(req.body, {
      messages,
      temperature: 0.5,
      model: "fake-model",
      stream: !whole,
      ...(!whole && { stream_options: { include_usage: true } }),
      tools,
    });
    assert.equal(Object.keys(req.body).at(-1), "tools");
  }
});

/** A client of the fake at `baseUrl` with generous timeouts and no retries, unless `options` say otherwise. */
function clientFor(baseUrl: string, options: Partial<LlmClientOptions> = {}): LlmClient {
  return new LlmClient({
    targets: [{ model: "fake-model", baseUrl, apiKey: "sk-test" }],
    connectTimeout: 60,
    firstTokenTimeout: 60,
    staleTimeout: 60,
    maxRetries: 0,
    ...options,
  });
}

/** The text of one streamed call. */
async function streamText(baseUrl: string, options: Partial<LlmClientOptions>): Promise<string> {
  const llm = clientFor(baseUrl, options);
  let text = "";
  const messages = [{ role: "user" as const, content: "hello" }];
  for await (const chunk of llm.stream({ messages }, new AbortController().signal)) {
    text += chunk.choices[0]?.delta?.content ?? "";
  }
  return text;
}

Deno.test("a stream whose headers do not come within connect_timeout fails as a connection timeout", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ text: "too late", delayMs: 1500 });
  const error = await streamText(fake.baseUrl, { connectTimeout: 0.2, firstTokenTimeout: 30 })
    .catch((e) => e);
  assert.ok(error instanceof UpstreamError, String(error));
  assert.equal(error.code, "upstream_timeout");
  assert.match(error.message, /did not answer in time/);
  assert.ok(!error.message.includes("sk-test"));
});

Deno.test("a connect timeout is retried, and headers that come in time are not cut off", async () => {
  await using fake = await FakeLlm.start();
  fake.enqueue({ text: "too late", delayMs: 1500 }, { text: "in time", delayMs: 50 });
  const text = await streamText(fake.baseUrl, {
    connectTimeout: 0.4,
    firstTokenTimeout: 30,
    maxRetries: 1,
  });
  assert.equal(text, "in time");
  assert.equal(fake.requests.length, 2);
});

Deno.test("a drain whose consumer throws rejects with that error and releases the upstream stream", async () => {
  await using fake = await FakeLlm.start();
  // The stream stays open after three chunks: only the client can end it.
  fake.enqueue({ text: ["one ", "two ", "three ", "four"], chunkDelayMs: 5, stallAfterChunks: 3 });
  const llm = clientFor(fake.baseUrl);
  const consumerError = new Error("the renderer failed");
  let batches = 0;
  const batchesOf = llm.streamBatches(
    { messages: [{ role: "user", content: "hello" }] },
    new AbortController().signal,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await assert.rejects(
      batchesOf.drain(() => {
        if (++batches === 2) throw consumerError;
      }),
      (error) => error === consumerError,
    );
    assert.equal(batches, 2);
    const released = await Promise.race([
      fake.waitForCancelledStreams(1).then(() => true),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 10_000)),
    ]);
    assert.ok(released, "the upstream stream was not closed");
  } finally {
    clearTimeout(timer);
    // Had it stayed open, the fake could not shut down.
    await batchesOf.return(undefined);
  }
});

Deno.test("events larger than a read, split across reads, with CRLF or a character cut in two arrive whole", async () => {
  const encoder = new TextEncoder();
  const chunk = (delta: { content?: string }, finish: string | null = null) =>
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const event = (content: string, eol = "\n") => `data: ${chunk({ content })}${eol}${eol}`;
  const long = "x".repeat(3000) + "é";
  const emoji = encoder.encode(event("😀 ok"));
  // Cut inside the emoji's four bytes.
  const cut = emoji.indexOf(0xf0) + 2;
  const pieces: Uint8Array[] = [
    encoder.encode(event(long)),
    emoji.subarray(0, cut),
    emoji.subarray(cut),
    encoder.encode(event(" crlf", "\r\n")),
    encoder.encode(`data: ${chunk({}, "stop")}\n\ndata: [DONE]\n\n`),
  ];
  await using server = Deno.serve({ port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // A pause between writes, so that each one is its own network read.
        if (i > 0) await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(pieces[i++]);
        if (i === pieces.length) controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  const baseUrl = `http://127.0.0.1:${server.addr.port}/v1`;
  const expected = long + "😀 ok crlf";
  const messages = [{ role: "user" as const, content: "hello" }];

  let pulled = "";
  for await (const chunk of clientFor(baseUrl).stream({ messages }, new AbortController().signal)) {
    pulled += chunk.choices[0]?.delta?.content ?? "";
  }
  assert.equal(pulled, expected);

  let pushed = "";
  let finish: string | null | undefined;
  await clientFor(baseUrl).streamBatches({ messages }, new AbortController().signal).drain(
    (batch) => {
      for (const chunk of batch) {
        pushed += chunk.choices[0]?.delta?.content ?? "";
        finish ??= chunk.choices[0]?.finish_reason;
      }
    },
  );
  assert.equal(pushed, expected);
  assert.equal(finish, "stop");
});
