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
  /**
   * Where the runner may hand its streamed pieces (text, reasoning and tool-call argument
   * deltas, tool calls starting) as they arrive instead of yielding them: {@link turnEvents}
   * passes one. Everything emitted comes, in order, before what is yielded next; a runner that
   * ignores it yields everything, which is just as correct.
   */
  emit?: (event: AgentEvent) => void;
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
 * (The runner here is already running, so it yields every event; {@link turnEvents} starts one
 * that may hand its streamed pieces over as they come.)
 */
export function settleTurn(
  events: AsyncGenerator<AgentEvent, TurnResult | void>,
  options: RunOptions = {},
): AsyncGenerator<AgentEvent, TurnResult> {
  return settle(() => events, options);
}

/**
 * {@link settleTurn} over the events `start(emit)` returns, started inside its guard: a runner
 * that throws at once ends `failed` too, and `undefined` (nothing to run) ends like an empty run.
 * `start` gets the `emit` to hand the runner ({@link RunOptions.emit}).
 */
function settle(
  start: (emit: EmitEvent) => AsyncGenerator<AgentEvent, TurnResult | void> | undefined,
  options: TurnEventOptions,
): AsyncGenerator<AgentEvent, TurnResult> & DrainableTurn {
  return new SettledTurn(start, options);
}

/** Hands one event on, synchronously. */
type EmitEvent = (event: AgentEvent) => void;

/**
 * Turn events that can also be pushed: {@link DrainableTurn.drain} hands every event to a
 * callback as it happens, which is how {@link driveTurn} runs them. A stream waiting for its
 * next token then holds no promise per token: the runner's streamed pieces go straight from the
 * upstream read to the callback.
 */
export interface DrainableTurn {
  /**
   * Hands every event not yet taken, `final` included, to `onEvent` as it happens, and resolves
   * with the result. An exception from `onEvent` stops the delivery and rejects. Use either this
   * or `next()`, not both at once.
   */
  drain(onEvent: EmitEvent): Promise<TurnResult>;
}

/** Whether `events` can be drained ({@link DrainableTurn}). */
function isDrainable(events: object): events is DrainableTurn {
  return typeof (events as Partial<DrainableTurn>).drain === "function";
}

/**
 * The settling pass-through, written as an object rather than an async generator: every event
 * of every turn passes through here, and while a stream waits for its next token each async
 * generator on the way holds a suspended frame and a few promises, which under many open streams
 * live long enough to be promoted and die in the old generation.
 *
 * The runner is given an `emit` ({@link RunOptions.emit}): what it emits and what it yields pass
 * the same checks, in the order they happened. Pulled (`next()`), an event is handed over as soon
 * as there is one (an emitted one resolves the waiting `next()`; the rest wait in a queue until
 * asked for); drained ({@link DrainableTurn.drain}), each goes to the callback at once, and the
 * runner is pulled only for what it yields.
 */
class SettledTurn implements AsyncGenerator<AgentEvent, TurnResult>, DrainableTurn {
  #start?: (emit: EmitEvent) => AsyncGenerator<AgentEvent, TurnResult | void> | undefined;
  #events?: AsyncGenerator<AgentEvent, TurnResult | void>;
  #options: TurnEventOptions;
  /**
   * The text so far, for a result the runner did not give: kept as its pieces (joined only when
   * needed, which is rarely) rather than a string grown per token, which costs a string node per
   * token for as long as the stream lasts.
   */
  #text: string[] = [];
  /** Set once the final event is decided; it is the last one handed over. */
  #result?: TurnResult;
  /** Whether the runner gave the final itself (and is closed once it is passed on). */
  #runnerFinal = false;
  /** The consumer stopped (`return()`, `throw()`, a failing drain callback) or took the end. */
  #finished = false;
  /** Events decided but not yet taken by a puller. */
  #queue: AgentEvent[] = [];
  /** A puller's `next()` waiting for an event. */
  #waiter?: (next: IteratorResult<AgentEvent, TurnResult>) => void;
  /** The drain callback, while draining. */
  #sink?: EmitEvent;
  /** Wakes a drain when the consumer stops it (a failing callback, `return()`). */
  #wake?: () => void;
  #sinkError?: { error: unknown };
  /** The runner's `next()` in flight, with its handling. */
  #pulling?: Promise<void>;

  constructor(
    start: (emit: EmitEvent) => AsyncGenerator<AgentEvent, TurnResult | void> | undefined,
    options: TurnEventOptions,
  ) {
    this.#start = start;
    this.#options = options;
  }

