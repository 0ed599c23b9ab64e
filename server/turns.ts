/**
 * What the turn-running endpoints (Chat Completions, Responses) share: the errors a turn maps to
 * and the start of a streamed turn.
 * @module
 */
import type { AgentEvent, TurnResult } from "../agent/mod.ts";
import { HeraldError } from "../agent/mod.ts";

/** A 503 for requests arriving while the gateway shuts down. */
export function shuttingDownError(): HeraldError {
  return new HeraldError("The gateway is shutting down; try again shortly.", {
    status: 503,
    type: "server_error",
    code: "shutting_down",
    headers: { "Retry-After": "5" },
  });
}

/** The error a failed turn maps to before anything was sent. */
export function turnError(result: TurnResult): HeraldError {
  return new HeraldError(result.error?.message ?? "The agent failed.", {
    status: result.error?.status && result.error.status >= 400 ? result.error.status : 500,
    type: "server_error",
    code: result.error?.code ?? "agent_error",
  });
}

/** How a streamed turn started: failed at once, or running with its events. */
export type TurnStart =
  | { failed: TurnResult }
  | { events: AsyncGenerator<AgentEvent, unknown> };

/**
 * Pulls a turn's first event before the response is committed, so a turn that fails at once
 * (no upstream, say) gets a real HTTP error status instead of a 200 stream carrying an error.
 * Otherwise returns the events with the first one put back in front.
 */
export async function startTurn(events: AsyncGenerator<AgentEvent, unknown>): Promise<TurnStart> {
  const first = await events.next();
  if (!first.done && first.value.type === "final" && first.value.result.status === "failed") {
    return { failed: first.value.result };
  }
  return { events: prepend(first, events) };
}

async function* prepend<T>(
  first: IteratorResult<T, unknown>,
  rest: AsyncGenerator<T, unknown>,
): AsyncGenerator<T, unknown> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}
