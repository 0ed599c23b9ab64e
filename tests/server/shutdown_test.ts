import assert from "node:assert/strict";
import { createApp } from "../../server/mod.ts";
import { concurrencyLimit } from "../../server/guards/mod.ts";
import { RunTracker } from "../../server/mod.ts";
import { installShutdown } from "../../server/mod.ts";
import { sseResponse } from "../../server/mod.ts";
import type { Route } from "../../server/mod.ts";
import { AUTH } from "./guards/harness.ts";

/** A run route: streams a tick every few ms for `?ticks=` ticks, or until aborted. */
function runRoute(runs: RunTracker, stored: string[]): Route {
  return {
    method: "POST",
    path: "/v1/run",
    runsAgent: true,
    handler: (_req, ctx) => {
      const ticks = Number(ctx.url.searchParams.get("ticks") ?? Infinity);
      const run = runs.begin();
      return sseResponse({
        keepAliveMs: 60_000,
        onCancel: () => run.abort("client left"),
        async produce(writer) {
          try {
            let i = 0;
            while (i < ticks && !run.signal.aborted) {
              writer.send({ tick: i++ });
              await new Promise((resolve) => {
                const timer = setTimeout(resolve, 5);
                run.signal.addEventListener("abort", () => {
                  clearTimeout(timer);
                  resolve(undefined);
                }, { once: true });
              });
            }
            const status = run.signal.aborted ? "incomplete" : "completed";
            stored.push(status);
            writer.send({ status }, "response.done");
            writer.sendRaw("[DONE]");
          } finally {
            run.finish();
          }
        },
      });
    },
  };
}

function start(
  graceSeconds: number,
  options: { signals?: boolean; exit?: (c: number) => void; signalWindowMs?: number } = {},
) {
  const runs = new RunTracker();
  const stored: string[] = [];
  const closed: string[] = [];
  const logs: string[] = [];
  const handler = createApp({
    routes: [runRoute(runs, stored)],
    apiKeys: () => [AUTH.Authorization.slice(7)],
    middleware: [concurrencyLimit({ maxRuns: 64, draining: () => runs.shuttingDown })],
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const shutdown = installShutdown({
    runs,
    server,
    graceSeconds,
    signals: options.signals ?? false,
    exit: options.exit,
    signalWindowMs: options.signalWindowMs,
    log: (line) => logs.push(line),
    onClose: () => {
      closed.push(`closed with ${runs.size} runs`);
      return Promise.resolve();
    },
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const open = async (ticks?: number) => {
    const res = await fetch(`${url}/v1/run${ticks === undefined ? "" : `?ticks=${ticks}`}`, {
      method: "POST",
      headers: AUTH,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    // Wait for the first tick so the run is known to be going.
    while (!text.includes("tick")) text += (await reader.read()).value ?? "";
    return {
      async rest(): Promise<string> {
        while (true) {
          const { value, done } = await reader.read();
          if (done) return text;
          text += value;
        }
      },
    };
  };
  return { runs, stored, closed, logs, server, shutdown, open };
}

Deno.test("shutdown during endless streams ends each one cleanly after the grace period", async () => {
  const t = start(0.05);
  const streams = await Promise.all(Array.from({ length: 5 }, () => t.open()));
  await t.shutdown.trigger();
  for (const s of streams) {
    const text = await s.rest();
    assert.match(text, /"status":"incomplete"/);
    assert.match(text, /data: \[DONE\]\n\n$/);
  }
  assert.deepEqual(t.stored, Array(5).fill("incomplete"));
  // Storage closed last, after every run ended.
  assert.deepEqual(t.closed, ["closed with 0 runs"]);
  assert.ok(t.logs.some((l) => /aborting 5 turn/.test(l)));
  await t.server.finished;
});

Deno.test("turns that finish within the grace period are not aborted", async () => {
  const t = start(30);
  const streams = await Promise.all(Array.from({ length: 3 }, () => t.open(20)));
  await t.shutdown.trigger();
  for (const s of streams) assert.match(await s.rest(), /"status":"completed"/);
  assert.deepEqual(t.stored, Array(3).fill("completed"));
  assert.equal(t.closed.length, 1);
  assert.ok(!t.logs.some((l) => /aborting/.test(l)));
});

Deno.test("trigger is idempotent and closes storage once", async () => {
  const t = start(0.01);
  await Promise.all([t.shutdown.trigger(), t.shutdown.trigger()]);
  await t.shutdown.trigger();
  assert.equal(t.closed.length, 1);
  assert.ok(t.runs.shuttingDown);
});

Deno.test("new connections are refused once shutdown began", async () => {
  const t = start(0.05);
  const stream = await t.open();
  const done = t.shutdown.trigger();
  await assert.rejects(
    fetch(`http://127.0.0.1:${t.server.addr.port}/v1/run`, {
      method: "POST",
      headers: { ...AUTH, Connection: "close" },
    }).then(async (r) => {
      await r.body?.cancel();
      // Reused keep-alive connection: the drain guard answers instead.
      if (r.status === 503) throw new Error("draining");
      return r;
    }),
  );
  await stream.rest();
  await done;
});

Deno.test("SIGTERM starts the shutdown and a second signal exits at once", async () => {
  const exits: number[] = [];
  let exited!: () => void;
  const exitCalled = new Promise<void>((r) => exited = r);
  const t = start(60, {
    signals: true,
    // Signals here come from the test, well apart, so no echo window is needed
    // (tests/server/signals_test.ts covers the window).
    signalWindowMs: 0,
    exit: (code) => {
      exits.push(code);
      exited();
    },
  });
  try {
    const stream = await t.open();
    Deno.kill(Deno.pid, "SIGTERM");
    // The first signal begins the drain: runs are refused from now on.
    while (!t.runs.shuttingDown) await new Promise((r) => setTimeout(r, 5));
    Deno.kill(Deno.pid, "SIGTERM");
    await exitCalled;
    assert.deepEqual(exits, [130]);
    // Clean up the still-draining shutdown: abort the run ourselves.
    t.runs.abortAll("test over");
    await stream.rest();
    await t.shutdown.trigger();
  } finally {
    t.shutdown.dispose();
  }
});
