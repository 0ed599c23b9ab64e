import assert from "node:assert/strict";
import { concurrencyLimit, idempotency } from "../../../server/guards/mod.ts";
import { AUTH, Gate, KEY, serveApp } from "./harness.ts";

const OTHER_KEY = "other-key-9d8c7b6a5f4e3d2c";

function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { ...AUTH, "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test("the same key and body within the TTL replay the first response and work once", async () => {
  const app = serveApp([idempotency()]);
  try {
    const first = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k1" });
    const firstBody = await first.json();
    const second = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k1" });
    assert.equal(second.status, first.status);
    assert.deepEqual(await second.json(), firstBody);
    assert.equal(second.headers.get("content-type"), "application/json");
    assert.equal(second.headers.get("idempotent-replayed"), "true");
    assert.equal(app.dummy.echoCalls, 1);
    // A new key is new work.
    const third = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k2" });
    assert.equal((await third.json()).call, 2);
  } finally {
    await app.close();
  }
});

Deno.test("a concurrent duplicate waits for the first and gets its response", async () => {
  const gate = new Gate();
  let startedOnce!: () => void;
  const started = new Promise<void>((r) => startedOnce = r);
  const app = serveApp([idempotency()], {
    dummy: { echoCalls: 0, slowGate: gate, onSlowStart: () => startedOnce() },
  });
  try {
    const a = post(`${app.url}/v1/slow`, { input: "a" }, { "Idempotency-Key": "dup" });
    await started;
    const b = post(`${app.url}/v1/slow`, { input: "a" }, { "Idempotency-Key": "dup" });
    gate.open();
    const [ra, rb] = await Promise.all([a, b]);
    assert.deepEqual(await rb.json(), await ra.json());
    assert.equal(app.dummy.echoCalls, 1);
  } finally {
    await app.close();
  }
});

Deno.test("the same key with a different body is refused with 422", async () => {
  const app = serveApp([idempotency()]);
  try {
    const first = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k" });
    await first.body?.cancel();
    const clash = await post(`${app.url}/v1/echo`, { input: "b" }, { "Idempotency-Key": "k" });
    assert.equal(clash.status, 422);
    const error = (await clash.json()).error;
    assert.equal(error.code, "idempotency_key_reused");
    assert.match(error.message, /different request body/);
    assert.equal(app.dummy.echoCalls, 1);
  } finally {
    await app.close();
  }
});

Deno.test("entries expire after the TTL", async () => {
  let now = 0;
  const app = serveApp([idempotency({ ttlMs: 300_000, now: () => now })]);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k" });
      await res.body?.cancel();
    }
    assert.equal(app.dummy.echoCalls, 1);
    now += 300_000;
    const res = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k" });
    assert.equal((await res.json()).call, 2);
  } finally {
    await app.close();
  }
});

Deno.test("different API keys and paths never share entries", async () => {
  const keys = [KEY, OTHER_KEY];
  const app = serveApp([idempotency()], { keys });
  try {
    const a = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "k" });
    assert.equal((await a.json()).call, 1);
    const b = await post(`${app.url}/v1/echo`, { input: "a" }, {
      "Idempotency-Key": "k",
      Authorization: `Bearer ${OTHER_KEY}`,
    });
    assert.equal((await b.json()).call, 2);
    const c = await post(`${app.url}/v1/slow`, { input: "a" }, { "Idempotency-Key": "k" });
    assert.equal((await c.json()).call, 3);
  } finally {
    await app.close();
  }
});

Deno.test("requests with a wrong key are not cached and still get 401", async () => {
  const app = serveApp([idempotency()]);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await post(`${app.url}/v1/echo`, { input: "a" }, {
        "Idempotency-Key": "w",
        Authorization: `Bearer ${OTHER_KEY}`,
      });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    const ok = await post(`${app.url}/v1/echo`, { input: "a" }, { "Idempotency-Key": "w" });
    assert.equal((await ok.json()).call, 1);
  } finally {
    await app.close();
  }
});

Deno.test("streaming requests are not cached", async () => {
  const app = serveApp([idempotency()]);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await post(`${app.url}/v1/stream`, { input: "a", stream: true, n: 1 }, {
        "Idempotency-Key": "s",
      });
      assert.equal(res.headers.get("idempotent-replayed"), null);
      assert.match(await res.text(), /\[DONE\]/);
    }
  } finally {
    await app.close();
  }
});

Deno.test("the handler still reads the body after idempotency buffered it", async () => {
  const app = serveApp([idempotency()]);
  try {
    const bad = await post(`${app.url}/v1/echo`, "{not json", { "Idempotency-Key": "b" });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, "invalid_json");
    const ok = await post(`${app.url}/v1/echo`, { input: "hi" }, { "Idempotency-Key": "c" });
    assert.equal((await ok.json()).echo, "hi");
  } finally {
    await app.close();
  }
});

Deno.test("an oversized body is refused with 413 before it is buffered", async () => {
  const app = serveApp([idempotency({ maxBodyBytes: 1024 })]);
  try {
    const big = JSON.stringify({ input: "x".repeat(4096) });
    const declared = await post(`${app.url}/v1/echo`, big, { "Idempotency-Key": "big" });
    assert.equal(declared.status, 413);
    await declared.body?.cancel();
    // Chunked, without Content-Length.
    const chunked = await fetch(`${app.url}/v1/echo`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json", "Idempotency-Key": "big2" },
      body: ReadableStream.from([new TextEncoder().encode(big)]),
    });
    assert.equal(chunked.status, 413);
    await chunked.body?.cancel();
    assert.equal(app.dummy.echoCalls, 0);
  } finally {
    await app.close();
  }
});

Deno.test("a replay does not take a run slot", async () => {
  const limit = concurrencyLimit({ maxRuns: 1 });
  const app = serveApp([idempotency(), limit]);
  try {
    const first = await post(`${app.url}/v1/slow`, { input: "a" }, { "Idempotency-Key": "r" });
    await first.body?.cancel();
    const replays = await Promise.all(
      Array.from(
        { length: 5 },
        () => post(`${app.url}/v1/slow`, { input: "a" }, { "Idempotency-Key": "r" }),
      ),
    );
    for (const r of replays) {
      assert.equal(r.status, 200);
      await r.body?.cancel();
    }
    assert.equal(app.dummy.echoCalls, 1);
  } finally {
    await app.close();
  }
});

Deno.test("the cache stays bounded by its entry cap", async () => {
  const app = serveApp([idempotency({ maxEntries: 3 })]);
  try {
    for (const k of ["a", "b", "c", "d"]) {
      const res = await post(`${app.url}/v1/echo`, { input: "x" }, { "Idempotency-Key": k });
      await res.body?.cancel();
    }
    // "a" was evicted (oldest), so it runs again; "d" is still cached.
    const a = await post(`${app.url}/v1/echo`, { input: "x" }, { "Idempotency-Key": "a" });
    assert.equal((await a.json()).call, 5);
    const d = await post(`${app.url}/v1/echo`, { input: "x" }, { "Idempotency-Key": "d" });
    assert.equal((await d.json()).call, 4);
  } finally {
    await app.close();
  }
});
