import assert from "node:assert/strict";
import OpenAI from "openai";
import { APIConnectionError, APIUserAbortError, BadRequestError } from "openai/core/error";
import { UpstreamClient } from "../../agent/upstream_client.ts";
import { JsonBody } from "../../agent/request_body.ts";

/** One request as the upstream saw it. */
interface Seen {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A loopback upstream that records every request and answers 200 (or `status`). */
function recordingUpstream(status = 200) {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      path: url.pathname + url.search,
      headers: Object.fromEntries(req.headers),
      body: await req.text(),
    });
    return status === 200
      ? Response.json({ ok: true })
      : Response.json({ error: { message: "bad temperature", param: "temperature" } }, { status });
  });
  return {
    seen,
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const JSON_HEADERS = { "content-type": "application/json" };
const BODY = JSON.stringify({ model: "m", messages: [{ role: "user", content: "héllo 😀" }] });

async function send(
  client: OpenAI,
  body: string | Uint8Array | JsonBody,
  signal?: AbortSignal,
) {
  const response = await client.post("/chat/completions", {
    body,
    headers: JSON_HEADERS,
    signal,
  }).asResponse();
  return await response.text();
}

Deno.test("UpstreamClient sends the headers and body the SDK's own client sends, on every request", async () => {
  await using upstream = recordingUpstream();
  Deno.env.set("OPENAI_ORG_ID", "org-test");
  Deno.env.set("OPENAI_PROJECT_ID", "proj-test");
  let sdk: OpenAI, ours: UpstreamClient;
  try {
    sdk = new OpenAI({ baseURL: upstream.baseUrl, apiKey: "sk-test", maxRetries: 0 });
    ours = new UpstreamClient({ baseURL: upstream.baseUrl, apiKey: "sk-test", maxRetries: 0 });
  } finally {
    Deno.env.delete("OPENAI_ORG_ID");
    Deno.env.delete("OPENAI_PROJECT_ID");
  }
  await send(sdk, BODY);
  // The first request has its headers built by the SDK; later ones reuse them.
  await send(ours, BODY);
  await send(ours, BODY);
  await send(ours, new TextEncoder().encode(BODY));
  const [expected, ...actual] = upstream.seen;
  const telemetry = Object.keys(expected.headers).filter((name) => name.startsWith("x-stainless-"));
  assert.ok(telemetry.length > 0, "the SDK's own client sends its telemetry headers");
  for (const name of telemetry) delete expected.headers[name];
  assert.equal(expected.headers["openai-organization"], "org-test");
  assert.equal(expected.headers["openai-project"], "proj-test");
  assert.equal(expected.headers["authorization"], "Bearer sk-test");
  assert.match(expected.headers["user-agent"], /^OpenAI\/JS /);
  for (const request of actual) {
    assert.deepEqual(request.headers, expected.headers);
    assert.equal(request.path, "/v1/chat/completions");
    assert.equal(request.body, BODY);
  }
});

Deno.test("UpstreamClient: a changed key is sent from the next request on", async () => {
  await using upstream = recordingUpstream();
  const client = new UpstreamClient({ baseURL: upstream.baseUrl, apiKey: "sk-one", maxRetries: 0 });
  await send(client, BODY);
  await send(client, BODY);
  client.apiKey = "sk-two";
  await send(client, BODY);
  assert.deepEqual(
    upstream.seen.map((request) => request.headers["authorization"]),
    ["Bearer sk-one", "Bearer sk-one", "Bearer sk-two"],
  );
});

Deno.test("UpstreamClient keeps a base URL's query on every request", async () => {
  await using upstream = recordingUpstream();
  const client = new UpstreamClient({
    baseURL: `${upstream.baseUrl}?api-version=2024-10-21`,
    apiKey: "sk-test",
    maxRetries: 0,
  });
  await send(client, BODY);
  await send(client, BODY);
  assert.deepEqual(upstream.seen.map((request) => request.path), [
    "/v1/chat/completions?api-version=2024-10-21",
    "/v1/chat/completions?api-version=2024-10-21",
  ]);
});

Deno.test("UpstreamClient fails as the SDK does: status, connection and abort errors", async () => {
  await using refusing = recordingUpstream(400);
  const client = new UpstreamClient({
    baseURL: refusing.baseUrl,
    apiKey: "sk-test",
    maxRetries: 0,
  });
  const refused = await send(client, BODY).catch((e) => e);
  assert.ok(refused instanceof BadRequestError, String(refused));
  assert.equal(refused.status, 400);
  assert.equal((refused.error as { param?: string }).param, "temperature");

  // Nothing listens on port 9 of the loopback.
  const nowhere = new UpstreamClient({
    baseURL: "http://127.0.0.1:9/v1",
    apiKey: "sk-test",
    maxRetries: 0,
  });
  const unreachable = await send(nowhere, BODY).catch((e) => e);
  assert.ok(unreachable instanceof APIConnectionError, String(unreachable));

  const controller = new AbortController();
  controller.abort(new Error("left"));
  const aborted = await send(client, BODY, controller.signal).catch((e) => e);
  assert.ok(aborted instanceof APIUserAbortError, String(aborted));
});

Deno.test("UpstreamClient: JSON bodies encoded as they are sent arrive intact, many at once and large", async () => {
  await using upstream = recordingUpstream();
  const client = new UpstreamClient({
    baseURL: upstream.baseUrl,
    apiKey: "sk-test",
    maxRetries: 0,
  });
  const tool = { type: "function", function: { name: "t", description: "ünï ✓ ".repeat(50) } };
  const bodies = Array.from({ length: 40 }, (_, i) => ({
    model: "m",
    // Sizes from a few bytes to past the shared buffer's 1 MB, some of them non-ASCII.
    messages: [{ role: "user", content: (i % 2 ? "é" : "a").repeat(i < 38 ? i * 997 : 700_000) }],
    tools: [tool],
  }));
  await Promise.all(bodies.map((body) => send(client, new JsonBody(body))));
  assert.equal(upstream.seen.length, bodies.length);
  const sent = new Set(bodies.map((body) => JSON.stringify(body)));
  for (const request of upstream.seen) {
    assert.ok(sent.delete(request.body), request.body.slice(0, 80));
  }
  assert.equal(sent.size, 0);
});

Deno.test("UpstreamClient: the SDK's debug log (OPENAI_LOG=debug) shows a body's length, not its text", async () => {
  await using upstream = recordingUpstream();
  Deno.env.set("OPENAI_LOG", "debug");
  let client: UpstreamClient;
  try {
    client = new UpstreamClient({ baseURL: upstream.baseUrl, apiKey: "sk-test", maxRetries: 0 });
  } finally {
    Deno.env.delete("OPENAI_LOG");
  }
  const logged: unknown[][] = [];
  const debug = console.debug;
  console.debug = (...args: unknown[]) => void logged.push(args);
  try {
    const body = { model: "m", messages: [{ role: "user", content: "a private question" }] };
    // The first request (headers built by the SDK) and a later one.
    await send(client, new JsonBody(body));
    await send(client, new JsonBody(body));
  } finally {
    console.debug = debug;
  }
  const sending = logged.filter(([message]) => String(message).includes("sending request"));
  assert.equal(sending.length, 2);
  for (const [, details] of sending) {
    const options = (details as { options: { body: unknown } }).options;
    assert.deepEqual(options.body, { type: "string", length: upstream.seen[0].body.length });
  }
  assert.ok(!JSON.stringify(logged).includes("a private question"));
});
