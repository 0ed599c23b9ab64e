/**
 * What the Responses and Conversations endpoints are given: the agent, the run tracker, the store
 * and their settings. Its own module so the endpoint files need not import each other.
 * @module
 */
import type { ChatMessage, Usage } from "../../agent/mod.ts";
import type { ResponseStore } from "../../store/mod.ts";
import type { TurnRunner } from "../../agent/mod.ts";
import type { ModelCatalog } from "../model_catalog.ts";
import type { RunTracker } from "../runs.ts";
import type { HttpApprovals } from "../approvals.ts";
import type { LiveRuns } from "./live_runs.ts";
import type { ResponseSockets } from "./sockets.ts";

/** Summarises a conversation transcript; `prompt` is the whole request to the model. */
export type Summariser = (
  prompt: ChatMessage[],
  signal: AbortSignal,
) => Promise<{ text: string; usage: Usage }>;

/** What the Responses endpoints need. */
export interface ResponsesDeps {
  agent: TurnRunner;
  runs: RunTracker;
  store: ResponseStore;
  maxBodyBytes: number;
  /** The model id echoed when the request names none. */
  modelName?: string;
  /** Milliseconds of silence before a keep-alive comment; default 15 000. */
  keepAliveMs?: number;
  /**
   * Text delta coalescing window; default 0 (each delta sent as it arrives, joined only while
   * the client lags).
   */
  coalesceMs?: number;
  /**
   * `streaming.api_server`: when false, streams still carry events, but each stretch of text
   * arrives as one delta when it ends instead of token by token. Default true.
   */
  streamTokens?: boolean;
  /** Running responses; one registry per app. */
  live: LiveRuns;
  /**
   * The context budget `truncation: "auto"` fits history into, in estimated tokens
   * (characters / 4); default 100 000.
   */
  contextTokens?: number;
  /**
   * The tool sources (`server_label`s) a request may declare as `{type: "mcp"}` tools: `herald`
   * and the configured MCP servers (asked per request: servers may connect later); default
   * `["herald"]`.
   */
  toolOrigins?: () => readonly string[];
  /** Approvals: the store of pending ones and `approvals.api_server`; none asked without it. */
  approvals?: HttpApprovals;
  /** The LLM `/v1/responses/compact` summarises with; default: the agent's own, if it has one. */
  summariser?: Summariser;
  /** Longest life of a WebSocket connection in minutes (`api_server.websocket_max_minutes`). */
  websocketMaxMinutes?: number;
  /** The open WebSocket connections, closed on shutdown. */
  sockets?: ResponseSockets;
  /** The model names and routes; without it every name runs on the default upstream. */
  models?: ModelCatalog;
  /**
   * `api_server.max_concurrent_runs`, for the turns of WebSocket connections (HTTP requests are
   * counted by the concurrency guard): a turn that would exceed it gets a 429 error envelope.
   */
  maxConcurrentRuns?: number;
}
