/**
 * The one event stream every renderer consumes: Chat Completions SSE, Responses SSE,
 * Telegram edits and the CLI all draw from these events and nothing else.
 * @module
 */
import type { ApprovalDecision, ApprovalRequest } from "./approvals.ts";
import type { RequestFault } from "./errors.ts";
import type { ChatMessage, ClientTool, ToolCall, Usage } from "./messages.ts";

/** Which front door a turn came through; selects the toolset. */
export type Platform = "api_server" | "telegram" | "discord" | "slack" | "cli";

/** One agent turn: the history plus the new input, and per-request options. */
export interface AgentTurn {
  /** Prior history and the new input, oldest first, without the core system prompt. */
  messages: ChatMessage[];
  /** Extra system text layered on top of the core system prompt (never replacing it). */
  instructions?: string;
  /** Function tools the client declared; calls to them end the turn and go back to the client. */
  clientTools?: ClientTool[];
  /** OpenAI `tool_choice` for the client tools; passed upstream. */
  toolChoice?: unknown;
  /**
   * Per tool source (`herald`, an MCP server's label), the only tools of it the model may use
   * in this turn: the client narrowed them (an `mcp` tool's `allowed_tools`). `*` stands for every
   * source not listed; otherwise unlisted sources keep their whole toolset.
   */
  allowedTools?: Record<string, readonly string[]>;
  /**
   * Answers to calls of the history that were waiting for approval (see
   * `TurnResult.pendingApprovals`), by the call's id: the turn first runs (or refuses) them.
   */
  approvalDecisions?: Record<string, ApprovalDecision>;
  /** The front door, which selects the server toolset. */
  platform: Platform;
  /** A stable key for the conversation (chat id, conversation name), given to tools. */
  sessionKey?: string;
  /** Who asked: the API key's name, or the platform user; recorded in the audit trail. */
  actor?: string;
  /** Per-request sampling options passed upstream when set. */
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  /** More request parameters, sent as they are on every LLM call of the turn. */
  upstreamParams?: UpstreamParams;
  /** The model route the turn runs on (a name from `models:`); the default upstream without it. */
  route?: string;
}

/**
 * Chat Completions parameters a client may set that Herald passes to the model unchanged, on
 * every LLM call of the turn (structured outputs, sampling, routing hints).
 */
export interface UpstreamParams {
  /** `{type: "json_object"}` or `{type: "json_schema", json_schema: {name, schema, strict}}`. */
  response_format?: Record<string, unknown>;
  stop?: string | string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  logit_bias?: Record<string, number>;
  /** Sent only on calls that offer tools (OpenAI refuses it otherwise). */
  parallel_tool_calls?: boolean;
  reasoning_effort?: string;
  service_tier?: string;
  user?: string;
}

/** How a turn ended. */
export type TurnStatus = "completed" | "incomplete" | "failed" | "interrupted";

/** The standard finish reasons, as Chat Completions names them. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** What a turn produced. */
export interface TurnResult {
  status: TurnStatus;
  /** Text of the final assistant message (the last text segment). */
  text: string;
  /** The turn's new messages: assistant messages with tool calls, tool results, the final answer. */
  messages: ChatMessage[];
  /** Usage summed over every LLM call of the turn. */
  usage: Usage;
  finishReason: FinishReason;
  /** Calls to client-declared tools that ended the turn (empty otherwise). */
  clientToolCalls: ToolCall[];
  /** Why the turn is incomplete: the iteration limit, the output token limit or an interruption. */
  incompleteReason?: "max_iterations" | "max_output_tokens" | "interrupted";
  /**
   * Calls that wait for an answer that comes with a later request (the front door deferred
   * them); the turn ended after the calls that could run. Their assistant message has no result
   * for them yet.
   */
  pendingApprovals?: ApprovalRequest[];
  /**
   * Set when status is "failed": what failed and its code (see `AgentErrorCode`); `request` when
   * the failure is the request's fault (the upstream refused one of its parameters).
   */
  error?: { message: string; code: string; request?: RequestFault };
}

/** Text the model wrote, as it arrives. */
export interface TextDeltaEvent {
  type: "text_delta";
  delta: string;
}

/** Reasoning text the upstream streamed (for renderers that show it). */
export interface ReasoningDeltaEvent {
  type: "reasoning_delta";
  delta: string;
}

/** The model began a tool call; `kind` says who runs it. */
export interface ToolCallStartedEvent {
  type: "tool_call_started";
  callId: string;
  name: string;
  kind: "server" | "client";
}

/** A fragment of a tool call's JSON arguments. */
export interface ToolCallArgumentsDeltaEvent {
  type: "tool_call_arguments_delta";
  callId: string;
  delta: string;
}

/** A tool call's arguments are complete. */
export interface ToolCallDoneEvent {
  type: "tool_call_done";
  call: ToolCall;
  kind: "server" | "client";
}

/** A server tool started running. */
export interface ToolStartedEvent {
  type: "tool_started";
  call: ToolCall;
  /** Where the tool comes from (`herald`, or an MCP server's label): see `Tool.origin`. */
  origin: string;
  /** The approval this call ran after, if it needed one. */
  approvalId?: string;
}

/** A server tool finished; `output` is what the model will see. */
export interface ToolCompletedEvent {
  type: "tool_completed";
  call: ToolCall;
  /** Where the tool comes from, as on `tool_started`. */
  origin: string;
  /** The approval the call was asked under (approved, or denied: then it did not run). */
  approvalId?: string;
  output: string;
  isError: boolean;
  durationMs: number;
}

/** A call needs a person's yes before it runs; the front door asks. */
export interface ApprovalRequestedEvent {
  type: "approval_requested";
  approval: ApprovalRequest;
}

/** The person answered (in this turn, or in the request that continues it). */
export interface ApprovalResolvedEvent {
  type: "approval_resolved";
  approval: ApprovalRequest;
  decision: ApprovalDecision;
}

/** A text segment ended at a tool boundary; the next text starts a new segment. */
export interface SegmentBreakEvent {
  type: "segment_break";
}

/** Usage of one LLM call. */
export interface UsageEvent {
  type: "usage";
  usage: Usage;
}

/** The last event of every turn. */
export interface FinalEvent {
  type: "final";
  result: TurnResult;
}

/** Everything an agent turn emits. */
export type AgentEvent =
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallStartedEvent
  | ToolCallArgumentsDeltaEvent
  | ToolCallDoneEvent
  | ToolStartedEvent
  | ToolCompletedEvent
  | ApprovalRequestedEvent
  | ApprovalResolvedEvent
  | SegmentBreakEvent
  | UsageEvent
  | FinalEvent;
