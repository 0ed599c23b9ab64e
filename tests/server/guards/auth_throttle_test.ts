import assert from "node:assert/strict";
import { authThrottle } from "../../../server/guards/mod.ts";
import type { RequestContext, Route } from "../../../server/router.ts";
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
    // Without a key the address is throttled too; /health stays open.
    assert.equal((await status(`${app.url}/v1/items/1`)).status, 429);
    assert.equal((await status(`${app.url}/health`)).status, 200);
  } finally {
    await app.close();
  }
});

Deno.test("a valid key passes while its address is throttled", async () => {
  const app = serveApp([authThrottle({ maxFailures: 3, windowMs: 60_000 })]);
  try {
    for (let i = 0; i < 3; i++) await status(`${app.url}/v1/items/1`, { headers: BAD });
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: BAD })).status, 429);
    // Behind a reverse proxy every client shares the proxy's address: a guesser must not lock
    // out the users who hold a key.
    for (let i = 0; i < 5; i++) {
      assert.equal((await status(`${app.url}/v1/items/1`, { headers: AUTH })).status, 200);
    }
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: BAD })).status, 429);
  } finally {
    await app.close();
  }
});

Deno.test("the throttle lifts when the window ends", async () => {
  let now = 1_000_000;
  const app = serveApp([authThrottle({ maxFailures: 2, windowMs: 60_000, now: () => now })]);
  try {
    for (let i = 0; i < 2; i++) await status(`${app.url}/v1/items/1`, { headers: BAD });
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: BAD })).status, 429);
    now += 60_000;
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: BAD })).status, 401);
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
    assert.equal((await status(`${app.url}/v1/items/1`, { headers: BAD })).status, 401);
  } finally {
    await app.close();
  }
});

// Drives the middleware directly: a server cannot be reached from thousands of addresses.
const route: Route = { method: "GET", path: "/x", handler: () => new Response() };
const fail = () => Promise.resolve(new Response(null, { status: 401 }));
function ctx(addr: string, extra: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: "r",
    remoteAddr: addr,
    url: new URL("http://h/x"),
    params: {},
    route,
    ...extra,
  };
}
function guess(token: string): Request {
  return new Request("http://h/x", { headers: { Authorization: `Bearer ${token}` } });
}

Deno.test("rotating loopback source addresses does not escape the throttle", async () => {
  const throttle = authThrottle({ maxFailures: 10, maxNetworkFailures: 30 });
  let refused = 0;
  for (let i = 0; i < 270; i++) {
    const addr = `127.${i >> 8}.${i & 255}.1`;
    try {
      await throttle(guess(`guess-${crypto.randomUUID()}`), ctx(addr), fail);
    } catch (error) {
      assert.equal((error as { status: number }).status, 429);
      refused++;
    }
  }
  // All of 127.0.0.0/8 is one machine: after 30 failures the rest are refused.
  assert.equal(refused, 240);
});

Deno.test("guesses at one key prefix are throttled from any network", async () => {
  const throttle = authThrottle({ maxPrefixFailures: 5 });
  const prefix = "herald-AbCdE";
  let refused = 0;
  for (let i = 0; i < 20; i++) {
    try {
      await throttle(guess(`${prefix}${crypto.randomUUID()}`), ctx(`198.51.${i}.7`), fail);
    } catch {
      refused++;
    }
  }
  assert.equal(refused, 15);
  // A guess with another prefix from a fresh network still gets its 401.
  const other = await throttle(guess("sk-other-prefix-123456"), ctx("203.0.113.9"), fail);
  assert.equal(other.status, 401);
});

Deno.test("a valid key is never refused, even when every bucket is full", async () => {
  const throttle = authThrottle({ maxFailures: 1, maxTotalFailures: 1 });
  await throttle(guess("herald-wrong-key-0000"), ctx("10.0.0.1"), fail);
  await assert.rejects(throttle(guess("herald-wrong-key-0000"), ctx("10.0.0.1"), fail), {
    status: 429,
  });
  const ok = () => Promise.resolve(new Response("ok"));
  const key = { name: "alice", scope: "full" as const };
  const res = await throttle(guess("herald-right-key"), ctx("10.0.0.1", { key }), ok);
  assert.equal(res.status, 200);
});

Deno.test("a route with its own secret counts wrong secrets and lets the right one through", async () => {
  const throttle = authThrottle({ maxFailures: 3 });
  const secret = "s".repeat(8) + "-right-secret";
  const webhook: Route = {
    method: "POST",
    path: "/telegram",
    auth: false,
    verify: (req) => req.headers.get("x-secret") === secret,
    handler: () => new Response(),
  };
  const post = (value: string) =>
    new Request("http://h/telegram", { method: "POST", headers: { "x-secret": value } });
  const forbidden = () => Promise.resolve(new Response(null, { status: 403 }));
  for (let i = 0; i < 3; i++) {
    const res = await throttle(post(`guess-${i}`), ctx("192.0.2.1", { route: webhook }), forbidden);
    assert.equal(res.status, 403);
  }
  await assert.rejects(
    throttle(post("guess-4"), ctx("192.0.2.1", { route: webhook }), forbidden),
    { status: 429 },
  );
  const ok = await throttle(
    post(secret),
    ctx("192.0.2.1", { route: webhook }),
    () => Promise.resolve(new Response("ok")),
  );
  assert.equal(ok.status, 200);
});

Deno.test("the throttle table stays bounded under many addresses", async () => {
  const throttle = authThrottle({
    maxFailures: 1,
    maxNetworkFailures: 1e9,
    maxTotalFailures: 1e9,
    maxEntries: 100,
  });
  for (let i = 0; i < 1_000; i++) {
    await throttle(new Request("http://h/x"), ctx(`10.${i >> 8}.${i & 255}.1`), fail);
  }
  // The newest addresses are still remembered (throttled); the oldest were forgotten.
  await assert.rejects(throttle(new Request("http://h/x"), ctx("10.3.231.1"), fail), {
    status: 429,
  });
  const res = await throttle(new Request("http://h/x"), ctx("10.0.0.1"), fail);
  assert.equal(res.status, 401);
});
