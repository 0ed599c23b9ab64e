import assert from "node:assert/strict";
import {
  type AgentEvent,
  driveTurn,
  failedResult,
  holdTextPerSegment,
  interruptedResult,
  runTurn,
  settleTurn,
  turnEvents,
  type TurnResult,
  type TurnRunner,
} from "../../agent/mod.ts";

const done: TurnResult = {
  ...interruptedResult("hi"),
  status: "completed",
  incompleteReason: undefined,
};

/** Collects what a settled stream yields and what it returns. */
async function settle(
  events: AsyncGenerator<AgentEvent, TurnResult | void>,
  signal?: AbortSignal,
) {
  const seen: AgentEvent[] = [];
  const result = await driveTurn(settleTurn(events, { signal }), (e) => seen.push(e));
  return { seen, result };
}

Deno.test("a settled turn passes events through and returns the final result", async () => {
  const { seen, result } = await settle((async function* () {
    yield { type: "text_delta", delta: "hi" } as AgentEvent;
    yield { type: "final", result: done } as AgentEvent;
    return done;
  })());
  assert.deepEqual(seen.map((e) => e.type), ["text_delta", "final"]);
  assert.equal(result, done);
});

Deno.test("events after final are not passed on and the runner is closed", async () => {
  let closed = false;
  const { seen } = await settle((async function* () {
    try {
      yield { type: "final", result: done } as AgentEvent;
      yield { type: "text_delta", delta: "late" } as AgentEvent;
    } finally {
      closed = true;
    }
    return done;
  })());
  assert.deepEqual(seen.map((e) => e.type), ["final"]);
  assert.ok(closed);
});

Deno.test("a runner that throws ends with a failed final carrying the partial text", async () => {
  const { seen, result } = await settle((async function* () {
    yield { type: "text_delta", delta: "par" } as AgentEvent;
    throw new Error("tool runner crashed");
  })());
  assert.equal(seen.at(-1)!.type, "final");
  assert.equal(result.status, "failed");
  assert.deepEqual(result.error, { message: "tool runner crashed", code: "agent_error" });
  assert.equal(result.text, "par");
});

Deno.test("a runner that throws after an abort ends interrupted", async () => {
  const controller = new AbortController();
  const { result } = await settle(
    (async function* () {
      controller.abort();
      yield { type: "text_delta", delta: "x" } as AgentEvent;
      throw new Error("aborted");
    })(),
    controller.signal,
  );
  assert.equal(result.status, "interrupted");
  assert.equal(result.incompleteReason, "interrupted");
});

Deno.test("a runner that stops without final ends failed, or interrupted once aborted", async () => {
  const quiet = async function* (): AsyncGenerator<AgentEvent, void> {
    yield { type: "text_delta", delta: "x" };
  };
  const failed = await settle(quiet());
  assert.equal(failed.result.status, "failed");
  assert.equal(failed.result.error?.message, "The agent ended without a result.");
  assert.equal(failed.seen.filter((e) => e.type === "final").length, 1);
  const controller = new AbortController();
  controller.abort();
  assert.equal((await settle(quiet(), controller.signal)).result.status, "interrupted");
});

Deno.test("runTurn does not start a turn whose signal is already aborted", async () => {
  let started = false;
  const runner: TurnRunner = {
    run: async function* () {
      started = true;
      yield { type: "final", result: done };
      return done;
    },
  };
  const controller = new AbortController();
  controller.abort();
  const seen: AgentEvent[] = [];
  const result = await runTurn(runner, { platform: "cli", messages: [] }, {
    signal: controller.signal,
    onEvent: (e) => seen.push(e),
  });
  assert.equal(started, false);
  assert.equal(result.status, "interrupted");
  assert.deepEqual(seen, [{ type: "final", result }]);
});

Deno.test("failedResult carries a code and no HTTP status", () => {
  const result = failedResult({ message: "no upstream", code: "upstream_unreachable" });
  assert.equal(result.status, "failed");
  assert.deepEqual(result.error, { message: "no upstream", code: "upstream_unreachable" });
});

Deno.test("streaming off releases each stretch of text or reasoning as one delta, in order", async () => {
  const source = (async function* (): AsyncGenerator<AgentEvent, TurnResult> {
    yield { type: "reasoning_delta", delta: "thin" };
    yield { type: "reasoning_delta", delta: "king" };
    yield { type: "text_delta", delta: "Hel" };
    yield { type: "text_delta", delta: "lo" };
    yield { type: "segment_break" };
    yield { type: "text_delta", delta: "Bye" };
    yield { type: "final", result: done };
    return done;
  })();
  const seen: AgentEvent[] = [];
  const result = await driveTurn(holdTextPerSegment(source), (e) => seen.push(e));
  assert.deepEqual(seen, [
    { type: "reasoning_delta", delta: "thinking" },
    { type: "text_delta", delta: "Hello" },
    { type: "segment_break" },
    { type: "text_delta", delta: "Bye" },
    { type: "final", result: done },
  ]);
  assert.equal(result, done);
});

