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

// Building blocks, for tests and other renderers
export { markdownToTelegramHtml } from "./telegram/format_html.ts";
export { splitForTelegram, TELEGRAM_MESSAGE_LIMIT } from "./telegram/split_message.ts";
export { isUserAllowed } from "./telegram/access.ts";
