/**
 * What the Telegram worker gets from the host beside the platform-neutral protocol
 * (../protocol.ts): its settings, validated when they arrive, and the shape of the Telegram
 * updates it wraps into platform updates.
 * @module
 */
import { z } from "zod";
import { BotSettingsSchema, type CommonSettings, type PlatformUpdate } from "../protocol.ts";

export { type ReplyToMode, ReplyToModeSchema } from "../protocol.ts";

/** A Telegram update as Telegram sends it; the worker's grammY reads the rest. */
export const UpdateSchema = z.object({ update_id: z.number().int() }).loose();

/** Everything the worker needs to run the bot; it has no environment or file access of its own. */
export const TelegramSettingsSchema = BotSettingsSchema.extend({
  token: z.string().min(1),
  /** Webhook mode when set; long polling otherwise. */
  webhook: z.object({ url: z.string(), secret: z.string() }).nullable(),
});

/** The Telegram settings sent in the init message. */
export type TelegramSettings = z.infer<typeof TelegramSettingsSchema>;

/** The worker's settings: Telegram's own and the common ones. */
export type WorkerSettings = TelegramSettings & CommonSettings;

/** A Telegram update as the worker handles it. */
// deno-lint-ignore no-explicit-any
export type TelegramUpdate = { update_id: number; [key: string]: any };

/** Wraps a Telegram update for the inbox and the protocol. */
export function toPlatformUpdate(update: TelegramUpdate): PlatformUpdate {
  return { id: String(update.update_id), payload: update };
}
