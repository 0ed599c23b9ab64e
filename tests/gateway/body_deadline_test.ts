/**
 * Every route of a whole gateway that reads a request body answers a body that stops arriving
 * with 408 body_timeout (api_server.body_timeout), whoever reads it: the JSON handlers, the
 * idempotency guard, the MCP endpoint. A complete body is still served after the change that
 * stopped copying the request.
 */
import assert from "node:assert/strict";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";
import { rawExchange } from "../server/guards/harness.ts";

const KEY = "deadline-key-3b7e91c0a5d2f846";

const ROUTES = [
  "/v1/chat/completions",
  "/v1/responses",
  "/v1/responses/compact",
  "/v1/conversations",
  "/v1/embeddings",
  "/mcp",
];

function stalledHead(path: string, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\n` +
    `Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${extra}` +
    `Content-Length: 200\r\nConnection: close\r\n\r\n{"mod`;
}

Deno.test("a stalled body gets 408 body_timeout on every route that reads one", async () => {
  await using llm = await FakeLlm.start();
  await using gw = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: "api_server:\n  body_timeout: 0.2\nmcp:\n  endpoint: true\n",
  });
  const port = Number(new URL(gw.gateway.url).port);
  const cases = [
    ...ROUTES.map((path) => ({ path, extra: "" })),
    { path: "/v1/chat/completions", extra: "Idempotency-Key: stalled-1\r\n" },
    { path: "/v1/responses", extra: "Idempotency-Key: stalled-2\r\n" },
  ];
  await Promise.all(cases.map(async ({ path, extra }) => {
    const res = await rawExchange(port, stalledHead(path, extra), { untilResponse: true });
    const what = `${path} ${extra.trim()}`;
    assert.equal(res.status, 408, what);
    assert.ok(res.status !== null && /"code":"body_timeout"/.test(res.body), what);
  }));

  // A complete body is still read and answered.
  llm.enqueue({ text: "after the stalls" });
  const ok = await fetch(`${gw.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).choices[0].message.content, "after the stalls");
});
