/**
 * Platforms: the chat front doors besides the HTTP API — Telegram, Discord and Slack — each run
 * in its own worker by the one platform host.
 * @module
 */

// Commonly used
export {
  type AgentLike,
  type PlatformHandle,
  PlatformHost,
  type PlatformHostOptions,
  type PlatformSpec,
  type SessionStoreLike,
  startPlatform,
} from "./host.ts";
export {
  startTelegram,
  type TelegramHandle,
  type TelegramOptions,
  telegramSpec,
  webhookSecret,
} from "./telegram/mod.ts";

export {
  escapeMrkdwn,
  markdownToMrkdwn,
  type SlackSettings,
  slackSpec,
  slackTextToMarkdown,
  verifySlackRequest,
} from "./slack/mod.ts";

export {
  DISCORD_MESSAGE_LIMIT,
  type DiscordSettings,
  discordSpec,
  escapeDiscordMarkdown,
  markdownForDiscord,
} from "./discord/mod.ts";

// Durability and distribution
export { type InboxEntry, UpdateInbox } from "./update_inbox.ts";
export type { PlatformUpdate, ReplyToMode } from "./protocol.ts";
export { embeddedWorkerUrl, registerEmbeddedWorker } from "./embedded_workers.ts";
export { SessionQueue } from "./session_queue.ts";
export { AGENT_EVENT_TYPES, type ChannelEvent } from "./token_channel.ts";

// Building blocks, for tests and other renderers
export {
  entitiesToMarkdown,
  isUserAllowed,
  markdownToTelegramHtml,
  type MessageEntity,
  splitForTelegram,
  TELEGRAM_MESSAGE_LIMIT,
} from "./telegram/mod.ts";
