import assert from "node:assert/strict";
import { concurrencyLimit, requestLog, trackBody } from "../../../server/guards/mod.ts";
import { jsonResponse } from "../../../server/mod.ts";
import { rawRequest, serveApp } from "./harness.ts";

const AUTH_LINE = "Authorization: Bearer test-key-7f3a9c1e5b2d8f4a";

Deno.test("a JSON answer goes out with its length, and the log and run slot still see its end", async () => {
  let logged!: (line: string) => void;
  const line = new Promise<string>((resolve) => logged = resolve);
  const limit = concurrencyLimit({ maxRuns: 1 });
  const app = serveApp([requestLog({ log: (l) => logged(l) }), limit]);
  try {
    const body = JSON.stringify({ input: "hi" });
    const res = await rawRequest(
      app.port,
      `POST /v1/slow HTTP/1.1\nHost: 127.0.0.1:${app.port}\n${AUTH_LINE}\n` +
        `Content-Type: application/json\nContent-Length: ${body.length}\nConnection: close\n`,
      body,
    );
    assert.equal(res.status, 200);
    // Sent as fixed bytes, not re-streamed in chunks by a tracking wrapper.
    assert.equal(res.headers.get("transfer-encoding"), null);
    assert.equal(Number(res.headers.get("content-length")), res.body.length);
    assert.deepEqual(JSON.parse(res.body), { echo: "hi", call: 1 });
    const entry = JSON.parse(await line);
    assert.equal(entry.status, 200);
    assert.equal(entry.outcome, "completed");
    assert.equal(limit.inFlight, 0);
  } finally {
    await app.close();
  }
});

Deno.test("without the server's completion signal a fixed body is still tracked by its stream", async () => {
  const outcomes: string[] = [];
  const res = trackBody(jsonResponse({ a: 1 }), (o) => outcomes.push(o));
  assert.deepEqual(await res.json(), { a: 1 });
  assert.deepEqual(outcomes, ["complete"]);
});

Deno.test("with the completion signal a fixed body reports what the server says, once per tracker", async () => {
  const outcomes: string[] = [];
  const original = jsonResponse({ a: 1 });
  const sent = Promise.resolve("failed" as const);
  const res = trackBody(original, (o) => outcomes.push(`log:${o}`), sent);
  assert.equal(trackBody(res, (o) => outcomes.push(`slot:${o}`), sent), original);
  await sent;
  await Promise.resolve();
  assert.deepEqual(outcomes.sort(), ["log:cancelled", "slot:cancelled"]);
});
