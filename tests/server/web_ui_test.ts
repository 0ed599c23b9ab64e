/**
 * The web chat's files as a real gateway serves them: strict headers, revalidation by ETag, and
 * `api_server.web_ui: false` turning `/` back into a 404.
 */
import assert from "node:assert/strict";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";
import { WEB_UI_CSP } from "../../server/mod.ts";

const KEY = "web-ui-test-8e2f4a6c1d9b3e75";

Deno.test("the web chat page is served at / without a key, with a strict CSP and no inline script", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: KEY });
  const res = await fetch(`${g.gateway.url}/`);
  const html = await res.text();
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  assert.equal(res.headers.get("content-security-policy"), WEB_UI_CSP);
  assert.match(WEB_UI_CSP, /script-src 'self'(;|$)/);
  assert.doesNotMatch(WEB_UI_CSP, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  // Scripts only from files: no inline <script> body, no inline handlers.
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/);
  assert.doesNotMatch(html, /\son[a-z]+=/i);
  assert.match(html, /<script type="module" src="\/web\/app\.js">/);
});

Deno.test("the page's script and style sheet are served and revalidate with their ETag (304)", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({ upstream: llm.baseUrl, key: KEY });
  for (
    const [path, type] of [["/web/app.js", /^text\/javascript/], [
      "/web/app.css",
      /^text\/css/,
    ]] as const
  ) {
    const res = await fetch(`${g.gateway.url}${path}`);
    const body = await res.text();
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type")!, type);
    assert.ok(body.length > 100, path);
    const etag = res.headers.get("etag")!;
    assert.match(etag, /^(W\/)?"[\w-]{22}"$/);
    const again = await fetch(`${g.gateway.url}${path}`, { headers: { "If-None-Match": etag } });
    await again.body?.cancel();
    assert.equal(again.status, 304, path);
    assert.equal(again.headers.get("etag"), etag);
  }
  // The API keeps its own, stricter policy.
  const api = await fetch(`${g.gateway.url}/v1/models`, {
    headers: { Authorization: `Bearer ${KEY}` },
  });
  await api.body?.cancel();
  assert.equal(
    api.headers.get("content-security-policy"),
    "default-src 'none'; frame-ancestors 'none'",
  );
});

Deno.test("api_server.web_ui: false leaves / and the assets 404 as before", async () => {
  await using llm = await FakeLlm.start();
  await using g = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    configYaml: "api_server:\n  web_ui: false\n",
  });
  for (const path of ["/", "/web/app.js", "/web/app.css"]) {
    const res = await fetch(`${g.gateway.url}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal((await res.json()).error.code, "unknown_route");
  }
});
