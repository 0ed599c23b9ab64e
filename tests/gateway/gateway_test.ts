/**
 * The hardening rules checked through the whole gateway as `herald serve` builds it
 * (`startGateway` on a temporary HERALD_HOME with a config.yaml), not through a hand-made app:
 * the banner, idempotency, body limits, concurrency, CORS, Host, headers, request ids,
 * fallbacks from config.yaml and upstream errors that never carry the upstream key.
 */
import assert from "node:assert/strict";
import type { Gateway } from "../../gateway/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";

const KEY = "gateway-key-5c0e7a93d1b4f268";
const AUTH = { Authorization: `Bearer ${KEY}` };
const JSON_AUTH = { ...AUTH, "Content-Type": "application/json" };
const UPSTREAM_KEY = "sk-upstream-secret-9f8e7d6c5b4a";

interface Running {
  gateway: Gateway;
  banner: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a real gateway whose config.yaml holds `yaml`, with the upstream at `baseUrl`. */
async function start(baseUrl: string, yaml = "", env: Record<string, string> = {}) {
  const started = await startTestGateway({
    upstream: baseUrl,
    key: KEY,
    configYaml: yaml,
    env,
  });
  return {
    gateway: started.gateway,
    banner: started.log.join("\n"),
    [Symbol.asyncDispose]: started.close,
  } satisfies Running;
}

function chat(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    signal,
    headers: { ...JSON_AUTH, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const hello = { model: "herald", messages: [{ role: "user", content: "hello" }] };

Deno.test("the banner lists the URL, the model id, the upstream with its model, and the key", async () => {
  await using llm = await FakeLlm.start();
  await using g = await start(llm.baseUrl);
  assert.ok(g.banner.includes(`${g.gateway.url}/v1`), g.banner);
  assert.match(g.banner, /Model id +herald/);
  assert.ok(g.banner.includes(`Web chat    ${g.gateway.url}/ `), g.banner);
  assert.ok(g.banner.includes(`${llm.baseUrl}  model fake-model`), g.banner);
  assert.match(g.banner, /API key +gate…f268/);
  assert.ok(!g.banner.includes(KEY), "a configured key is masked");
});

Deno.test("an Idempotency-Key replays the first answer and runs the agent once", async () => {
  await using llm = await FakeLlm.start();
  llm.respondWith((_req, i) => ({ text: `answer ${i}` }));
  await using g = await start(llm.baseUrl);
  const first = await chat(g.gateway.url, hello, { "Idempotency-Key": "k-1" });
  assert.equal(first.status, 200);
  const firstJson = await first.json();
  const again = await chat(g.gateway.url, hello, { "Idempotency-Key": "k-1" });
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), firstJson);
  assert.equal(firstJson.choices[0].message.content, "answer 0");
  assert.equal(llm.requests.length, 1);
  // A different key is new work.
  const other = await chat(g.gateway.url, hello, { "Idempotency-Key": "k-2" });
  assert.equal((await other.json()).choices[0].message.content, "answer 1");
});

Deno.test("a body over 10 MB gets 413, declared by Content-Length or sent chunked", async () => {
  await using llm = await FakeLlm.start();
  await using g = await start(llm.baseUrl);
  const big = JSON.stringify({
    ...hello,
    messages: [{ role: "user", content: "x".repeat(10 * 1024 * 1024 + 10) }],
  });
  const declared = await chat(g.gateway.url, big);
  assert.equal(declared.status, 413);
  assert.equal((await declared.json()).error.type, "invalid_request_error");
  const bytes = new TextEncoder().encode(big);
  const chunked = await fetch(`${g.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: JSON_AUTH,
    // Several pieces and no Content-Length: the limit must hold while reading.
    body: ReadableStream.from(
      Array.from({ length: 11 }, (_, i) => bytes.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024)),
    ),
  });
  assert.equal(chunked.status, 413);
  await chunked.body?.cancel();
  assert.equal(llm.requests.length, 0);
});

Deno.test("runs beyond api_server.max_concurrent_runs get 429 with Retry-After", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ hang: true });
  await using g = await start(llm.baseUrl, "api_server:\n  max_concurrent_runs: 1\n");
  // The first run holds the only slot while the upstream keeps it waiting.
  const controller = new AbortController();
  const running = chat(g.gateway.url, hello, {}, controller.signal).catch((e) => e);
  await llm.waitForRequests(1);
  const refused = await chat(g.gateway.url, hello);
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  assert.equal((await refused.json()).error.type, "rate_limit_error");
  controller.abort();
  assert.ok(await running instanceof Error);
  await llm.waitForCancelledStreams(1);
});

Deno.test("a preflight from an allowed origin allows x-stainless-* headers for 600 s", async () => {
  await using llm = await FakeLlm.start();
  await using g = await start(llm.baseUrl, "", {
    API_SERVER_CORS_ORIGINS: "https://app.example",
  });
  const res = await fetch(`${g.gateway.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: {
      Origin: "https://app.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers":
        "authorization, content-type, idempotency-key, x-stainless-os, x-stainless-lang",
    },
  });
  await res.body?.cancel();
  assert.ok(res.status === 204 || res.status === 200, String(res.status));
  assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
  assert.equal(res.headers.get("access-control-max-age"), "600");
  assert.match(res.headers.get("vary") ?? "", /Origin/i);
  const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
  for (const h of ["authorization", "content-type", "idempotency-key", "x-stainless-os"]) {
    assert.ok(allowed.includes(h), `${h} in ${allowed}`);
  }
  const methods = res.headers.get("access-control-allow-methods") ?? "";
  for (const m of ["GET", "POST", "DELETE", "OPTIONS"]) assert.ok(methods.includes(m), methods);

  const evil = await fetch(`${g.gateway.url}/v1/models`, {
    headers: { ...AUTH, Origin: "https://evil.example" },
  });
  await evil.body?.cancel();
  assert.equal(evil.status, 403);
});

Deno.test("a rebinding Host gets 421; loopback names pass", async () => {
  await using llm = await FakeLlm.start();
  await using g = await start(llm.baseUrl);
  const port = new URL(g.gateway.url).port;
  const status = async (host: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    try {
      await conn.write(
        new TextEncoder().encode(
          `GET /v1/models HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${KEY}\r\n` +
            "Connection: close\r\n\r\n",
        ),
      );
      const text = await new Response(conn.readable).text();
      return Number(text.split(" ")[1]);
    } catch (e) {
      conn.close();
      throw e;
    }
  };
  assert.equal(await status("evil.example"), 421);
  assert.equal(await status(`localhost:${port}`), 200);
});

Deno.test("event streams carry the security headers and echo X-Request-Id", async () => {
  await using llm = await FakeLlm.start();
  await using g = await start(llm.baseUrl);
  const res = await chat(g.gateway.url, { ...hello, stream: true }, { "X-Request-Id": "req-42" });
  assert.equal(res.headers.get("content-type")?.split(";")[0], "text/event-stream");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  assert.match(res.headers.get("content-security-policy") ?? "", /^default-src 'none'(;|$)/);
  assert.equal(res.headers.get("x-request-id"), "req-42");
  assert.ok((await res.text()).endsWith("data: [DONE]\n\n"));
});

Deno.test("model.fallbacks from config.yaml take over when the primary fails", async () => {
  await using primary = await FakeLlm.start();
  await using fallback = await FakeLlm.start();
  primary.respondWith(() => ({ status: 500 }));
  fallback.respondWith(() => ({ text: "from fallback" }));
  await using g = await start(
    primary.baseUrl,
    `model:\n  fallbacks:\n    - name: backup-model\n      base_url: ${fallback.baseUrl}\n`,
  );
  const res = await chat(g.gateway.url, hello);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).choices[0].message.content, "from fallback");
  assert.ok(primary.requests.length >= 1);
  assert.equal(fallback.requests[0].body.model, "backup-model");
});