  next(): Promise<IteratorResult<AgentEvent, TurnResult>> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve({ done: false, value: queued });
    if (this.#result) return this.#end();
    if (this.#finished) {
      // Stopped by `return()` or `throw()` before it ended.
      return Promise.resolve({ done: true, value: undefined as unknown as TurnResult });
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#pull();
    });
  }

  async drain(onEvent: EmitEvent): Promise<TurnResult> {
    try {
      for (let event = this.#queue.shift(); event; event = this.#queue.shift()) onEvent(event);
    } catch (error) {
      this.#stop();
      throw error;
    }
    this.#sink = onEvent;
    const stopped = new Promise<void>((resolve) => this.#wake = resolve);
    try {
      while (!this.#result && !this.#finished) await Promise.race([this.#pull(), stopped]);
    } finally {
      this.#sink = undefined;
      this.#wake = undefined;
    }
    if (this.#sinkError) throw this.#sinkError.error;
    if (!this.#result) return interruptedResult(this.#text.join(""));
    await this.#end();
    return this.#result;
  }

  /** Pulls the runner once (or joins the pull in flight). */
  #pull(): Promise<void> {
    this.#pulling ??= this.#runnerNext().then(this.#step, this.#fail).then(this.#pulled);
    return this.#pulling;
  }

  #runnerNext(): Promise<IteratorResult<AgentEvent, TurnResult | void>> {
    try {
      if (this.#start) {
        const start = this.#start;
        this.#start = undefined;
        this.#events = start(this.#emit);
      }
      if (!this.#events) return Promise.resolve({ done: true, value: undefined });
      return this.#events.next();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #pulled = (): void => {
    this.#pulling = undefined;
    // A `next()` that came while this pull was finishing (its event taken by an earlier one).
    if (this.#waiter) this.#pull();
  };

  /** What the runner emits: taken like what it yields, until the final or the consumer stops. */
  #emit = (event: AgentEvent): void => {
    if (!this.#result && !this.#finished) this.#accept(event);
  };

  #step = (next: IteratorResult<AgentEvent, TurnResult | void>): void => {
    if (this.#result || this.#finished) return;
    if (next.done) {
      this.#final(
        next.value ??
          (this.#options.signal?.aborted ? interruptedResult(this.#text.join("")) : failedResult(
            { message: "The agent ended without a result.", code: "agent_error" },
            this.#text.join(""),
          )),
      );
      return;
    }
    this.#accept(next.value);
  };

  #fail = (error: unknown): void => {
    if (this.#result || this.#finished) return;
    this.#final(
      this.#options.signal?.aborted
        ? interruptedResult(this.#text.join(""))
        : failedResult({ message: describeError(error), code: "agent_error" }, this.#text.join("")),
    );
  };

  #accept(event: AgentEvent): void {
    if (event.type === "final") {
      // Nothing after `final` counts; the runner is closed once the end is taken.
      this.#result = event.result;
      this.#runnerFinal = true;
    } else if (event.type === "text_delta") this.#text.push(event.delta);
    this.#deliver(event);
  }

  #final(result: TurnResult): void {
    this.#result = result;
    this.#events = undefined;
    this.#deliver({ type: "final", result });
  }

  #deliver(event: AgentEvent): void {
    const sink = this.#sink;
    if (sink) {
      try {
        sink(event);
      } catch (error) {
        this.#sinkError = { error };
        this.#stop();
      }
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter({ done: false, value: event });
    } else this.#queue.push(event);
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

  /** Ends it for the consumer: like a generator stopped early (the runner stops by its signal). */
  #stop(): void {
    this.#start = undefined;
    this.#events = undefined;
    this.#finished = true;
    this.#queue.length = 0;
    this.#sink = undefined;
    this.#wake?.();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ done: true, value: undefined as unknown as TurnResult });
  }

  return(
    value?: TurnResult | PromiseLike<TurnResult>,
  ): Promise<IteratorResult<AgentEvent, TurnResult>> {
    this.#stop();
    return Promise.resolve(value).then((v) => ({ done: true as const, value: v as TurnResult }));
  }

  throw(error: unknown): Promise<IteratorResult<AgentEvent, TurnResult>> {
    this.#stop();
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
 * returns the TurnResult. Events that can be drained ({@link DrainableTurn}, as
 * {@link turnEvents} gives them) are pushed to `onEvent` as they happen; others are pulled.
 */
export async function driveTurn<R extends TurnResult | void = TurnResult>(
  events: AsyncGenerator<AgentEvent, R>,
  onEvent: (event: AgentEvent) => void = () => {},
): Promise<R> {
  if (isDrainable(events)) return await events.drain(onEvent) as R;
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
    (emit) =>
      options.signal?.aborted ? undefined : runner.run(turn, {
        signal: options.signal,
        approvals: options.approvals,
        emit,
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