Deno.test("turnEvents holds text per segment only when streaming is off", async () => {
  const runner: TurnRunner = {
    run: async function* () {
      yield { type: "text_delta", delta: "a" };
      yield { type: "text_delta", delta: "b" };
      yield { type: "final", result: done };
      return done;
    },
  };
  const deltas = async (streamText: boolean) => {
    const seen: string[] = [];
    await driveTurn(turnEvents(runner, { platform: "cli", messages: [] }, { streamText }), (e) => {
      if (e.type === "text_delta") seen.push(e.delta);
    });
    return seen;
  };
  assert.deepEqual(await deltas(true), ["a", "b"]);
  assert.deepEqual(await deltas(false), ["ab"]);
});

/**
 * A runner that emits two pieces, then waits for `gate` before it yields the final: a consumer
 * that got the emitted pieces only at the runner's next yield would never open the gate.
 */
function emittingRunner(gate: Promise<void>): TurnRunner {
  return {
    run: async function* (_turn, options) {
      const emit = options?.emit;
      assert.ok(emit, "turnEvents hands the runner an emit");
      yield { type: "tool_started", call: toolCall } as AgentEvent;
      emit({ type: "text_delta", delta: "a" });
      emit({ type: "text_delta", delta: "b" });
      await gate;
      yield { type: "final", result: done };
      emit({ type: "text_delta", delta: "after the final" });
      return done;
    },
  };
}

const toolCall = { id: "c1", type: "function" as const, function: { name: "t", arguments: "{}" } };

Deno.test("drained, emitted events reach the consumer at once, in order with the yielded ones", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const seen: string[] = [];
  const result = await driveTurn(
    turnEvents(emittingRunner(gate), { platform: "cli", messages: [] }),
    (e) => {
      seen.push(e.type === "text_delta" ? e.delta : e.type);
      if (e.type === "text_delta" && e.delta === "b") open();
    },
  );
  assert.deepEqual(seen, ["tool_started", "a", "b", "final"]);
  assert.equal(result, done);
});

Deno.test("pulled, an emitted event resolves the waiting next() before the runner yields", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const events = turnEvents(emittingRunner(gate), { platform: "cli", messages: [] });
  assert.equal(((await events.next()).value as AgentEvent).type, "tool_started");
  assert.deepEqual((await events.next()).value, { type: "text_delta", delta: "a" });
  assert.deepEqual((await events.next()).value, { type: "text_delta", delta: "b" });
  open();
  const last = await events.next();
  assert.equal((last.value as AgentEvent).type, "final");
  assert.deepEqual(await events.next(), { done: true, value: done });
});

Deno.test("emitted text counts for the result of a runner that throws", async () => {
  const runner: TurnRunner = {
    // deno-lint-ignore require-yield -- it only emits, then fails
    run: async function* (_turn, options) {
      options!.emit!({ type: "text_delta", delta: "par" });
      await Promise.resolve();
      options!.emit!({ type: "text_delta", delta: "tial" });
      throw new Error("upstream went away");
    },
  };
  const seen: AgentEvent[] = [];
  const result = await driveTurn(
    turnEvents(runner, { platform: "cli", messages: [] }),
    (e) => seen.push(e),
  );
  assert.deepEqual(seen.map((e) => e.type), ["text_delta", "text_delta", "final"]);
  assert.equal(result.status, "failed");
  assert.equal(result.text, "partial");
});

Deno.test("a drain callback that throws stops the delivery and rejects with its error", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  const seen: string[] = [];
  const drained = driveTurn(
    turnEvents(emittingRunner(gate), { platform: "cli", messages: [] }),
    (e) => {
      seen.push(e.type === "text_delta" ? e.delta : e.type);
      if (e.type === "text_delta") throw new Error("renderer broke");
    },
  );
  await assert.rejects(drained, /renderer broke/);
  open();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(seen, ["tool_started", "a"], "nothing is delivered after the failure");
});

Deno.test("streaming off holds emitted text too", async () => {
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  open();
  const seen: AgentEvent[] = [];
  await driveTurn(
    turnEvents(emittingRunner(gate), { platform: "cli", messages: [] }, { streamText: false }),
    (e) => seen.push(e),
  );
  assert.deepEqual(seen.map((e) => e.type === "text_delta" ? e.delta : e.type), [
    "tool_started",
    "ab",
    "final",
  ]);
});
