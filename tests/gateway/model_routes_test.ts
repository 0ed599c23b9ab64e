import assert from "node:assert/strict";
import OpenAI from "openai";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";

const KEY = "routes-key-0123456789abcdef";

/** A gateway whose default upstream is `main`, with two routes: one on it, one on `local`. */
async function routedGateway(extraYaml = "") {
  const main = await FakeLlm.start();
  const local = await FakeLlm.start();
  const started = await startTestGateway({
    upstream: main.baseUrl,
    key: KEY,
    env: { OPENAI_API_KEY: "sk-main-upstream-key" },
    configYaml: `models:
  herald-fast: { model: fast-model }
  herald-local: { model: "qwen3:8b", base_url: "${local.baseUrl}", api_key: "local-key" }
${extraYaml}`,
  });
  const client = new OpenAI({
    baseURL: `${started.gateway.url}/v1`,
    apiKey: KEY,
    maxRetries: 0,
  });
  const close = async () => {
    await started.close();
    await main.close();
    await local.close();
  };
  return { main, local, client, started, [Symbol.asyncDispose]: close };
}

Deno.test("/v1/models lists the default name and every route", async () => {
  await using g = await routedGateway();
  const ids = [];
  for await (const model of g.client.models.list()) ids.push(model.id);
  assert.deepEqual(ids, ["herald", "herald-fast", "herald-local"]);
  assert.equal((await g.client.models.retrieve("herald-local")).id, "herald-local");
  await assert.rejects(g.client.models.retrieve("nope"), OpenAI.NotFoundError);
  assert.match(g.started.log.join("\n"), /routes: herald-fast, herald-local/);
});

Deno.test("a request's model selects the route; the response reports the name asked for", async () => {
  await using g = await routedGateway();
  const fast = await g.client.chat.completions.create({
    model: "herald-fast",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(fast.model, "herald-fast");
  assert.equal(g.main.requests.at(-1)!.body.model, "fast-model");
  assert.equal(g.main.requests.at(-1)!.headers.get("authorization"), "Bearer sk-main-upstream-key");

  const local = await g.client.responses.create({ model: "herald-local", input: "hi" });
  assert.equal(local.model, "herald-local");
  assert.equal(local.output_text, "echo: hi");
  assert.equal(g.local.requests.length, 1);
  assert.equal(g.local.requests[0].body.model, "qwen3:8b");
  assert.equal(g.local.requests[0].headers.get("authorization"), "Bearer local-key");

  // `herald` always means the default model.
  await g.client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(g.main.requests.at(-1)!.body.model, "fake-model");
});

Deno.test("a stream and a WebSocket turn run on the selected route too", async () => {
  await using g = await routedGateway();
  const stream = await g.client.chat.completions.create({
    model: "herald-local",
    messages: [{ role: "user", content: "stream" }],
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  assert.equal(text, "echo: stream");
  assert.equal(g.local.requests.length, 1);

  const ws = new WebSocket(`${g.started.gateway.url.replace("http", "ws")}/v1/responses`, {
    headers: { Authorization: `Bearer ${KEY}` },
  } as unknown as string[]);
  await new Promise((resolve) => ws.onopen = resolve);
  const done = new Promise<Record<string, unknown>>((resolve) => {
    ws.onmessage = (m) => {
      const event = JSON.parse(m.data);
      if (event.type === "response.completed") resolve(event.response);
    };
  });
  ws.send(JSON.stringify({ type: "response.create", model: "herald-local", input: "ws" }));
  assert.equal((await done).model, "herald-local");
  assert.equal(g.local.requests.length, 2);
  const closed = new Promise((resolve) => ws.onclose = resolve);
  ws.close();
  await closed;
});

Deno.test("an unknown model runs on the default route by default", async () => {
  await using g = await routedGateway();
  const r = await g.client.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(r.model, "gpt-4o");
  assert.equal(g.main.requests.at(-1)!.body.model, "fake-model");
});

Deno.test("with unknown_model: reject an unknown model is 404 model_not_found", async () => {
  await using g = await routedGateway("api_server:\n  unknown_model: reject\n");
  const chat = await g.client.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: "hi" }],
  }).catch((e) => e);
  assert.ok(chat instanceof OpenAI.NotFoundError);
  assert.equal(chat.code, "model_not_found");
  assert.equal(chat.param, "model");
  assert.match(chat.message, /herald, herald-fast, herald-local/);
  const responses = await g.client.responses.create({ model: "gpt-4o", input: "hi" })
    .catch((e) => e);
  assert.ok(responses instanceof OpenAI.NotFoundError);
  assert.equal(g.main.requests.length + g.local.requests.length, 0);
  // Known names still work.
  const ok = await g.client.responses.create({ model: "herald-fast", input: "hi" });
  assert.equal(ok.status, "completed");
});

Deno.test("POST /v1/embeddings goes to the selected route's upstream with its key", async () => {
  await using g = await routedGateway();
  const local = await g.client.embeddings.create({ model: "herald-local", input: ["abc", "z"] });
  assert.equal(local.model, "herald-local");
  assert.deepEqual(local.data.map((d) => d.embedding), [[3, 97, 0.5], [1, 122, 0.5]]);
  assert.equal(g.local.embeddingRequests.length, 1);
  assert.equal(g.local.embeddingRequests[0].body.model, "qwen3:8b");
  assert.equal(g.local.embeddingRequests[0].headers.get("authorization"), "Bearer local-key");

  // A name that is no route is the client's own embedding model on the default upstream.
  const other = await g.client.embeddings.create({
    model: "text-embedding-3-small",
    input: "hello",
  });
  assert.equal(other.model, "text-embedding-3-small");
  assert.equal(g.main.embeddingRequests[0].body.model, "text-embedding-3-small");
  assert.equal(
    g.main.embeddingRequests[0].headers.get("authorization"),
    "Bearer sk-main-upstream-key",
  );
});

Deno.test("embeddings need the gateway key and an input", async () => {
  await using g = await routedGateway();
  const url = `${g.started.gateway.url}/v1/embeddings`;
  const noKey = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "herald", input: "x" }),
  });
  assert.equal(noKey.status, 401);
  await noKey.body?.cancel();
  const noInput = await g.client.embeddings.create({ model: "herald" } as never).catch((e) => e);
  assert.ok(noInput instanceof OpenAI.BadRequestError);
  assert.equal(noInput.param, "input");
  assert.equal(g.main.embeddingRequests.length + g.local.embeddingRequests.length, 0);
});

Deno.test("shutdown closes an idle Responses WebSocket with 1001", async () => {
  await using g = await routedGateway();
  const ws = new WebSocket(`${g.started.gateway.url.replace("http", "ws")}/v1/responses`, {
    headers: { Authorization: `Bearer ${KEY}` },
  } as unknown as string[]);
  await new Promise((resolve) => ws.onopen = resolve);
  const closed = new Promise<number>((resolve) => ws.onclose = (e) => resolve(e.code));
  await g.started.gateway.shutdown();
  assert.equal(await closed, 1001);
});
