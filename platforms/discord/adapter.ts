/**
 * Discord as the platform host sees it (main thread): the worker's settings and the hosts it may
 * reach — the REST API root, Discord's gateway hosts (the gateway URL comes from the REST API,
 * resumes may use any `*.discord.gg`) and the attachment CDN — and nothing else.
 * @module
 */
import type { ResolvedConfig } from "../../config/mod.ts";
import type { PlatformSpec } from "../host.ts";
import type { DiscordSettings } from "./protocol.ts";

/** Discord's gateway and attachment hosts. */
const DISCORD_HOSTS = ["*.discord.gg", "cdn.discordapp.com", "media.discordapp.net"];

/** The Discord platform for the host. */
export function discordSpec(resolved: ResolvedConfig): PlatformSpec {
  const { config } = resolved;
  const d = config.discord;
  if (!d.bot_token) {
    throw new Error("Cannot start Discord: discord.bot_token (DISCORD_BOT_TOKEN) is not set");
  }
  const settings: DiscordSettings = {
    token: d.bot_token,
    apiRoot: d.api_root,
    allowedUsers: d.allowed_users,
    allowAllUsers: d.allow_all_users,
    replyToMode: d.reply_to_mode,
    requireMention: d.require_mention,
    toolProgress: d.tool_progress,
    streaming: {
      enabled: config.streaming.discord ?? config.streaming.enabled,
      editIntervalMs: config.streaming.edit_interval * 1000,
      minTokens: config.streaming.min_tokens,
    },
  };
  return {
    name: "discord",
    label: "Discord",
    workerUrl: new URL("./worker.ts", import.meta.url),
    netHosts: [...new Set([new URL(d.api_root).host, ...DISCORD_HOSTS])],
    asksApprovals: true,
    settings,
    allowsNobodyHint: !d.allow_all_users && d.allowed_users.every((u) => u.trim() === "")
      ? "no users are allowed yet, so the bot refuses everyone. Set DISCORD_ALLOWED_USERS=<user " +
        "id or username>[,…] (a refused user is told their id), or DISCORD_ALLOW_ALL_USERS=true."
      : undefined,
  };
}
