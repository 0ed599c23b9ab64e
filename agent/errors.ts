/**
 * The agent's own errors. They say what went wrong in the agent's terms — a `code` such as
 * `upstream_timeout` — and nothing about HTTP: each front door decides what a code means to its
 * client (server/error_envelope.ts holds the HTTP table).
 * @module
 */

/**
 * The codes the agent reports, in TurnResult.error and on its errors:
 * - `agent_error`: the turn failed for a reason of its own (a bug, a tool registry failure);
 * - `upstream_error`: the LLM answered with an error;
 * - `upstream_timeout`: the LLM did not answer (or stopped answering) in time;
 * - `upstream_unreachable`: no LLM could be reached;
 * - `upstream_rate_limited`: the LLM refused for load.
 */
export type AgentErrorCode =
  | "agent_error"
  | "upstream_error"
  | "upstream_timeout"
  | "upstream_unreachable"
  | "upstream_rate_limited";

/**
 * The base of the agent's errors: a message that says what failed and a code.
 *
 * @example
 * ```ts
 * throw new AgentError("The tool registry is empty.", { code: "agent_error" });
 * ```
 */
export class AgentError extends Error {
  readonly code: AgentErrorCode;

  constructor(message: string, options: { code?: AgentErrorCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "AgentError";
    this.code = options.code ?? "agent_error";
  }
}

/** The LLM upstream failed. The message names the upstream URL and status, never its key. */
export class UpstreamError extends AgentError {
  /** The upstream's HTTP status, when it answered at all. */
  readonly upstreamStatus: number | null;

  constructor(
    message: string,
    options: { upstreamStatus?: number | null; code?: AgentErrorCode; cause?: unknown } = {},
  ) {
    super(message, { code: options.code ?? "upstream_error", cause: options.cause });
    this.name = "UpstreamError";
    this.upstreamStatus = options.upstreamStatus ?? null;
  }
}
