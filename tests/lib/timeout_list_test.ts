import assert from "node:assert/strict";
import { TimeoutList } from "../../lib/mod.ts";

/** A promise and the function that resolves it. */
function signalled(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

Deno.test("TimeoutList fires each timeout once, in the order they were started, never early", async () => {
  const list = new TimeoutList(40);
  const fired: { name: string; after: number }[] = [];
  const done = signalled();
  const startedA = performance.now();
  list.start(() => fired.push({ name: "a", after: performance.now() - startedA }));
  await new Promise((r) => setTimeout(r, 10));
  const startedB = performance.now();
  list.start(() => {
    fired.push({ name: "b", after: performance.now() - startedB });
    done.resolve();
  });
  await done.promise;
  assert.deepEqual(fired.map((f) => f.name), ["a", "b"]);
  for (const { after } of fired) assert.ok(after >= 40, String(after));
});

Deno.test("TimeoutList: a cancelled timeout never fires, the others still do", async () => {
  const list = new TimeoutList(30);
  const fired: string[] = [];
  const done = signalled();
  const first = list.start(() => fired.push("first"));
  const second = list.start(() => fired.push("second"));
  const third = list.start(() => {
    fired.push("third");
    done.resolve();
  });
  // The oldest (the one the timer is set for) and one in the middle; twice is harmless.
  first.cancel();
  second.cancel();
  second.cancel();
  // The cancelled ones were due before the third: they would have fired by now.
  await done.promise;
  assert.deepEqual(fired, ["third"]);
  // Cancelling after it fired is harmless too.
  third.cancel();
});

Deno.test("TimeoutList: with every timeout cancelled no timer is left (the op sanitizer checks)", async () => {
  const idle = new TimeoutList(60_000);
  const timeouts = Array.from({ length: 5 }, () => idle.start(() => assert.fail("fired")));
  for (const timeout of timeouts.reverse()) timeout.cancel();
  // A list that emptied sets its timer again for the next timeout.
  const list = new TimeoutList(20);
  const fired: number[] = [];
  const first = signalled();
  list.start(() => {
    fired.push(1);
    first.resolve();
  });
  await first.promise;
  const last = signalled();
  list.start(() => fired.push(2)).cancel();
  list.start(() => {
    fired.push(3);
    last.resolve();
  });
  await last.promise;
  assert.deepEqual(fired, [1, 3]);
});

Deno.test("TimeoutList: a timeout started while others fire waits its own time", async () => {
  const list = new TimeoutList(25);
  const fired: string[] = [];
  const done = signalled();
  let startedSecond = 0;
  list.start(() => {
    fired.push("first");
    startedSecond = performance.now();
    list.start(() => {
      fired.push(`second after ${performance.now() - startedSecond >= 25 ? "25 ms" : "less"}`);
      done.resolve();
    });
  });
  await done.promise;
  assert.deepEqual(fired, ["first", "second after 25 ms"]);
});

Deno.test("TimeoutList: a timeout longer than a timer can wait (about 24.8 days) waits, in steps", () => {
  const list = new TimeoutList(30 * 24 * 3600 * 1000);
  // A timer given more than 2^31 - 1 ms fires at once: the list sets the longest it can instead.
  const delays: number[] = [];
  const setTimer = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    delays.push(ms);
    return setTimer(fn, ms);
  }) as typeof setTimeout;
  let timeout;
  try {
    timeout = list.start(() => assert.fail("fired"));
  } finally {
    globalThis.setTimeout = setTimer;
  }
  assert.deepEqual(delays, [2 ** 31 - 1]);
  timeout.cancel();
});
