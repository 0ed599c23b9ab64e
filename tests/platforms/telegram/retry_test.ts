import assert from "node:assert/strict";
import { HttpError } from "grammy/web";
import { retryTransformer } from "../../../platforms/telegram/retry.ts";

// deno-lint-ignore no-explicit-any
type AnyResult = any;

function scripted(results: Array<AnyResult | Error>) {
  const calls: string[] = [];
  const prev = (method: string) => {
    calls.push(method);
    const next = results.shift();
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  return { calls, prev };
}

const OK = { ok: true, result: { message_id: 1 } };

Deno.test("a 429 is retried after retry_after, then succeeds", async () => {
  const { calls, prev } = scripted([
    {
      ok: false,
      error_code: 429,
      description: "Too Many Requests",
      parameters: { retry_after: 0 },
    },
    OK,
  ]);
  const result = await retryTransformer()(prev as AnyResult, "sendMessage", {} as AnyResult);
  assert.deepEqual(result, OK);
  assert.deepEqual(calls, ["sendMessage", "sendMessage"]);
});

Deno.test("5xx and network errors back off and retry; a 400 is returned at once", async () => {
  const retry = retryTransformer({ initialDelaySeconds: 0 });
  const failing = scripted([
    new HttpError("Network request for 'sendMessage' failed!", new Error("reset")),
    { ok: false, error_code: 502, description: "Bad Gateway" },
    OK,
  ]);
  assert.deepEqual(await retry(failing.prev as AnyResult, "sendMessage", {} as AnyResult), OK);
  assert.equal(failing.calls.length, 3);

  const bad = scripted([{ ok: false, error_code: 400, description: "Bad Request" }]);
  const result: AnyResult = await retry(bad.prev as AnyResult, "sendMessage", {} as AnyResult);
  assert.equal(result.error_code, 400);
  assert.equal(bad.calls.length, 1);
});

Deno.test("retries stop after maxRetryAttempts and a too-long retry_after is not waited for", async () => {
  const retry = retryTransformer({ initialDelaySeconds: 0, maxRetryAttempts: 2 });
  const down = scripted(Array.from({ length: 5 }, () => ({ ok: false, error_code: 500 })));
  const result: AnyResult = await retry(down.prev as AnyResult, "sendMessage", {} as AnyResult);
  assert.equal(result.error_code, 500);
  assert.equal(down.calls.length, 3);

  const slow = scripted([{ ok: false, error_code: 429, parameters: { retry_after: 3600 } }]);
  const limited: AnyResult = await retry(slow.prev as AnyResult, "sendMessage", {} as AnyResult);
  assert.equal(limited.error_code, 429);
  assert.equal(slow.calls.length, 1);
});
