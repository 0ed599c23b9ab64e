/**
 * The request log of a whole gateway says how each request really ended: a stream that failed
 * after its headers is `failed` with the error code and cause (not a bare 200), a client that
 * left is `cancelled`, an upstream error is `failed` with its code and reason.
 */
import assert from "node:assert/strict";
import type { RequestLogEntry } from "../../server/mod.ts";
import { auditDir, readAuditTrail } from "../../store/mod.ts";
import { FakeLlm } from "../fakes/fake_llm.ts";
import { eventually } from "../fakes/eventually.ts";
import { startTestGateway } from "../fakes/test_gateway.ts";

const KEY = "log-test-9c41f7a2b85d3e60";
const HEADERS = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };

function sink() {
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  return {
    lines,
    log(line: string) {
      lines.push(line);
      for (const wake of waiters.splice(0)) wake();
    },
    /** The first JSON entry for `path`, once logged. */
    async entry(path: string): Promise<RequestLogEntry> {
      while (true) {
        const found = lines.map((l) => JSON.parse(l) as RequestLogEntry).find((e) =>
          e.path === path
        );
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

function chat(url: string, stream: boolean): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: "herald", stream, messages: [{ role: "user", content: "hi" }] }),
  });
}

Deno.test("a stream that fails after its headers is logged as failed, with code and cause", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ text: "partial answer that never ends", dieAfterChunks: 2 });
  const log = sink();
  await using gw = await startTestGateway({ upstream: llm.baseUrl, key: KEY, requestLog: log.log });
  const res = await chat(gw.gateway.url, true);
  assert.equal(res.status, 200);
  await res.text();
  const entry = await log.entry("/v1/chat/completions");
  assert.equal(entry.status, 200);
  assert.equal(entry.outcome, "failed");
  assert.ok(entry.code, JSON.stringify(entry));
  assert.ok(entry.cause && entry.cause.length > 0, JSON.stringify(entry));
});

Deno.test("a client that leaves mid-stream is logged as cancelled", async () => {
  await using llm = await FakeLlm.start();
  // Stalls after a few chunks: still running when the client leaves, however slow the machine.
  llm.enqueue({ text: "z".repeat(2000), stallAfterChunks: 5 });
  const log = sink();
  await using gw = await startTestGateway({ upstream: llm.baseUrl, key: KEY, requestLog: log.log });
  const res = await chat(gw.gateway.url, true);
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  const entry = await log.entry("/v1/chat/completions");
  assert.equal(entry.outcome, "cancelled");
  assert.equal(entry.status, 200);
});

Deno.test("an upstream error is logged as failed with its code and reason", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue({ status: 500, errorMessage: "the GPU caught fire" });
  const log = sink();
  await using gw = await startTestGateway({ upstream: llm.baseUrl, key: KEY, requestLog: log.log });
  const res = await chat(gw.gateway.url, false);
  assert.ok(res.status >= 500, String(res.status));
  const body = await res.json();
  const entry = await log.entry("/v1/chat/completions");
  assert.equal(entry.status, res.status);
  assert.equal(entry.outcome, "failed");
  assert.equal(entry.code, body.error.code);
  assert.match(entry.cause ?? "", /GPU caught fire/);
});

Deno.test("a completed request is logged as completed; log.format text gives one human line", async () => {
  await using llm = await FakeLlm.start();
  const log = sink();
  await using gw = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    requestLog: log.log,
    configYaml: "log:\n  format: text\n",
  });
  const res = await chat(gw.gateway.url, false);
  await res.json();
  await eventually(() => log.lines.length > 0, "the log line");
  assert.match(log.lines[0], /^\d\d:\d\d:\d\d POST \/v1\/chat\/completions 200 completed \d+ms /);
  assert.ok(!log.lines[0].includes("\x1b["), "no colour when the sink is not a terminal");
});

Deno.test("a named key is in the log line, and its turn's tool calls in the audit trail", async () => {
  await using llm = await FakeLlm.start();
  llm.enqueue(
    {
      toolCalls: [
        { name: "terminal", arguments: JSON.stringify({ command: "echo one" }) },
        { name: "terminal", arguments: JSON.stringify({ command: "echo two" }) },
      ],
    },
    { text: "both ran" },
  );
  const log = sink();
  const named = "ci-key-5c2e9a7b1d04f3a8";
  await using gw = await startTestGateway({
    upstream: llm.baseUrl,
    key: KEY,
    requestLog: log.log,
    configYaml: `api_server:\n  keys:\n    - name: ci\n      key: ${named}\n      scope: full\n`,
  });
  const res = await fetch(`${gw.gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${named}`, "Content-Type": "application/json" },
    body: JSON.stringify({ model: "herald", messages: [{ role: "user", content: "run both" }] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.json();
  const entry = await log.entry("/v1/chat/completions");
  assert.equal(entry.key, "ci");
  assert.equal(entry.outcome, "completed");

  await gw.gateway.runtime.audit!.flushed();
  const records = await readAuditTrail(auditDir(gw.home));
  assert.equal(records.length, 2);
  assert.deepEqual(records.map((r) => (r.arguments as { command: string }).command), [
    "echo one",
    "echo two",
  ]);
  for (const record of records) {
    assert.equal(record.front_door, "api_server");
    assert.equal(record.actor, "key:ci");
    assert.equal(record.outcome, "ok");
  }
});
