/**
 * The OpenAI Responses API on Herald's agent and durable store.
 * @module
 */
export { type ResponsesDeps, responsesRoutes } from "./routes.ts";
export { DEFAULT_NAMESPACE, namespacedResponsesRoutes } from "./namespaces.ts";
export { LiveRuns } from "./live_runs.ts";
export { ResponseEmitter, type ResponseStreamEvent } from "./emitter.ts";
export { itemsToMessages, normaliseInput } from "./items.ts";
export { llmSummariser } from "./compact.ts";
export type { Summariser } from "./deps.ts";
export { openCompaction, sealCompaction } from "./compaction.ts";
export { DEFAULT_CONTEXT_TOKENS, estimateTokens, truncateHistory } from "./truncate.ts";
export {
  DEFAULT_WEBSOCKET_MAX_MINUTES,
  ResponseSockets,
  responsesWebSocketRoute,
  socketError,
} from "./websocket.ts";
