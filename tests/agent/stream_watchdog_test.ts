import assert from "node:assert/strict";
import { UpstreamError } from "../../agent/mod.ts";
import { redactUrl, StreamWatchdog, watchStream } from "../../agent/stream_watchdog.ts";

/** A source whose items the test pushes by hand, recording whether it was closed. */
function manualSource<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const state = { closed: false };
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]() {
      return {
        async next() {
          while (queue.length === 0 && !ended) await new Promise<void>((r) => wake = r);
          if (queue.length > 0) return { value: queue.shift()!, done: false };
          return { value: undefined, done: true };
        },
        return() {
          state.closed = true;
          ended = true;
          wake?.();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
  return {
    iterable,
    state,
    push(item: T) {
      queue.push(item);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
  };
}

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

Deno.test("a stream that keeps sending passes through untouched", async () => {
  async function* source() {
    for (let i = 0; i < 5; i++) yield i;
  }
  assert.deepEqual(await collect(watchStream(source(), { firstItemMs: 1000, idleMs: 1000 })), [
    0,
    1,
    2,
    3,
    4,
  ]);
});

Deno.test("no first item in time fails with a first-token UpstreamError and closes the source", async () => {
  const src = manualSource<number>();
  const kinds: string[] = [];
  const error = await collect(
    watchStream(src.iterable, {
      firstItemMs: 20,
      idleMs: 10_000,
      url: "https://user:pw@llm.example/v1?key=sk-secret",
      onTimeout: (kind) => kinds.push(kind),
    }),
  ).catch((e) => e);
  assert.ok(error instanceof UpstreamError);
  assert.equal(error.code, "upstream_timeout");
  assert.match(error.message, /no first token/);
  assert.match(error.message, /https:\/\/llm\.example\/v1/);
  assert.ok(!/sk-secret|pw/.test(error.message), error.message);
  assert.deepEqual(kinds, ["first_item"]);
  assert.ok(src.state.closed);
});

Deno.test("a stream that goes silent mid-answer fails with a stale-stream error", async () => {
  const src = manualSource<string>();
  src.push("a");
  src.push("b");
  const seen: string[] = [];
  const error = await (async () => {
    for await (const item of watchStream(src.iterable, { firstItemMs: 10_000, idleMs: 20 })) {
      seen.push(item);
    }
  })().catch((e) => e);
  assert.deepEqual(seen, ["a", "b"]);
  assert.ok(error instanceof UpstreamError);
  assert.match(error.message, /stopped sending/);
  assert.ok(src.state.closed);
});

Deno.test("aborting the signal stops waiting with the abort reason", async () => {
  const src = manualSource<number>();
  const controller = new AbortController();
  const pending = collect(
    watchStream(src.iterable, { firstItemMs: 10_000, idleMs: 10_000, signal: controller.signal }),
  );
  controller.abort(new DOMException("client left", "AbortError"));
  await assert.rejects(pending, { name: "AbortError" });
  assert.ok(src.state.closed);
});

Deno.test("a consumer breaking early closes the source", async () => {
  const src = manualSource<number>();
  src.push(1);
  src.push(2);
  for await (const _ of watchStream(src.iterable, { firstItemMs: 1000, idleMs: 1000 })) break;
  assert.ok(src.state.closed);
});

Deno.test("a source that ends normally is not closed again", async () => {
  const src = manualSource<number>();
  src.push(1);
  src.end();
  assert.deepEqual(await collect(watchStream(src.iterable, { firstItemMs: 1000, idleMs: 1000 })), [
    1,
  ]);
  assert.ok(!src.state.closed);
});

Deno.test("redactUrl drops credentials and query strings", () => {
  assert.equal(redactUrl("https://a:b@host.example/v1?key=x#f"), "https://host.example/v1");
  assert.equal(redactUrl("not a url"), "(an invalid URL)");
});

/** A watchdog whose timeouts are collected; `fired` resolves at the first one. */
function watchdog(firstItemMs: number, idleMs: number, connectMs?: number) {
  const timeouts: { error: UpstreamError; kind: string }[] = [];
  let resolve!: () => void;
  const fired = new Promise<void>((r) => (resolve = r));
  const dog = new StreamWatchdog({
    connectMs,
    firstItemMs,
    idleMs,
    url: "http://user:secret@127.0.0.1:9/v1?key=k",
    onTimeout: (error, kind) => {
      timeouts.push({ error, kind });
      resolve();
    },
  });
  return { dog, timeouts, fired };
}

Deno.test("StreamWatchdog: no first item in time fails with the first-token timeout, once", async () => {
  const { dog, timeouts, fired } = watchdog(20, 10_000);
  await fired;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(timeouts.length, 1);
  assert.equal(timeouts[0].kind, "first_item");
  assert.equal(timeouts[0].error.code, "upstream_timeout");
  assert.match(timeouts[0].error.message, /llm\.first_token_timeout/);
  assert.doesNotMatch(timeouts[0].error.message, /secret|key=k/);
  dog.stop();
});

Deno.test("StreamWatchdog: after an item the idle limit applies, only while waiting", async () => {
  const { dog, timeouts, fired } = watchdog(10_000, 20);
  dog.sawItem();
  // The consumer is busy (not waiting for the upstream): that time does not count.
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(timeouts.length, 0);
  dog.waiting();
  await fired;
  assert.equal(timeouts[0].kind, "idle");
  assert.match(timeouts[0].error.message, /llm\.stale_timeout/);
  dog.stop();
});

Deno.test("StreamWatchdog: stopped, it never fires", async () => {
  const { dog, timeouts } = watchdog(10, 10);
  dog.stop();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(timeouts.length, 0);
});

Deno.test("StreamWatchdog: no headers within connectMs fails with the connect timeout", async () => {
  const { dog, timeouts, fired } = watchdog(10_000, 10_000, 20);
  await fired;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(timeouts.length, 1);
  assert.equal(timeouts[0].kind, "connect");
  assert.equal(timeouts[0].error.code, "upstream_timeout");
  assert.match(
    timeouts[0].error.message,
    /no response headers within 0 s \(llm\.connect_timeout\)/,
  );
  assert.doesNotMatch(timeouts[0].error.message, /secret|key=k/);
  dog.stop();
});

Deno.test("StreamWatchdog: once connected, only the first-item window is left", async () => {
  const { dog, timeouts, fired } = watchdog(80, 10_000, 20);
  dog.connected();
  await fired;
  assert.equal(timeouts.length, 1);
  assert.equal(timeouts[0].kind, "first_item");
  dog.stop();
});

Deno.test("StreamWatchdog: a connect window no shorter than the first-item one is not used", async () => {
  const { dog, timeouts, fired } = watchdog(20, 10_000, 20);
  await fired;
  assert.equal(timeouts[0].kind, "first_item");
  dog.stop();
});
