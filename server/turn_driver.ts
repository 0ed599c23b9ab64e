/**
 * Meets a turn with HTTP, once for every endpoint that runs the agent (Chat Completions,
 * Responses): begin the run, let the request's signal stop it until the response is handed over,
 * and answer either after the turn (plain) or as SSE from its first event on (streamed) —
 * finishing the run, and reporting any failure after the hand-over, exactly once.
 * @module
 */
import {
  type AgentEvent,
  type AgentTurn,
  type DrainableTurn,
  driveTurn,
  holdTextPerSegment,
  turnEvents,
  type TurnResult,
  type TurnRunner,
} from "../agent/mod.ts";
import { errorResponse } from "./error_envelope.ts";
import type { RequestContext, RequestOutcome } from "./router.ts";
import type { Run, RunTracker } from "./runs.ts";
import { sseResponse, type SseWriter } from "./sse.ts";
import { turnError } from "./error_envelope.ts";
import { describeError } from "../lib/mod.ts";

/** One turn to answer a request with. */
export interface TurnCall {
  req: Request;
  /** The request's context: its id goes with every failure logged. */
  ctx?: RequestContext;
  runs: RunTracker;
  runner: TurnRunner;
  turn: AgentTurn;
  /** Called once the run has finished, whatever happened (e.g. releases a conversation). */
  onFinished?: () => void;
  /** `streaming.api_server`: false releases each stretch of text as one delta. Default true. */
  streamText?: boolean;
}

/** How a plain (non-streamed) answer is built. */
export interface PlainAnswer {
  /** Sees every event as it happens, `final` included. */
  onEvent?(event: AgentEvent): void;
  /** Builds the response from the result; the run is still open (e.g. to store the turn). */
  respond(result: TurnResult, run: Run): Promise<Response> | Response;
}

/** How a streamed answer is rendered. */
export interface StreamedAnswer {
  /** Milliseconds of silence before a keep-alive comment. */
  keepAliveMs?: number;
  /** Writes the turn's events, ending the stream the protocol's way (terminal frame, `[DONE]`). */
  render(
    events: AsyncGenerator<AgentEvent, TurnResult>,
    writer: SseWriter,
    run: Run,
  ): Promise<void>;
  /** Ends the stream after `render` failed: the protocol's error frames, then `[DONE]`. */
  fail(error: unknown, writer: SseWriter): void;
}

/**
 * Runs the turn while the request waits and answers with `answer.respond(result)`. The client
 * leaving aborts the run.
 */
export async function answerPlain(call: TurnCall, answer: PlainAnswer): Promise<Response> {
  nameActor(call);
  const run = call.runs.begin();
  const onAbort = () => run.abort("client disconnected");
  call.req.signal.addEventListener("abort", onAbort, { once: true });
  try {
    // Nothing is sent before the turn ends: the upstream may answer each call whole.
    const events = turnEvents(call.runner, call.turn, {
      signal: run.signal,
      streamText: call.streamText,
      wholeAnswers: true,
    });
    let result: TurnResult;
    for (;;) {
      const next = await events.next();
      if (next.done) {
        result = next.value;
        break;
      }
      answer.onEvent?.(next.value);
    }
    recordOutcome(call.ctx, result, run.signal);
    return await answer.respond(result, run);
  } finally {
    call.req.signal.removeEventListener("abort", onAbort);
    run.finish();
    call.onFinished?.();
  }
}

/**
 * Streams the turn as SSE. The first event is awaited before anything is sent, so a turn that
 * fails at once (no upstream, say) gets a real HTTP error status instead of a 200 stream carrying
 * an error. After the hand-over, a failure is logged with its cause and request id, and ends
 * the stream through `answer.fail`.
 */
export async function answerStream(call: TurnCall, answer: StreamedAnswer): Promise<Response> {
  nameActor(call);
  // No closure below refers to `call`: they live as long as the stream, and would keep the
  // request (the guards' copy of it, its headers and body stream) with it.
  const { ctx, onFinished, req } = call;
  const run = call.runs.begin();
  const onEarlyAbort = () => run.abort("client disconnected");
  req.signal.addEventListener("abort", onEarlyAbort, { once: true });
  let handedOver = false;
  try {
    const started = await startTurn(call.runner, call.turn, {
      signal: run.signal,
      streamText: call.streamText,
      onResult: (result) => recordOutcome(ctx, result, run.signal),
    });
    if ("failed" in started) {
      recordOutcome(ctx, started.failed, run.signal);
      return errorResponse(turnError(started.failed));
    }
    handedOver = true;
    const { events } = started;
    return sseResponse({
      keepAliveMs: answer.keepAliveMs,
      onCancel: () => run.abort("client disconnected"),
      produce: async (writer) => {
        try {
          await answer.render(events, writer, run);
        } finally {
          run.finish();
          onFinished?.();
        }
      },
      onError: (error, writer) => {
        if (ctx) {
          ctx.outcome = {
            status: "failed",
            code: "stream_error",
            cause: describeError(error),
          };
        }
        answer.fail(error, writer);
      },
      report: (error) => reportUnexpected(ctx, error),
    });
  } finally {
    req.signal.removeEventListener("abort", onEarlyAbort);
    if (!handedOver) {
      run.finish();
      onFinished?.();
    }
  }
}

