/**
 * Herald: a Deno-native agent gateway. Runs a tool-calling agent over any OpenAI-compatible LLM
 * and serves it as an OpenAI-compatible endpoint and a Telegram bot.
 *
 * @example
 * ```ts
 * import { loadConfig, startGateway } from "./mod.ts";
 * const gateway = await startGateway(await loadConfig());
 * await gateway.finished;
 * ```
 * @module
 */

// Commonly used: configuration and the whole gateway.
export { loadConfig } from "./config/mod.ts";
export type { Config, ResolvedConfig } from "./config/mod.ts";
export { openRuntime, startGateway } from "./gateway/mod.ts";
export type { Gateway, Runtime, StartGatewayOptions } from "./gateway/mod.ts";

// The agent and its one event stream.
export { Agent } from "./agent/mod.ts";
export type {
  AgentEvent,
  AgentOptions,
  AgentTurn,
  ChatMessage,
  ClientTool,
  FinishReason,
  Platform,
  RunOptions,
  ToolCall,
  TurnResult,
  TurnRunner,
  TurnStatus,
  Usage,
} from "./agent/mod.ts";

// Tools.
export { createBuiltinTools, ToolRegistry } from "./agent/mod.ts";
export type { Tool, ToolContext, ToolOutput } from "./agent/mod.ts";

// MCP servers as tools (Herald as an MCP server is the gateway's /mcp).
export { McpServerPool, namespacedToolNames } from "./mcp/mod.ts";
export type { McpServerPoolOptions, McpServerStatus } from "./mcp/mod.ts";
export type { McpServerConfig } from "./config/mod.ts";

// Advanced: errors, the HTTP pipeline, storage and platforms.
export { AgentError, UpstreamError } from "./agent/mod.ts";
export {
  AuthenticationError,
  ConflictError,
  createApp,
  HeraldError,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
} from "./server/mod.ts";
export { openKv, ResponseStore, SessionStore } from "./store/mod.ts";
export { startTelegram } from "./platforms/mod.ts";
