/**
 * The agent: the turn contract (AgentTurn in, AgentEvent stream out, TurnResult last), the
 * tool-calling loop over an OpenAI-compatible upstream, the system prompt and the tools.
 * Knows neither HTTP nor KV: front doors render its events, the composition root (gateway/)
 * gives it its upstream client, tools and memory.
 * @module
 */

// Commonly used: the loop and its one event stream.
export { Agent } from "./agent.ts";
export type { AgentOptions, MemorySource } from "./agent.ts";

// The turn contract every front door runs turns through.
export {
  driveTurn,
  failedResult,
  holdTextPerSegment,
  interruptedResult,
  runTurn,
  settleTurn,
  turnEvents,
} from "./turn.ts";
export type { DrainableTurn, RunOptions, TurnEventOptions, TurnRunner } from "./turn.ts";
export type {
  AgentEvent,
  AgentTurn,
  ApprovalRequestedEvent,
  ApprovalResolvedEvent,
  FinalEvent,
  FinishReason,
  Platform,
  ReasoningDeltaEvent,
  SegmentBreakEvent,
  TextDeltaEvent,
  ToolCallArgumentsDeltaEvent,
  ToolCallDoneEvent,
  ToolCallStartedEvent,
  ToolCompletedEvent,
  ToolStartedEvent,
  TurnResult,
  TurnStatus,
  UpstreamParams,
  UsageEvent,
} from "./events.ts";

// Approvals.
export {
  APPROVAL_MODES,
  approvalNeeded,
  deniedResult,
  newApprovalId,
  policyReason,
} from "./approvals.ts";
export type {
  ApprovalDecision,
  ApprovalMode,
  ApprovalRequest,
  ToolCallRisk,
  TurnApprovals,
} from "./approvals.ts";

// Messages and usage.
export { addUsage, emptyUsage, textOf } from "./messages.ts";
export type {
  AssistantMessage,
  ChatMessage,
  ClientTool,
  ContentPart,
  ImagePart,
  SystemMessage,
  TextPart,
  ToolCall,
  ToolMessage,
  Usage,
  UserMessage,
} from "./messages.ts";

// Errors.
export { AgentError, UpstreamError } from "./errors.ts";
export type { AgentErrorCode, RequestFault } from "./errors.ts";

// The upstream client.
export {
  describeUpstreamError,
  displayUrl,
  hasApiVersion,
  LlmClient,
  withV1,
} from "./llm_client.ts";
export type { LlmChunk, LlmClientOptions, LlmRequest, LlmTarget } from "./llm_client.ts";
export { ChunkAccumulator, type ChunkPart } from "./chunk_accumulator.ts";
export { redactUrl } from "./stream_watchdog.ts";
export type { StreamTimeout, WatchStreamOptions } from "./stream_watchdog.ts";
export { buildSystemPrompt } from "./system_prompt.ts";
export type { SystemPromptInput } from "./system_prompt.ts";

// Tools.
export * from "./tools/mod.ts";

// The OS sandbox the terminal and file tools run in.
export * from "./sandbox/mod.ts";
