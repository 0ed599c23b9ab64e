/**
 * The errors a turn maps to, for the turn-running endpoints (Chat Completions, Responses).
 * @module
 */
import type { TurnResult } from "../agent/mod.ts";
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
    type: result.error?.type ?? "server_error",
    code: result.error?.code ?? "agent_error",
    param: result.error?.param ?? null,
  });
}
