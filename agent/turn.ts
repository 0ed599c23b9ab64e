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
  /** Sees the turn's result once its events have ended (after `final` was passed on). */
  onResult?: (result: TurnResult) => void;
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
 */
function settle(
  start: () => AsyncGenerator<AgentEvent, TurnResult | void> | undefined,
  options: TurnEventOptions,
): AsyncGenerator<AgentEvent, TurnResult> {
  return new SettledTurn(start, options);
}

/**
 * The settling pass-through, written as an iterator object rather than an async generator:
 * every event of every turn passes through here, and while a stream waits for its next token
 * each async generator on the way holds a suspended frame and a few promises, which under many
 * open streams live long enough to be promoted and die in the old generation. Here an event
 * costs one `then` and is handed on as the same result object. Its consumer awaits each `next()`
 * before the next one (as `for await` does).
 */
class SettledTurn implements AsyncGenerator<AgentEvent, TurnResult> {
  #start?: () => AsyncGenerator<AgentEvent, TurnResult | void> | undefined;
  #events?: AsyncGenerator<AgentEvent, TurnResult | void>;
  #options: TurnEventOptions;
  /**
   * The text so far, for a result the runner did not give: kept as its pieces (joined only when
   * needed, which is rarely) rather than a string grown per token, which costs a string node per
   * token for as long as the stream lasts.
   */
  #text: string[] = [];
  /** Set once the final event is decided; the next pull ends the iteration. */
  #result?: TurnResult;
  /** Whether the runner gave the final itself (and is closed once it is passed on). */
  #runnerFinal = false;
  #finished = false;

  constructor(
    start: () => AsyncGenerator<AgentEvent, TurnResult | void> | undefined,
    options: TurnEventOptions,
  ) {
    this.#start = start;
    this.#options = options;
  }

  next(): Promise<IteratorResult<AgentEvent, TurnResult>> {
    if (this.#result) return this.#end();
    if (this.#finished) {
      // Stopped by `return()` or `throw()` before it ended.
      return Promise.resolve({ done: true, value: undefined as unknown as TurnResult });
    }
    try {
      if (this.#start) {
        const start = this.#start;
        this.#start = undefined;
        this.#events = start();
      }
      if (!this.#events) return Promise.resolve(this.#step({ done: true, value: undefined }));
      return this.#events.next().then(this.#step, this.#fail);
    } catch (error) {
      return Promise.resolve(this.#fail(error));
    }
  }

  #step = (
    next: IteratorResult<AgentEvent, TurnResult | void>,
  ): IteratorResult<AgentEvent, TurnResult> => {
    if (next.done) {
      return this.#final(
        next.value ??
          (this.#options.signal?.aborted ? interruptedResult(this.#text.join("")) : failedResult(
            { message: "The agent ended without a result.", code: "agent_error" },
            this.#text.join(""),
          )),
      );
    }
    const event = next.value;
    if (event.type === "final") {
      // Nothing after `final` counts; the runner is closed on the next pull.
      this.#result = event.result;
      this.#runnerFinal = true;
      return next as IteratorResult<AgentEvent, TurnResult>;
    }
    if (event.type === "text_delta") this.#text.push(event.delta);
    return next as IteratorResult<AgentEvent, TurnResult>;
  };

  #fail = (error: unknown): IteratorResult<AgentEvent, TurnResult> =>
    this.#final(
      this.#options.signal?.aborted
        ? interruptedResult(this.#text.join(""))
        : failedResult({ message: describeError(error), code: "agent_error" }, this.#text.join("")),
    );

  #final(result: TurnResult): IteratorResult<AgentEvent, TurnResult> {
    this.#result = result;
    this.#events = undefined;
    return { done: false, value: { type: "final", result } };
  }

  async #end(): Promise<IteratorResult<AgentEvent, TurnResult>> {
    const result = this.#result!;
    if (!this.#finished) {
      this.#finished = true;
      if (this.#runnerFinal) {
        // Let the runner clean up (a failing clean-up does not add a second final).
        const events = this.#events;
        this.#events = undefined;
        await events?.return?.(undefined)?.catch(() => {});
      }
      this.#options.onResult?.(result);
    }
    return { done: true, value: result };
  }

  return(
    value?: TurnResult | PromiseLike<TurnResult>,
  ): Promise<IteratorResult<AgentEvent, TurnResult>> {
    // Like a generator stopped by its consumer: it ends here (the runner is stopped by its signal).
    this.#start = undefined;
    this.#events = undefined;
    this.#finished = true;
    return Promise.resolve(value).then((v) => ({ done: true as const, value: v as TurnResult }));
  }

  throw(error: unknown): Promise<IteratorResult<AgentEvent, TurnResult>> {
    this.#start = undefined;
    this.#events = undefined;
    this.#finished = true;
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
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
