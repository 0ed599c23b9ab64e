/**
 * What the Discord worker gets from the host beside the platform-neutral protocol: its settings,
 * validated when they arrive, and how gateway dispatches become platform updates.
 * @module
 */
import { z } from "zod";
import { BotSettingsSchema, type PlatformUpdate } from "../protocol.ts";

/** Everything the Discord worker needs; it has no environment or file access of its own. */
export const DiscordSettingsSchema = BotSettingsSchema.extend({
  token: z.string().min(1),
});

/** The Discord settings sent in the init message. */
export type DiscordSettings = z.infer<typeof DiscordSettingsSchema>;

/** A gateway dispatch Herald handles. */
export interface DiscordDelivery {
  kind: "message" | "interaction";
  data: Record<string, unknown>;
}

/** Dispatches are keyed by the message's or interaction's snowflake id. */
export function toPlatformUpdate(delivery: DiscordDelivery): PlatformUpdate {
  return { id: String(delivery.data.id), payload: delivery };
}
