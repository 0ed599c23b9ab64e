/**
 * Durable storage on Deno KV: the handle, values of any size, chat sessions and Responses.
 * @module
 */

// Commonly used
export { openKv, StoreLockedError } from "./kv.ts";
export { SessionStore, type SessionStoreOptions } from "./sessions.ts";
export { MemoryError, MemoryStore, type MemoryStoreOptions, PerKeyMemory } from "./memory.ts";
export { ResponseStore } from "./responses.ts";
export type {
  ChainPosition,
  ConversationHead,
  ResponseItem,
  ResponseObject,
  ResponseStoreOptions,
  SaveResponse,
  StoredResponse,
  TurnItems,
} from "./response_types.ts";
export { ConversationConflictError, CursorNotFoundError } from "./errors.ts";
export {
  type ConversationObject,
  ConversationStore,
  type ConversationStoreOptions,
} from "./conversations.ts";
export type { Page, PageQuery } from "./conversation_activity.ts";

// The audit trail of tool calls
export {
  AUDIT_FILE,
  auditDir,
  auditFiles,
  type AuditFilter,
  type AuditRecord,
  AuditTrail,
  type AuditTrailOptions,
  followAuditTrail,
  matchesAudit,
  parseAuditLines,
  readAuditTrail,
} from "./audit_trail.ts";

// Building blocks
export {
  type ChunkedWriteOptions,
  deleteChunked,
  getChunked,
  type Manifest,
  resolveManifests,
  setChunked,
  stageChunked,
  type StagedValue,
  stageMany,
} from "./chunked.ts";
export { KeyedQueue } from "./keyed_queue.ts";
export {
  type AnswerOutcome,
  type AnswerRefusal,
  type ApprovalAnswer,
  type ApprovalCall,
  ApprovalStore,
  type ApprovalStoreOptions,
  type StoredApproval,
} from "./approvals.ts";
