import assert from "node:assert/strict";
import { originGuard, SECURITY_HEADERS, securityHeaders } from "../../../server/guards/mod.ts";
import { AUTH, serveApp } from "./harness.ts";

function assertSecurityHeaders(res: Response): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(res.headers.get(name), value, `${name} on ${res.status}`);
  }
}

Deno.test("security headers are on successful responses", async () => {
  const app = serveApp([securityHeaders()]);
  try {
    const res = await fetch(`${app.url}/health`);
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assertSecurityHeaders(res);
    assert.match(res.headers.get("content-security-policy")!, /default-src 'none'/);
  } finally {
    await app.close();
  }
});

Deno.test("security headers are on error responses from routing, auth and guards", async () => {
  const app = serveApp([securityHeaders(), originGuard({ origins: [] })]);
  try {
    const cases: [string, RequestInit, number][] = [
      ["/nope", {}, 404],
      ["/v1/items/1", {}, 401],
      ["/health", { method: "POST" }, 405],
      ["/health", { headers: { Origin: "https://evil.example" } }, 403],
      ["/v1/echo", { method: "POST", headers: { ...AUTH, "Content-Type": "text/plain" } }, 415],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${app.url}${path}`, init);
      await res.body?.cancel();
      assert.equal(res.status, status, path);
      assertSecurityHeaders(res);
    }
  } finally {
    await app.close();
  }
});

Deno.test("security headers are on event streams", async () => {
  const app = serveApp([securityHeaders()]);
  try {
    const res = await fetch(`${app.url}/v1/stream`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ input: "x", n: 1 }),
    });
    assert.match(res.headers.get("content-type")!, /text\/event-stream/);
    assertSecurityHeaders(res);
    assert.match(await res.text(), /\[DONE\]/);
  } finally {
    await app.close();
  }
});
