import assert from "node:assert/strict";
import { defaultGuards, type GuardConfig } from "../../../server/guards/mod.ts";
import { RunTracker } from "../../../server/runs.ts";
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
