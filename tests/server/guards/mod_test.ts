import assert from "node:assert/strict";
import { defaultGuards, type GuardConfig } from "../../../server/guards/mod.ts";
import { RunTracker } from "../../../server/mod.ts";
import { AUTH, KEY, rawRequest, serveApp } from "./harness.ts";

const config: GuardConfig = {
  host: "127.0.0.1",
  auth: true,
  cors_origins: ["https://chat.example.com"],
  allowed_hosts: [],
  max_concurrent_runs: 16,
  max_body_bytes: 10 * 1024 * 1024,
};

Deno.test("defaultGuards: a rejected request still gets security headers and a log line", async () => {
  const lines: string[] = [];
  const app = serveApp(defaultGuards({ config, apiKeys: () => [KEY], log: (l) => lines.push(l) }));
  try {
    const res = await fetch(`${app.url}/v1/items/1`, {
      headers: { ...AUTH, Origin: "https://evil.example" },
    });
    await res.body?.cancel();
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(JSON.parse(lines[0]).status, 403);

    const rebound = await rawRequest(
      app.port,
      `GET /health HTTP/1.1\nHost: evil.example\nConnection: close\n`,
    );
    assert.equal(rebound.status, 421);
    assert.equal(rebound.headers.get("x-content-type-options"), "nosniff");
  } finally {
    await app.close();
  }
});

Deno.test("defaultGuards: an allowed browser origin can call a route end to end", async () => {
  const app = serveApp(defaultGuards({ config, apiKeys: () => [KEY], log: () => {} }));
  try {
    const res = await fetch(`${app.url}/v1/echo`, {
      method: "POST",
      headers: {
        ...AUTH,
        Origin: "https://chat.example.com",
        "Content-Type": "application/json",
        "Idempotency-Key": "stainless-node-retry-1",
      },
      body: JSON.stringify({ input: "hi" }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://chat.example.com");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.ok(res.headers.get("x-request-id"));
    assert.equal((await res.json()).echo, "hi");
  } finally {
    await app.close();
  }
});

Deno.test("defaultGuards: runs are refused with 503 once shutdown began", async () => {
  const runs = new RunTracker();
  const app = serveApp(defaultGuards({ config, apiKeys: () => [KEY], runs, log: () => {} }));
  try {
    runs.beginShutdown();
    const res = await fetch(`${app.url}/v1/slow`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ input: "x" }),
    });
    await res.body?.cancel();
    assert.equal(res.status, 503);
  } finally {
    await app.close();
  }
});

Deno.test("createApp with auth off serves routes without a key", async () => {
  const app = serveApp([], { auth: false });
  try {
    const res = await fetch(`${app.url}/v1/items/1`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: "1" });
  } finally {
    await app.close();
  }
});

/** A route shaped like the Telegram webhook: no bearer key, its own secret header. */
const webhookRoute = {
  method: "POST" as const,
  path: "/telegram/webhook",
  auth: false,
  handler: (req: Request) =>
    new Response(req.headers.get("x-telegram-bot-api-secret-token") === "s3cret" ? "ok" : "no", {
      status: req.headers.get("x-telegram-bot-api-secret-token") === "s3cret" ? 200 : 403,
    }),
};

function telegramCall(port: number, host: string) {
  const body = JSON.stringify({ update_id: 1 });
  return rawRequest(
    port,
    `POST /telegram/webhook HTTP/1.1\nHost: ${host}\nContent-Type: application/json\n` +
      `X-Telegram-Bot-Api-Secret-Token: s3cret\nContent-Length: ${body.length}\n` +
      `Connection: close\n`,
    body,
  );
}

Deno.test("defaultGuards: the Telegram webhook passes through a proxy only with its Host allowed", async () => {
  // Behind a TLS proxy Herald sees loopback connections carrying the public Host.
  const closed = serveApp(defaultGuards({ config, apiKeys: () => [KEY], log: () => {} }), {
    routes: [webhookRoute],
  });
  const open = serveApp(
    defaultGuards({
      config: { ...config, allowed_hosts: ["bot.example.com"] },
      apiKeys: () => [KEY],
      log: () => {},
    }),
    { routes: [webhookRoute] },
  );
  try {
    assert.equal((await telegramCall(closed.port, "bot.example.com")).status, 421);
    const through = await telegramCall(open.port, "bot.example.com");
    assert.equal(through.status, 200, through.body);
    assert.match(through.body, /\bok\b/);
  } finally {
    await closed.close();
    await open.close();
  }
});

Deno.test("defaultGuards: a browser 'simple' content type is refused with 415 on every route", async () => {
  const app = serveApp(defaultGuards({ config, apiKeys: () => [KEY], log: () => {} }));
  try {
    // DELETE and routes that read no body included: the type alone marks a cross-site form post.
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {
      for (const method of ["POST", "DELETE"]) {
        const path = method === "POST" ? "/v1/echo" : "/v1/items/1";
        const res = await fetch(`${app.url}${path}`, {
          method,
          headers: { ...AUTH, "Content-Type": type },
          body: "{}",
        });
        assert.equal(res.status, 415, `${method} ${type}`);
        assert.equal((await res.json()).error.code, "unsupported_media_type");
      }
    }
    // No body and no type (the openai SDK's DELETE) is fine.
    const del = await fetch(`${app.url}/v1/items/1`, { method: "DELETE", headers: AUTH });
    assert.equal(del.status, 200);
    await del.body?.cancel();
  } finally {
    await app.close();
  }
});
