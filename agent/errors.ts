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
 * - `upstream_rate_limited`: the LLM refused for load;
 * - `upstream_rejected_request`: the LLM refused the request itself (see {@link RequestFault}).
 */
export type AgentErrorCode =
  | "agent_error"
  | "upstream_error"
  | "upstream_timeout"
  | "upstream_unreachable"
  | "upstream_rate_limited"
  | "upstream_rejected_request";

/**
 * Why a failure is the request's fault: the upstream refused what the client asked for (a
 * parameter the model does not take). A front door passes it on as the client's error.
 */
export interface RequestFault {
  /** The request parameter at fault, when known (e.g. `response_format`). */
  param: string | null;
  /** The upstream's own code for the refusal, if it gave one (e.g. `unsupported_parameter`). */
  code: string | null;
}

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
  /** Set when the failure is the request's fault. */
  readonly request: RequestFault | null;

  constructor(
    message: string,
    options: { code?: AgentErrorCode; cause?: unknown; request?: RequestFault } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AgentError";
    this.code = options.code ?? "agent_error";
    this.request = options.request ?? null;
  }
}

/** The LLM upstream failed. The message names the upstream URL and status, never its key. */
export class UpstreamError extends AgentError {
  /** The upstream's HTTP status, when it answered at all. */
  readonly upstreamStatus: number | null;

  constructor(
    message: string,
    options: {
      upstreamStatus?: number | null;
      code?: AgentErrorCode;
      cause?: unknown;
      /** For a request the upstream refused: the parameter at fault and the upstream's code. */
      request?: RequestFault;
    } = {},
  ) {
    super(message, {
      code: options.code ?? "upstream_error",
      cause: options.cause,
      request: options.request,
    });
    this.name = "UpstreamError";
    this.upstreamStatus = options.upstreamStatus ?? null;
  }
}
