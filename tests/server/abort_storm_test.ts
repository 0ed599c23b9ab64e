/**
 * Abort storm: many streaming runs opened through the full guard pipeline and dropped by their
 * clients. Every upstream stream must be closed, and every slot and run released.
 */
import assert from "node:assert/strict";
import { concurrencyLimit, defaultGuards } from "../../server/guards/mod.ts";
import { eventually } from "../fakes/eventually.ts";
import { startTestServer, TEST_KEY } from "../fakes/test_server.ts";

const STREAMS = 200;

Deno.test("200 streams opened and dropped: the upstream sees every stream closed", async () => {
  const limit = concurrencyLimit({ maxRuns: STREAMS });
  const guards = defaultGuards({
    config: {
      host: "127.0.0.1",
      auth: true,
      cors_origins: [],
      allowed_hosts: [],
      max_concurrent_runs: STREAMS,
      max_body_bytes: 10 * 1024 * 1024,
    },
    apiKeys: () => [TEST_KEY],
    log: () => {},
  });
  // The default list's own limiter is swapped for one whose slots the test can read.
  guards.splice(guards.length - 1, 1, limit);
  await using server = await startTestServer({ middleware: guards });
  // Long answers that stall after a few chunks: each stream is certainly mid-flight when its
  // client drops it, however slow the machine.
  server.llm.respondWith(() => ({ text: "x".repeat(4_000), stallAfterChunks: 3 }));

  const controllers = Array.from({ length: STREAMS }, () => new AbortController());
  const responses = await Promise.all(
    controllers.map((c, i) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        signal: c.signal,
        headers: { Authorization: `Bearer ${TEST_KEY}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          model: "herald",
          stream: true,
          messages: [{ role: "user", content: `storm ${i}` }],
        }),
      })
    ),
  );
  for (const res of responses) assert.equal(res.status, 200);
  await server.llm.waitForRequests(STREAMS);
  assert.equal(server.runs.size, STREAMS);

  for (const c of controllers) c.abort();
  await server.llm.waitForCancelledStreams(STREAMS);
  await server.runs.idle();
  assert.equal(server.llm.cancelledStreams, STREAMS);
  // Slots are released when Herald's own response streams are cancelled; wait for them to drain.
  await eventually(
    () => limit.inFlight === 0 && server.llm.openStreams === 0,
    "every slot and upstream stream to be released",
  );
  assert.equal(limit.inFlight, 0);
  assert.equal(server.llm.openStreams, 0);

  // Still serving afterwards.
  server.llm.respondWith(() => ({ text: "after the storm" }));
  const after = await server.client.chat.completions.create({
    model: "herald",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(after.choices[0].message.content, "after the storm");
});
