import assert from "node:assert/strict";
import { concurrencyLimit } from "../../../server/guards/mod.ts";
import { SHUTDOWN_RETRY_AFTER_SECONDS } from "../../../server/mod.ts";
import { eventually } from "../../fakes/eventually.ts";
import { AUTH, Gate, serveApp } from "./harness.ts";

const JSON_AUTH = { ...AUTH, "Content-Type": "application/json" };

function post(url: string, body: unknown = { input: "x" }): Promise<Response> {
  return fetch(url, { method: "POST", headers: JSON_AUTH, body: JSON.stringify(body) });
}

Deno.test("runs beyond max_concurrent_runs get 429 with Retry-After", async () => {
  const limit = concurrencyLimit({ maxRuns: 2 });
  const gate = new Gate();
  let started = 0;
  let bothStarted!: () => void;
  const ready = new Promise<void>((r) => bothStarted = r);
  const app = serveApp([limit], {
    dummy: { echoCalls: 0, slowGate: gate, onSlowStart: () => ++started === 2 && bothStarted() },
  });
  try {
    const first = post(`${app.url}/v1/slow`);
    const second = post(`${app.url}/v1/slow`);
    await ready;
    const third = await post(`${app.url}/v1/slow`);
    assert.equal(third.status, 429);
    assert.equal(third.headers.get("retry-after"), "1");
    assert.equal((await third.json()).error.type, "rate_limit_error");
    // Routes that run no agent are not limited.
    const other = await fetch(`${app.url}/v1/items/1`, { headers: AUTH });
    await other.body?.cancel();
    assert.equal(other.status, 200);
    gate.open();
    for (const res of await Promise.all([first, second])) {
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    assert.equal(limit.inFlight, 0);
    const after = await post(`${app.url}/v1/slow`);
    await after.body?.cancel();
    assert.equal(after.status, 200);
  } finally {
    await app.close();
  }
});

Deno.test("a stream holds its slot until the body ends", async () => {
  const limit = concurrencyLimit({ maxRuns: 1 });
  const gate = new Gate();
  const app = serveApp([limit], { dummy: { echoCalls: 0, slowGate: gate } });
  try {
    const stream = await post(`${app.url}/v1/stream`, { input: "x", stream: true, n: 1 });
    assert.equal(stream.status, 200);
    assert.equal(limit.inFlight, 1);
    const blocked = await post(`${app.url}/v1/stream`, { input: "y", stream: true });
    await blocked.body?.cancel();
    assert.equal(blocked.status, 429);
    gate.open();
    assert.match(await stream.text(), /\[DONE\]/);
    assert.equal(limit.inFlight, 0);
  } finally {
    await app.close();
  }
});

Deno.test("a client dropping its stream releases the slot", async () => {
  const limit = concurrencyLimit({ maxRuns: 1 });
  const gate = new Gate();
  const app = serveApp([limit], { dummy: { echoCalls: 0, slowGate: gate } });
  try {
    const stream = await post(`${app.url}/v1/stream`, { input: "x", stream: true, n: 1 });
    const reader = stream.body!.getReader();
    await reader.read();
    await reader.cancel();
    // The server learns of the disconnect asynchronously; wait for it.
    await eventually(() => limit.inFlight === 0, "the slot to be released");
    assert.equal(limit.inFlight, 0);
    gate.open();
  } finally {
    await app.close();
  }
});

Deno.test("failed runs release their slot", async () => {
  const limit = concurrencyLimit({ maxRuns: 1 });
  const app = serveApp([limit]);
  try {
    for (let i = 0; i < 3; i++) {
      const res = await post(`${app.url}/v1/slow`, { nope: 1 });
      await res.body?.cancel();
      assert.equal(res.status, 400);
    }
    assert.equal(limit.inFlight, 0);
  } finally {
    await app.close();
  }
});

Deno.test("while draining, new runs get 503", async () => {
  const app = serveApp([concurrencyLimit({ maxRuns: 4, draining: () => true })]);
  try {
    const res = await post(`${app.url}/v1/slow`);
    assert.equal(res.status, 503);
    // Retryable elsewhere or later: Retry-After, and no `x-should-retry: false` (the openai SDK
    // would then give up at once).
    assert.equal(res.headers.get("retry-after"), String(SHUTDOWN_RETRY_AFTER_SECONDS));
    assert.notEqual(res.headers.get("x-should-retry"), "false");
    assert.equal((await res.json()).error.code, "shutting_down");
  } finally {
    await app.close();
  }
});

Deno.test("overload: hundreds of simultaneous runs get 200 or 429 and the server stays up", async () => {
  const limit = concurrencyLimit({ maxRuns: 8 });
  const gate = new Gate();
  const app = serveApp([limit], { dummy: { echoCalls: 0, slowGate: gate } });
  try {
    const responses = await Promise.all(
      Array.from(
        { length: 300 },
        (_, i) => post(`${app.url}/v1/stream`, { input: String(i), stream: true, n: 1 }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 8);
    assert.equal(statuses.filter((s) => s === 429).length, 292);
    gate.open();
    for (const res of responses) {
      const text = await res.text();
      if (res.status === 200) assert.match(text, /\[DONE\]/);
    }
    assert.equal(limit.inFlight, 0);
    const health = await fetch(`${app.url}/health`);
    await health.body?.cancel();
    assert.equal(health.status, 200);
  } finally {
    await app.close();
  }
});
