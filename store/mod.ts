/**
 * Durable storage on Deno KV: the handle, values of any size, chat sessions and Responses.
 * @module
 */

// Commonly used
export { openKv } from "./kv.ts";
export { SessionStore, type SessionStoreOptions } from "./sessions.ts";
export {
  type ChainPosition,
  ConversationConflictError,
  type ConversationHead,
  type ResponseItem,
  type ResponseObject,
  ResponseStore,
  type ResponseStoreOptions,
  type SaveResponse,
  type StoredResponse,
  type TurnItems,
} from "./responses.ts";
export {
  type ConversationObject,
  ConversationStore,
  type ConversationStoreOptions,
} from "./conversations.ts";

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
