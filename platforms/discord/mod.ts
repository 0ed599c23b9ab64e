/**
 * Discord: the adapter the platform host starts (settings and hosts), the worker that talks to
 * Discord (platforms/discord/worker.ts, started by the host by URL), and its formatting pieces.
 * @module
 */
export { discordSpec } from "./adapter.ts";
export { DISCORD_MESSAGE_LIMIT, escapeDiscordMarkdown, markdownForDiscord } from "./format.ts";
export { DiscordSettingsSchema } from "./protocol.ts";
export type { DiscordSettings } from "./protocol.ts";
