import assert from "node:assert/strict";
import { SessionQueue } from "../../platforms/session_queue.ts";

Deno.test("one session's tasks run in order, other sessions do not wait, idle sessions keep no state", async () => {
  const queue = new SessionQueue();
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  const a1 = queue.run("a", async () => {
    await gate;
    order.push("a1");
  });
  const a2 = queue.run("a", () => Promise.resolve(void order.push("a2")));
  await queue.run("b", () => Promise.resolve(void order.push("b1")));
  assert.deepEqual(order, ["b1"]);
  release();
  await Promise.all([a1, a2]);
  assert.deepEqual(order, ["b1", "a1", "a2"]);
  await queue.idle();
  assert.equal(queue.size, 0);
});

Deno.test("a newer task interrupts the running one; interrupt says whether one was running", async () => {
  const errors: unknown[] = [];
  const queue = new SessionQueue((e) => errors.push(e));
  let started!: () => void;
  const running = new Promise<void>((resolve) => started = resolve);
  const first = queue.run("s", (signal) =>
    new Promise<void>((resolve) => {
      started();
      signal.addEventListener("abort", () => resolve(), { once: true });
    }));
  await running;
  const second = queue.run("s", (signal) => {
    assert.equal(signal.aborted, false);
    return Promise.resolve();
  }, { interruptPrevious: true });
  await Promise.all([first, second]);
  assert.equal(queue.interrupt("s"), false);
  assert.deepEqual(errors, []);
});
