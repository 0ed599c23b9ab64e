import assert from "node:assert/strict";
import { requestLog, type RequestLogEntry } from "../../../server/guards/mod.ts";
import { AUTH, serveApp } from "./harness.ts";

function collector() {
  const lines: string[] = [];
  let notify: (() => void) | undefined;
  return {
    lines,
    log: (line: string) => {
      lines.push(line);
      notify?.();
    },
    /** Resolves once `n` lines were logged. */
    until(n: number): Promise<void> {
      if (lines.length >= n) return Promise.resolve();
      return new Promise((resolve) => {
        notify = () => lines.length >= n && resolve();
      });
    },
  };
}

Deno.test("each request gets one JSON log line with metadata and no secrets", async () => {
  const sink = collector();
  const app = serveApp([requestLog({ log: sink.log })]);
  try {
    const res = await fetch(`${app.url}/v1/echo?api_key=sk-secret-in-query`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json", "X-Request-Id": "req-123" },
      body: JSON.stringify({ input: "prompt-text-secret" }),
    });
    await res.body?.cancel();
    await sink.until(1);
    assert.equal(sink.lines.length, 1);
    const entry: RequestLogEntry = JSON.parse(sink.lines[0]);
    assert.equal(entry.method, "POST");
    assert.equal(entry.path, "/v1/echo");
    assert.equal(entry.status, 200);
    assert.equal(entry.request_id, "req-123");
    assert.equal(entry.client, "127.0.0.1");
    assert.equal(typeof entry.duration_ms, "number");
    assert.ok(!Number.isNaN(Date.parse(entry.time)));
    for (const secret of ["sk-secret-in-query", "prompt-text-secret", AUTH.Authorization]) {
      assert.ok(!sink.lines[0].includes(secret), secret);
    }
  } finally {
    await app.close();
  }
});

Deno.test("errors are logged with their status and the request id is echoed", async () => {
  const sink = collector();
  const app = serveApp([requestLog({ log: sink.log })]);
  try {
    const res = await fetch(`${app.url}/v1/items/1`);
    await res.body?.cancel();
    const id = res.headers.get("x-request-id");
    assert.ok(id);
    await sink.until(1);
    const entry: RequestLogEntry = JSON.parse(sink.lines[0]);
    assert.equal(entry.status, 401);
    assert.equal(entry.request_id, id);
  } finally {
    await app.close();
  }
});

Deno.test("a stream is logged when it ends, and a dropped one says so", async () => {
  const sink = collector();
  const app = serveApp([requestLog({ log: sink.log })], {
    dummy: { echoCalls: 0, slowGate: { wait: () => new Promise(() => {}) } as never },
  });
  try {
    const res = await fetch(`${app.url}/v1/stream`, {
      method: "POST",
      headers: { ...AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ input: "x", stream: true, n: 1 }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    assert.equal(sink.lines.length, 0);
    await reader.cancel();
    await sink.until(1);
    const entry: RequestLogEntry = JSON.parse(sink.lines[0]);
    assert.equal(entry.status, 200);
    assert.equal(entry.outcome, "cancelled");
  } finally {
    await app.close();
  }
});
