/**
 * Platforms: the front doors besides the HTTP API. Today that is Telegram, run in a worker.
 * @module
 */

// Commonly used
export {
  type AgentLike,
  type SessionStoreLike,
  startTelegram,
  type TelegramHandle,
  type TelegramOptions,
  webhookSecret,
  WorkerHost,
} from "./host.ts";

// Durability and distribution
export { type InboxEntry, UpdateInbox } from "./update_inbox.ts";
export { embeddedWorkerUrl, registerEmbeddedWorker } from "./embedded_workers.ts";

// Building blocks, for tests and other renderers
export {
  entitiesToMarkdown,
  isUserAllowed,
  markdownToTelegramHtml,
  type MessageEntity,
  splitForTelegram,
  TELEGRAM_MESSAGE_LIMIT,
} from "./telegram/mod.ts";
