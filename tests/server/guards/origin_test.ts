import assert from "node:assert/strict";
import { originGuard } from "../../../server/guards/mod.ts";
import { AUTH, serveApp } from "./harness.ts";

const ALLOWED = "https://chat.example.com";

Deno.test("without configured origins no CORS headers are sent and Origin-less requests pass", async () => {
  const app = serveApp([originGuard({ origins: [] })]);
  try {
    const res = await fetch(`${app.url}/v1/items/1`, { headers: AUTH });
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  } finally {
    await app.close();
  }
});

Deno.test("a request with a disallowed Origin gets 403 and never reaches the handler", async () => {
  const app = serveApp([originGuard({ origins: [ALLOWED] })]);
  try {
    for (
      const origin of ["https://evil.example", "https://chat.example.com.evil.example", "null"]
    ) {
      const res = await fetch(`${app.url}/v1/echo`, {
        method: "POST",
        headers: { ...AUTH, Origin: origin, "Content-Type": "application/json" },
        body: JSON.stringify({ input: "x" }),
      });
      assert.equal(res.status, 403, origin);
      assert.equal((await res.json()).error.code, "origin_not_allowed");
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
    assert.equal(app.dummy.echoCalls, 0);
  } finally {
    await app.close();
  }
});

Deno.test("with no origins configured any Origin header is refused", async () => {
  const app = serveApp([originGuard({ origins: [] })]);
  try {
    const res = await fetch(`${app.url}/health`, { headers: { Origin: "http://localhost:3000" } });
    await res.body?.cancel();
    assert.equal(res.status, 403);
  } finally {
    await app.close();
  }
});

Deno.test("a preflight from a disallowed origin gets 403", async () => {
  const app = serveApp([originGuard({ origins: [ALLOWED] })]);
  try {
    const res = await fetch(`${app.url}/v1/echo`, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    await res.body?.cancel();
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  } finally {
    await app.close();
  }
});

Deno.test("a preflight from an allowed origin is answered 204 without auth", async () => {
  const app = serveApp([originGuard({ origins: [ALLOWED] })]);
  try {
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: {
        Origin: ALLOWED,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers":
          "authorization, content-type, x-stainless-os, x-stainless-retry-count, x-evil",
      },
    });
    await res.body?.cancel();
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
    assert.match(res.headers.get("vary")!, /Origin/);
    assert.equal(res.headers.get("access-control-allow-methods"), "GET, POST, DELETE, OPTIONS");
    assert.equal(res.headers.get("access-control-max-age"), "600");
    const allowed = res.headers.get("access-control-allow-headers")!.split(", ");
    for (const h of ["authorization", "content-type", "idempotency-key", "x-request-id"]) {
      assert.ok(allowed.includes(h), h);
    }
    assert.ok(allowed.includes("x-stainless-os"));
    assert.ok(allowed.includes("x-stainless-retry-count"));
    assert.ok(!allowed.includes("x-evil"));
  } finally {
    await app.close();
  }
});

Deno.test("an allowed origin gets CORS headers on success and on errors", async () => {
  const app = serveApp([originGuard({ origins: ["https://other.example", ALLOWED + "/"] })]);
  try {
    const ok = await fetch(`${app.url}/v1/items/1`, { headers: { ...AUTH, Origin: ALLOWED } });
    await ok.body?.cancel();
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), ALLOWED);
    assert.equal(ok.headers.get("vary"), "Origin");
    assert.match(ok.headers.get("access-control-expose-headers")!, /X-Request-Id/);

    const denied = await fetch(`${app.url}/v1/items/1`, { headers: { Origin: ALLOWED } });
    await denied.body?.cancel();
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get("access-control-allow-origin"), ALLOWED);
  } finally {
    await app.close();
  }
});

Deno.test("`*` allows every origin only when written", async () => {
  const app = serveApp([originGuard({ origins: ["*"] })]);
  try {
    const res = await fetch(`${app.url}/health`, { headers: { Origin: "https://any.example" } });
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://any.example");
  } finally {
    await app.close();
  }
});
