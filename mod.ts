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
export { loadConfig } from "./config/loader.ts";
export type { Config, ResolvedConfig } from "./config/schema.ts";
export { startGateway } from "./server/gateway.ts";
export type { Gateway, StartGatewayOptions } from "./server/gateway.ts";

// The agent and its one event stream.
export { Agent } from "./agent/agent.ts";
export type { AgentOptions, RunOptions } from "./agent/agent.ts";
export { openRuntime } from "./agent/runtime.ts";
export type { Runtime } from "./agent/runtime.ts";
export type {
  AgentEvent,
  AgentTurn,
  FinishReason,
  Platform,
  TurnResult,
  TurnStatus,
} from "./agent/events.ts";
export type { ChatMessage, ClientTool, ToolCall, Usage } from "./agent/messages.ts";

// Tools.
export { ToolRegistry } from "./agent/tools/registry.ts";
export type { Tool, ToolContext, ToolOutput } from "./agent/tools/registry.ts";
export { createBuiltinTools } from "./agent/tools/mod.ts";

// Advanced: errors, the HTTP pipeline, storage and platforms.
export {
  AuthenticationError,
  HeraldError,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
  UpstreamError,
} from "./agent/errors.ts";
export { createApp } from "./server/app.ts";
export { ResponseStore } from "./store/responses.ts";
export { SessionStore } from "./store/sessions.ts";
export { openKv } from "./store/kv.ts";
export { startTelegram } from "./platforms/mod.ts";
