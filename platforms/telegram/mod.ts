/**
 * Telegram: the adapter the platform host starts (its settings, hosts and webhook route), the
 * worker that talks to the Bot API (platforms/telegram/worker.ts, started by the host by URL),
 * and the formatting pieces it renders replies with.
 * @module
 */

// Starting the adapter.
export {
  startTelegram,
  type TelegramHandle,
  type TelegramOptions,
  telegramSpec,
  webhookSecret,
} from "./adapter.ts";
export { TelegramSettingsSchema, UpdateSchema } from "./protocol.ts";
export type { TelegramSettings, WorkerSettings } from "./protocol.ts";

// Who may talk to the bot.
export { allowsNobody, isUserAllowed } from "./access.ts";
export type { AccessPolicy, TelegramUser } from "./access.ts";

// Rendering replies and reading messages.
export { markdownToTelegramHtml } from "./format_html.ts";
export { splitForTelegram, TELEGRAM_MESSAGE_LIMIT } from "./split_message.ts";
export { entitiesToMarkdown, type MessageEntity } from "./inbound_text.ts";