/** How a turn started: failed at once, or running with its (settled) events. */
export type TurnStart =
  | { failed: TurnResult }
  | { events: AsyncGenerator<AgentEvent, TurnResult> };

/**
 * Starts a turn and pulls its first event before anything is committed to the client, so a turn
 * that fails at once can still be answered with a real error. Otherwise returns the events, the
 * first one put back in front.
 */
export async function startTurn(
  runner: TurnRunner,
  turn: AgentTurn,
  options: {
    signal: AbortSignal;
    streamText?: boolean;
    /** Sees the result once the returned events end (not called when the turn failed at once). */
    onResult?: (result: TurnResult) => void;
  },
): Promise<TurnStart> {
  // The hand-over waits for the first event only; streaming off holds text after it, so the
  // headers (and keep-alives) still go out as soon as the turn is under way.
  const events = turnEvents(runner, turn, { signal: options.signal, onResult: options.onResult });
  const first = await events.next();
  if (!first.done && first.value.type === "final" && first.value.result.status === "failed") {
    return { failed: first.value.result };
  }
  const all = new Prepended(first, events);
  return { events: options.streamText === false ? holdTextPerSegment(all) : all };
}

/** The request-log view of a turn's result. */
export function outcomeOf(result: TurnResult, signal?: AbortSignal): RequestOutcome {
  switch (result.status) {
    case "completed":
      return { status: "completed" };
    case "incomplete":
      return result.incompleteReason === "interrupted"
        ? { status: "cancelled", cause: abortCause(signal) }
        : { status: "incomplete", code: result.incompleteReason };
    case "interrupted":
      return { status: "cancelled", cause: abortCause(signal) };
    default:
      return {
        status: "failed",
        code: result.error?.code ?? "agent_error",
        cause: result.error?.message,
      };
  }
}

function abortCause(signal?: AbortSignal): string | undefined {
  const reason = signal?.reason;
  if (reason === undefined) return undefined;
  return describeError(reason);
}

// The audit trail names who asked: the key the request authenticated with.
function nameActor(call: TurnCall): void {
  if (call.ctx?.keyName && call.turn.actor === undefined) {
    call.turn = { ...call.turn, actor: `key:${call.ctx.keyName}` };
  }
  // A chat-scoped key talks to the model only: no server tool of any source (client tools stay).
  if (call.ctx?.key?.scope === "chat") {
    call.turn = { ...call.turn, allowedTools: { "*": [] } };
  }
}

function recordOutcome(
  ctx: RequestContext | undefined,
  result: TurnResult,
  signal: AbortSignal,
): void {
  if (ctx) ctx.outcome = outcomeOf(result, signal);
}

/** Logs an unexpected error once, with its cause and the request id, through the app's hook. */
export function reportUnexpected(ctx: RequestContext | undefined, error: unknown): void {
  if (ctx?.reportUnexpected) ctx.reportUnexpected(error);
  else console.error("Unexpected error in a streamed response:", error);
}

/**
 * The first event put back in front of the rest: after it, each `next()` (or the drain) is the
 * settled events' own, with nothing added per event (an async generator here cost a suspended
 * frame and a few promises per token of every open stream).
 */
class Prepended implements AsyncGenerator<AgentEvent, TurnResult>, DrainableTurn {
  #first?: IteratorResult<AgentEvent, TurnResult>;
  #rest: AsyncGenerator<AgentEvent, TurnResult>;

  constructor(
    first: IteratorResult<AgentEvent, TurnResult>,
    rest: AsyncGenerator<AgentEvent, TurnResult>,
  ) {
    this.#first = first;
    this.#rest = rest;
  }

  next(): Promise<IteratorResult<AgentEvent, TurnResult>> {
    const first = this.#first;
    if (!first) return this.#rest.next();
    this.#first = undefined;
    return Promise.resolve(first);
  }

  async drain(onEvent: (event: AgentEvent) => void): Promise<TurnResult> {
    const first = this.#first;
    this.#first = undefined;
    if (first?.done) return first.value;
    if (first) onEvent(first.value);
    return await driveTurn(this.#rest, onEvent);
  }

  return(
    value?: TurnResult | PromiseLike<TurnResult>,
  ): Promise<IteratorResult<AgentEvent, TurnResult>> {
    this.#first = undefined;
    return this.#rest.return(value as TurnResult);
  }

  throw(error: unknown): Promise<IteratorResult<AgentEvent, TurnResult>> {
    this.#first = undefined;
    return this.#rest.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
