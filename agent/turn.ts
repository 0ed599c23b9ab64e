/**
 * The turn contract every front door runs turns through: a {@link TurnRunner} yields a turn's
 * AgentEvents, the last always `final`, and returns the same TurnResult. {@link settleTurn}
 * holds any runner to that promise (a runner that throws or stops early still ends with a
 * `final`), so no front door scans for `final` or invents a result of its own.
 * @module
 */
import type { TurnApprovals } from "./approvals.ts";
import type { RequestFault } from "./errors.ts";
import type { AgentEvent, AgentTurn, TurnResult } from "./events.ts";
import { emptyUsage } from "./messages.ts";
import { describeError } from "../lib/mod.ts";

/** Options for one run. */
export interface RunOptions {
  /** Aborting it stops the LLM request and kills running tools. */
  signal?: AbortSignal;
  /**
   * How this turn's front door asks for approvals. Without it nothing is asked (the tools'
   * own refusals still apply).
   */
  approvals?: TurnApprovals;
  /**
   * The front door answers only once the turn is over (a non-streamed request): the agent asks
   * the upstream for whole completions instead of streams, which costs less per request. The
   * events are the same, each LLM call's text arriving as one delta.
   */
  wholeAnswers?: boolean;
}

/** Options for a front door's view of a turn ({@link turnEvents}, {@link runTurn}). */
export interface TurnEventOptions extends RunOptions {
  /**
   * `streaming.*` of the configuration: false holds text (and reasoning) back and releases each
   * stretch of it as one delta when it ends ({@link holdTextPerSegment}). Default true.
   */
  streamText?: boolean;
}

/**
 * Something that runs agent turns: the Agent, or a test double.
 *
 * @example
 * ```ts
 * const result = await driveTurn(runner.run(turn, { signal }), (event) => render(event));
 * ```
 */
export interface TurnRunner {
  /** Runs one turn: yields its events, the last always `final`, and returns its result. */
  run(turn: AgentTurn, options?: RunOptions): AsyncGenerator<AgentEvent, TurnResult>;
}

/** The result of a turn cut off (by /stop, a client leaving, shutdown) before it finished. */
export function interruptedResult(text = ""): TurnResult {
  return {
    status: "interrupted",
    text,
    messages: [],
    usage: emptyUsage(),
    finishReason: "stop",
    clientToolCalls: [],
    incompleteReason: "interrupted",
  };
}

/** The result of a turn that failed with `error` (a code from the agent's own vocabulary). */
export function failedResult(
  error: { message: string; code: string; request?: RequestFault | null },
  text = "",
): TurnResult {
  return {
    status: "failed",
    text,
    messages: [],
    usage: emptyUsage(),
    finishReason: "stop",
    clientToolCalls: [],
    error: {
      message: error.message,
      code: error.code,
      ...(error.request ? { request: error.request } : {}),
    },
  };
}

/**
 * Passes a turn's events through and guarantees they end with exactly one `final`, whose result
 * the generator also returns. A runner that throws ends `failed` (`interrupted` once `signal`
 * was aborted); one that stops without a `final` ends `interrupted` when aborted, else `failed`.
 */
export function settleTurn(
  events: AsyncGenerator<AgentEvent, TurnResult | void>,
  options: RunOptions = {},
): AsyncGenerator<AgentEvent, TurnResult> {
  return settle(() => events, options);
}

/**
 * {@link settleTurn} over the events `start()` returns, started inside its guard: a runner that
 * throws at once ends `failed` too, and `undefined` (nothing to run) ends like an empty run.
 * One generator, not a wrapper around another: every event of every turn passes through here,
 * and each async generator it passes through costs a few promises per event.
 */
async function* settle(
  start: () => AsyncGenerator<AgentEvent, TurnResult | void> | undefined,
  options: RunOptions,
): AsyncGenerator<AgentEvent, TurnResult> {
  let text = "";
  let result: TurnResult;
  try {
    const events = start();
    for (;;) {
      const next = events ? await events.next() : { done: true as const, value: undefined };
      if (next.done) {
        result = next.value ??
          (options.signal?.aborted ? interruptedResult(text) : failedResult(
            { message: "The agent ended without a result.", code: "agent_error" },
            text,
          ));
        break;
      }
      const event = next.value;
      if (event.type === "final") {
        yield event;
        // Nothing after `final` counts; let the runner clean up.
        await events!.return?.(undefined);
        return event.result;
      }
      if (event.type === "text_delta") text += event.delta;
      yield event;
    }
  } catch (error) {
    result = options.signal?.aborted
      ? interruptedResult(text)
      : failedResult({ message: describeError(error), code: "agent_error" }, text);
  }
  yield { type: "final", result };
  return result;
}

/**
 * Runs a turn's (settled) events to their end, handing each one, `final` included, to `onEvent`;
 * returns the TurnResult.
 */
export async function driveTurn(
  events: AsyncGenerator<AgentEvent, TurnResult>,
  onEvent: (event: AgentEvent) => void = () => {},
): Promise<TurnResult> {
  for (;;) {
    const next = await events.next();
    if (next.done) return next.value;
    onEvent(next.value);
  }
}

/**
 * Runs one turn through `runner` to its end: the usual way a front door runs a turn.
 *
 * @example
 * ```ts
 * const result = await runTurn(agent, turn, { signal, onEvent: (e) => port.postMessage(e) });
 * ```
 */
export function runTurn(
  runner: TurnRunner,
  turn: AgentTurn,
  options: TurnEventOptions & { onEvent?: (event: AgentEvent) => void } = {},
): Promise<TurnResult> {
  return driveTurn(turnEvents(runner, turn, options), options.onEvent);
}

/**
 * `runner.run(turn)` as settled events, text held per segment when streaming is off: what a
 * renderer iterates.
 */
export function turnEvents(
  runner: TurnRunner,
  turn: AgentTurn,
  options: TurnEventOptions = {},
): AsyncGenerator<AgentEvent, TurnResult> {
  // A run is not started when `signal` is already aborted.
  const events = settle(
    () =>
      options.signal?.aborted ? undefined : runner.run(turn, {
        signal: options.signal,
        approvals: options.approvals,
        ...(options.wholeAnswers ? { wholeAnswers: true } : {}),
      }),
    options,
  );
  return options.streamText === false ? holdTextPerSegment(events) : events;
}

/**
 * Streaming off, implemented once: text and reasoning deltas are held back, and each unbroken
 * stretch of one kind is released as a single delta just before the next other event (a tool
 * call, a segment break, `final`…). Every other event passes through in order.
 */
export async function* holdTextPerSegment(
  events: AsyncGenerator<AgentEvent, TurnResult>,
): AsyncGenerator<AgentEvent, TurnResult> {
  let held = "";
  let kind: "text_delta" | "reasoning_delta" = "text_delta";
  const release = (): AgentEvent | null => {
    if (!held) return null;
    const event = { type: kind, delta: held } as AgentEvent;
    held = "";
    return event;
  };
  for (;;) {
    const next = await events.next();
    if (next.done) {
      const last = release();
      if (last) yield last;
      return next.value;
    }
    const event = next.value;
    if (event.type === "text_delta" || event.type === "reasoning_delta") {
      if (event.type !== kind) {
        const other = release();
        if (other) yield other;
        kind = event.type;
      }
      held += event.delta;
      continue;
    }
    const pending = release();
    if (pending) yield pending;
    yield event;
  }
}
