/**
 * An abort storm against the real `main.ts serve` process: 200 streams opened and dropped. Every
 * upstream stream is closed, the run count returns to 0, and the process's resident memory stays
 * within a generous bound (a leak of 200 runs' state would blow through it; GC noise would not).
 */
import assert from "node:assert/strict";
import { eventually } from "../fakes/eventually.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { E2E_HEADERS, HeraldProcess, readUntil } from "./herald_process.ts";

const STREAMS = 200;
const BATCH = 50;
const MAX_GROWTH_MB = 150;

/** Resident memory of a process in MB, from /proc (Linux only). */
async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kb / 1024;
}

async function health(url: string, auth: boolean) {
  const res = await fetch(`${url}/health`, auth ? { headers: E2E_HEADERS } : {});
  assert.equal(res.status, 200);
  return await res.json();
}

/** Opens a stream, waits for the first text, then drops the connection. */
async function openAndDrop(url: string, i: number): Promise<void> {
  const responses = i % 2 === 1;
  const res = await fetch(`${url}/v1/${responses ? "responses" : "chat/completions"}`, {
    method: "POST",
    headers: E2E_HEADERS,
    body: JSON.stringify(
      responses
        ? { model: "herald", stream: true, input: `storm ${i}` }
        : { model: "herald", stream: true, messages: [{ role: "user", content: `storm ${i}` }] },
    ),
  });
  assert.equal(res.status, 200);
  const stream = await readUntil(res, "xxxx");
  await stream.cancel();
}

Deno.test({
  name: "200 streams opened and dropped: upstream streams closed, runs back to 0, memory bounded",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using llm = await FakeLlm.start({
      // Stalls after a few chunks: every stream is still running when its client drops it.
      responder: () => ({ text: "x".repeat(4000), stallAfterChunks: 5 }),
    });
    await using herald = await HeraldProcess.start(llm.baseUrl, {
      configYaml: "api_server:\n  max_concurrent_runs: 256\n",
    });
    // Warm up the code paths once so the baseline includes compiled code, not just a cold start.
    await openAndDrop(herald.url, 0);
    await openAndDrop(herald.url, 1);
    await llm.waitForCancelledStreams(2);
    const before = await rssMb(herald.pid);

    for (let start = 0; start < STREAMS; start += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, (_, i) => openAndDrop(herald.url, start + i)),
      );
    }
    // Every upstream stream is closed because its client left, not left to run on.
    await llm.waitForCancelledStreams(STREAMS + 2);
    const after = await rssMb(herald.pid);

    // Runs end once their upstream stream is gone; poll /health until they all have.
    let runs = -1;
    await eventually(
      async () => (runs = (await health(herald.url, true)).runs) === 0,
      "the run count to return to 0",
    ).catch(() => {});
    assert.equal(runs, 0);
    // The fake upstream notices each closed socket on its own schedule: wait for it.
    await eventually(() => llm.openStreams === 0, "every upstream stream to close").catch(() => {});
    assert.equal(llm.openStreams, 0);
    const settled = await rssMb(herald.pid);

    console.log(
      `gateway RSS: ${before.toFixed(1)} MB before, ${after.toFixed(1)} MB after ${STREAMS} ` +
        `dropped streams, ${settled.toFixed(1)} MB settled`,
    );
    assert.ok(
      settled - before < MAX_GROWTH_MB,
      `RSS grew ${(settled - before).toFixed(1)} MB (bound ${MAX_GROWTH_MB} MB)`,
    );
    // The server is still healthy and answers.
    assert.equal((await health(herald.url, true)).status, "ok");
  },
});

Deno.test("/health tells callers without a key nothing but that it is up", async () => {
  await using llm = await FakeLlm.start();
  await using herald = await HeraldProcess.start(llm.baseUrl);
  assert.deepEqual(await health(herald.url, false), { status: "ok" });
  assert.deepEqual(await health(herald.url, true), { status: "ok", model: "herald", runs: 0 });
});
