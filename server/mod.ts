/**
 * The HTTP API: a Deno.serve handler with routing and guards, the OpenAI-compatible endpoints
 * (Chat Completions, Responses and Conversations, models, health), SSE, and graceful shutdown.
 * @module
 */

// Commonly used: the app and its routes.
export { createApp } from "./app.ts";
export type { AppOptions, ServeHandler } from "./app.ts";
export { chatCompletionRoutes, completionObject } from "./chat_completions.ts";
export type { AgentRunner, ChatCompletionsDeps } from "./chat_completions.ts";
export { answerPlain, answerStream, startTurn } from "./turn_driver.ts";
export type { PlainAnswer, StreamedAnswer, TurnCall, TurnStart } from "./turn_driver.ts";
export { healthRoutes, modelObject, modelRoutes } from "./models.ts";
export { ModelCatalog } from "./model_catalog.ts";
export type { ModelCatalogOptions, ResolvedModel } from "./model_catalog.ts";
export { embeddingsRoutes } from "./embeddings.ts";
export { WEB_UI_CSP, type WebUiFile, webUiRoutes } from "./web_ui.ts";
export type { EmbeddingsDeps } from "./embeddings.ts";
export {
  DEFAULT_NAMESPACE,
  LiveRuns,
  namespacedResponsesRoutes,
  ResponseSockets,
  responsesRoutes,
} from "./responses/mod.ts";
export type { ResponsesDeps, Summariser } from "./responses/mod.ts";
export { Router } from "./router.ts";
export type {
  Handler,
  Middleware,
  RequestContext,
  RequestOutcome,
  Route,
  RouteMatch,
} from "./router.ts";

// Running turns and stopping.
export { RunTracker } from "./runs.ts";
export type { Run } from "./runs.ts";
export { installShutdown } from "./shutdown.ts";
export type { ShutdownHandle, ShutdownOptions } from "./shutdown.ts";
export { listenForSignals, SIGNAL_ECHO_WINDOW_MS, SignalDeduper } from "./signals.ts";
export type { SignalListenOptions } from "./signals.ts";
export { checkExposure, defaultGuards, formatText } from "./guards/mod.ts";
export type { LogFormat, LogLevel, RequestLogEntry } from "./guards/mod.ts";
export type { ExposureConfig } from "./guards/mod.ts";

// Errors: the HTTP errors, and the one place any error becomes a response.
export {
  AuthenticationError,
  ConflictError,
  HeraldError,
  InvalidRequestError,
  NotFoundError,
  RateLimitError,
  SHUTDOWN_RETRY_AFTER_SECONDS,
  shuttingDownError,
} from "./errors.ts";
export type { HeraldErrorOptions } from "./errors.ts";
export {
  errorBody,
  errorForCode,
  errorResponse,
  jsonResponse,
  knownHttpError,
  STATUS_BY_CODE,
  toHeraldError,
  turnError,
} from "./error_envelope.ts";
export type { ErrorBody } from "./error_envelope.ts";

// Keys: who a request is, and where it comes from.
export { ANONYMOUS, Keyring, listKeyLookup } from "./keyring.ts";
export type { KeyIdentity, KeyLookup, KeyringOptions } from "./keyring.ts";
export { clientAddress, networkOf, parseRange } from "./client_address.ts";
export { isValidAuthority, readRequestTarget } from "./request_target.ts";

// Building blocks.
export { bearerToken, requireKey } from "./auth.ts";
export { sseResponse } from "./sse.ts";
export { webhookRoute, type WebhookTarget } from "./webhook_route.ts";
export { RequestBody, requestBody } from "./body.ts";
export type { SseOptions, SseWriter } from "./sse.ts";
export {
  approvalPromptText,
  callerScope,
  deferredApprovals,
  parseApprovalCommand,
  recordApprovals,
  textContinuation,
} from "./approvals.ts";
export type { HttpApprovals, RecordApprovalsOptions } from "./approvals.ts";

// Herald as an MCP server.
export { ASK_TOOL, type McpEndpoint, mcpEndpoint, type McpEndpointOptions } from "./mcp/mod.ts";
