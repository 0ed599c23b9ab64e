/**
 * Telegram as the platform host sees it (main thread): the worker's settings from the
 * configuration, the hosts it may reach, and the webhook route (secret-token check) when
 * `telegram.webhook_url` is set.
 * @module
 */
import type { ResolvedConfig } from "../../config/mod.ts";
import type { PlatformHandle, PlatformHostOptions, PlatformSpec, WebhookVerdict } from "../host.ts";
import { startPlatform } from "../host.ts";
import { allowsNobody } from "./access.ts";
import { type TelegramSettings, toPlatformUpdate, UpdateSchema } from "./protocol.ts";
import { constantTimeEqual, sha256Hex } from "../../lib/mod.ts";
import { streamingFor } from "../../config/mod.ts";

/** What startTelegram needs. */
export type TelegramOptions = PlatformHostOptions;

/** A running Telegram adapter. */
export type TelegramHandle = PlatformHandle;

/**
 * Starts the Telegram adapter; `telegram.bot_token` must be set.
 *
 * @example
 * ```ts
 * const telegram = await startTelegram({ config, agent, sessions, log: console.error });
 * // …later
 * await telegram.stop();
 * ```
 */
export async function startTelegram(options: TelegramOptions): Promise<TelegramHandle> {
  return await startPlatform(await telegramSpec(options.config), options);
}

/** The secret Telegram sends with webhook calls: the configured one, or one derived from the token. */
export async function webhookSecret(config: ResolvedConfig["config"]): Promise<string> {
  if (config.telegram.webhook_secret) return config.telegram.webhook_secret;
  return await sha256Hex(`herald-telegram-webhook:${config.telegram.bot_token}`);
}

/** The Telegram platform for the host. */
export async function telegramSpec(resolved: ResolvedConfig): Promise<PlatformSpec> {
  const { config } = resolved;
  const t = config.telegram;
  if (!t.bot_token) {
    throw new Error("Cannot start Telegram: telegram.bot_token (TELEGRAM_BOT_TOKEN) is not set");
  }
  const secret = t.webhook_url ? await webhookSecret(config) : "";
  const settings: TelegramSettings = {
    token: t.bot_token,
    apiRoot: t.api_root,
    allowedUsers: t.allowed_users,
    allowAllUsers: t.allow_all_users,
    replyToMode: t.reply_to_mode,
    requireMention: t.require_mention,
    toolProgress: t.tool_progress,
    streaming: {
      enabled: streamingFor(config, "telegram"),
      editIntervalMs: config.streaming.edit_interval * 1000,
      minTokens: config.streaming.min_tokens,
    },
    webhook: t.webhook_url ? { url: t.webhook_url, secret } : null,
  };
  return {
    name: "telegram",
    label: "Telegram",
    workerUrl: new URL("./worker.ts", import.meta.url),
    netHosts: [new URL(t.api_root).host],
    settings,
    asksApprovals: true,
    allowsNobodyHint:
      allowsNobody({ allowedUsers: t.allowed_users, allowAllUsers: t.allow_all_users })
        ? "no users are allowed yet, so the bot refuses everyone. Set " +
          "TELEGRAM_ALLOWED_USERS=<numeric id or @username>[,…] (a refused user is told their id), " +
          "or TELEGRAM_ALLOW_ALL_USERS=true to let anyone in."
        : undefined,
    webhook: t.webhook_url
      ? { path: new URL(t.webhook_url).pathname, verify: (req) => verifyWebhook(req, secret) }
      : undefined,
  };
}

/** Checks Telegram's secret-token header and reads the update. */
async function verifyWebhook(req: Request, secret: string): Promise<WebhookVerdict> {
  if (req.method !== "POST") {
    return { response: new Response("Method not allowed", { status: 405 }) };
  }
  const given = req.headers.get("x-telegram-bot-api-secret-token") ?? "";
  if (!secret || !constantTimeEqual(given, secret)) {
    return { response: new Response("Forbidden", { status: 403 }) };
  }
  let update: unknown;
  try {
    update = await req.json();
  } catch {
    return { response: new Response("Bad request: the body is not JSON", { status: 400 }) };
  }
  const parsed = UpdateSchema.safeParse(update);
  if (!parsed.success) {
    return {
      response: new Response("Bad request: the body is not an update object", { status: 400 }),
    };
  }
  return { updates: [toPlatformUpdate(parsed.data)] };
}
