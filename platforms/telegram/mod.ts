/**
 * Telegram: the worker that talks to the Bot API (platforms/telegram/worker.ts, started by the
 * host by URL), the messages it exchanges with the host, and the formatting pieces it renders
 * replies with.
 * @module
 */

// The host <-> worker protocol.
export {
  ContentPartSchema,
  HostMessageSchema,
  ReplyToModeSchema,
  TokenChannelMessageSchema,
  UpdateSchema,
  WorkerMessageSchema,
  WorkerSettingsSchema,
} from "./protocol.ts";
export type {
  HostMessage,
  ReplyToMode,
  TokenChannelMessage,
  WorkerMessage,
  WorkerSettings,
} from "./protocol.ts";

// Who may talk to the bot.
export { allowsNobody, isUserAllowed } from "./access.ts";
export type { AccessPolicy, TelegramUser } from "./access.ts";

// Rendering replies and reading messages.
export { markdownToTelegramHtml } from "./format_html.ts";
export { splitForTelegram, TELEGRAM_MESSAGE_LIMIT } from "./split_message.ts";
export { entitiesToMarkdown, type MessageEntity } from "./inbound_text.ts";
