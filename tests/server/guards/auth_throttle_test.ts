import assert from "node:assert/strict";
import { authThrottle } from "../../../server/guards/mod.ts";
import { AUTH, serveApp } from "./harness.ts";

const BAD = { Authorization: "Bearer wrong-key-0000000000" };

async function status(url: string, init?: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res;
}

Deno.test("repeated failed authentication from one address gets 429 with Retry-After", async () => {
  const app = serveApp([authThrottle({ maxFailures: 5, windowMs: 60_000 })]);
  try {
    for (let i = 0; i < 5; i++) {
      assert.equal((await status(`${app.url}/v1/items/1`, { headers: BAD })).status, 401);
    }
    const throttled = await status(`${app.url}/v1/items/1`, { headers: BAD });
    assert.equal(throttled.status, 429);
    const retryAfter = Number(throttled.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // The address is blocked on authenticated routes, key or not; /health stays open.
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: AUTH })).status, 429);
    assert.equal((await status(`${app.url}/health`)).status, 200);
  } finally {
    await app.close();
  }
});

Deno.test("the throttle lifts when the window ends", async () => {
  let now = 1_000_000;
  const app = serveApp([authThrottle({ maxFailures: 2, windowMs: 60_000, now: () => now })]);
  try {
    for (let i = 0; i < 2; i++) await status(`${app.url}/v1/items/1`, { headers: BAD });
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: AUTH })).status, 429);
    now += 60_000;
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: AUTH })).status, 200);
  } finally {
    await app.close();
  }
});

Deno.test("successful requests are not counted as failures", async () => {
  const app = serveApp([authThrottle({ maxFailures: 2 })]);
  try {
    for (let i = 0; i < 10; i++) {
      assert.equal((await status(`${app.url}/v1/items/1`, { headers: AUTH })).status, 200);
    }
  } finally {
    await app.close();
  }
});

Deno.test("the throttle table stays bounded under many addresses", async () => {
  // Drive the middleware directly: a server cannot be reached from thousands of addresses.
  const throttle = authThrottle({ maxFailures: 1, maxEntries: 100 });
  const route = { method: "GET" as const, path: "/x", handler: () => new Response() };
  const fail = () => Promise.resolve(new Response(null, { status: 401 }));
  for (let i = 0; i < 1_000; i++) {
    const ctx = {
      requestId: "r",
      remoteAddr: `10.0.${i >> 8}.${i & 255}`,
      url: new URL("http://h/x"),
      params: {},
      route,
    };
    await throttle(new Request("http://h/x"), ctx, fail);
  }
  // The newest addresses are still remembered (throttled); the oldest were forgotten.
  const ctx = (addr: string) => ({
    requestId: "r",
    remoteAddr: addr,
    url: new URL("http://h/x"),
    params: {},
    route,
  });
  await assert.rejects(throttle(new Request("http://h/x"), ctx("10.0.3.231"), fail), {
    status: 429,
  });
  const res = await throttle(new Request("http://h/x"), ctx("10.0.0.0"), fail);
  assert.equal(res.status, 401);
});