Deno.test("an upstream error that echoes the Authorization header never shows the key", async () => {
  await using llm = await FakeLlm.start();
  llm.respondWith((req) => ({
    status: 401,
    errorMessage: `bad credentials: ${req.headers.get("authorization")}`,
  }));
  await using g = await start(llm.baseUrl, "", { OPENAI_API_KEY: UPSTREAM_KEY });
  const plain = await chat(g.gateway.url, hello);
  const plainText = await plain.text();
  assert.equal(llm.requests[0].headers.get("authorization"), `Bearer ${UPSTREAM_KEY}`);
  assert.ok(plain.status >= 500, String(plain.status));
  assert.ok(plainText.includes(llm.baseUrl), plainText);
  assert.ok(plainText.includes("401"), plainText);
  assert.ok(!plainText.includes(UPSTREAM_KEY), plainText);
  assert.ok(!plainText.includes("9f8e7d6c5b4a"), plainText);

  const streamed = await chat(g.gateway.url, { ...hello, stream: true });
  const streamedText = await streamed.text();
  assert.ok(streamedText.includes("401"), streamedText);
  assert.ok(!streamedText.includes(UPSTREAM_KEY), streamedText);
});

Deno.test("an upstream base URL with credentials is shown without them", async () => {
  await using llm = await FakeLlm.start();
  llm.respondWith(() => ({ status: 500 }));
  const withUser = llm.baseUrl.replace("http://", "http://user:pa55word-secret@");
  await using g = await start(withUser);
  const text = await (await chat(g.gateway.url, hello)).text();
  assert.ok(text.includes("500"), text);
  assert.ok(!text.includes("pa55word-secret"), text);
  assert.ok(!g.banner.includes("pa55word-secret"), g.banner);
});

Deno.test("the banner says how to pick an upstream when none is configured", async () => {
  await using llm = await FakeLlm.start();
  {
    await using g = await start(llm.baseUrl);
    assert.ok(!g.banner.includes("no upstream configured"), g.banner);
  }
  await using g = await start(llm.baseUrl, "", { OPENAI_BASE_URL: "" });
  assert.match(g.banner, /no upstream configured.*set OPENAI_BASE_URL/s);
});
