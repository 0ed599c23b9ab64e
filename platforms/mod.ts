/**
 * Platforms: the front doors besides the HTTP API. Today that is Telegram, run in a worker.
 * @module
 */

// Commonly used
export {
  type AgentLike,
  handleTelegramWebhook,
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
export { markdownToTelegramHtml } from "./telegram/format_html.ts";
export { splitForTelegram, TELEGRAM_MESSAGE_LIMIT } from "./telegram/split_message.ts";
export { isUserAllowed } from "./telegram/access.ts";
export { entitiesToMarkdown, type MessageEntity } from "./telegram/inbound_text.ts";
