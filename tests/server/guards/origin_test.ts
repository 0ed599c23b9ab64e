import assert from "node:assert/strict";
import { defaultGuards, originGuard } from "../../../server/guards/mod.ts";
import { AUTH, rawRequest, serveApp } from "./harness.ts";

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

/** A JSON POST to /v1/echo with the given Host and Origin, over a raw connection. */
function postFrom(port: number, host: string, origin: string) {
  const body = JSON.stringify({ input: "x" });
  return rawRequest(
    port,
    `POST /v1/echo HTTP/1.1\nHost: ${host}\nOrigin: ${origin}\n` +
      `Authorization: ${AUTH.Authorization}\nContent-Type: application/json\n` +
      `Content-Length: ${body.length}\nConnection: close\n`,
    body,
  );
}

Deno.test("Herald's own origin (the one its loopback Host names) passes, without CORS headers", async () => {
  const app = serveApp([originGuard({ origins: [] })]);
  try {
    for (
      const [host, origin] of [
        [`127.0.0.1:${app.port}`, `http://127.0.0.1:${app.port}`],
        [`localhost:${app.port}`, `http://localhost:${app.port}`],
        [`[::1]:${app.port}`, `http://[::1]:${app.port}`],
        ["localhost:8642", "https://LOCALHOST:8642"],
      ]
    ) {
      const res = await postFrom(app.port, host, origin);
      assert.equal(res.status, 200, `${host} ${origin}: ${res.body}`);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
    assert.equal(app.dummy.echoCalls, 4);
  } finally {
    await app.close();
  }
});

Deno.test("an Origin other than the Host's own is refused, however close it looks", async () => {
  const app = serveApp([originGuard({ origins: [] })]);
  try {
    for (
      const [host, origin] of [
        [`127.0.0.1:${app.port}`, "https://evil.example"],
        [`127.0.0.1:${app.port}`, `http://127.0.0.1:${app.port + 1}`],
        [`127.0.0.1:${app.port}`, `http://localhost:${app.port}`],
        [`127.0.0.1:${app.port}`, `http://127.0.0.1:${app.port}/path`],
        [`127.0.0.1:${app.port}`, `http://user@127.0.0.1:${app.port}`],
        [`127.0.0.1:${app.port}`, `ftp://127.0.0.1:${app.port}`],
        [`127.0.0.1:${app.port}`, "null"],
        // A rebinding page: its Host and Origin agree, but the name is not Herald's.
        ["evil.example:8642", "http://evil.example:8642"],
      ]
    ) {
      const res = await postFrom(app.port, host, origin);
      assert.equal(res.status, 403, `${host} ${origin}`);
      assert.equal(JSON.parse(res.body).error.code, "origin_not_allowed");
    }
    assert.equal(app.dummy.echoCalls, 0);
  } finally {
    await app.close();
  }
});

Deno.test("a name in allowed_hosts is Herald's own origin too, with its port rule", async () => {
  const app = serveApp([
    originGuard({ origins: [], allowedHosts: ["herald.lan", "box.local:9000"] }),
  ]);
  try {
    assert.equal((await postFrom(app.port, "herald.lan", "https://herald.lan")).status, 200);
    assert.equal((await postFrom(app.port, "box.local:9000", "http://box.local:9000")).status, 200);
    assert.equal((await postFrom(app.port, "box.local:9001", "http://box.local:9001")).status, 403);
    assert.equal((await postFrom(app.port, "other.lan", "https://other.lan")).status, 403);
  } finally {
    await app.close();
  }
});

Deno.test("with the default guards a DNS-rebinding request is stopped by the Host check (421)", async () => {
  const app = serveApp(defaultGuards({
    config: {
      host: "127.0.0.1",
      auth: true,
      cors_origins: [],
      allowed_hosts: [],
      max_concurrent_runs: 4,
      max_body_bytes: 1024 * 1024,
    },
    log: () => {},
  }));
  try {
    const evil = await postFrom(app.port, "evil.example:8642", "http://evil.example:8642");
    assert.equal(evil.status, 421);
    assert.match(evil.body, /host_not_allowed/);
    const own = await postFrom(app.port, `127.0.0.1:${app.port}`, `http://127.0.0.1:${app.port}`);
    assert.equal(own.status, 200, own.body);
    assert.equal(app.dummy.echoCalls, 1);
  } finally {
    await app.close();
  }
});
