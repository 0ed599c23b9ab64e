/**
 * What the Slack worker gets from the host beside the platform-neutral protocol: its settings,
 * validated when they arrive, and how Slack's deliveries become platform updates.
 * @module
 */
import { z } from "zod";
import { BotSettingsSchema, type PlatformUpdate } from "../protocol.ts";

/** Everything the Slack worker needs; it has no environment or file access of its own. */
export const SlackSettingsSchema = BotSettingsSchema.extend({
  botToken: z.string().min(1),
  /** The app-level token for Socket Mode; null in HTTP mode. */
  appToken: z.string().min(1).nullable(),
});

/** The Slack settings sent in the init message. */
export type SlackSettings = z.infer<typeof SlackSettingsSchema>;

/** What Slack delivered: an Events API event, a slash command or an interaction. */
export interface SlackDelivery {
  kind: "events_api" | "slash_commands" | "interactive";
  body: Record<string, unknown>;
}

/**
 * The platform update of a delivery. Events are keyed by `event_id`, so Slack's retries of one
 * event (Socket Mode or HTTP) are recognised by the inbox; commands and interactions by their
 * `trigger_id`.
 */
export function toPlatformUpdate(delivery: SlackDelivery, fallbackId: string): PlatformUpdate {
  const body = delivery.body;
  const id = delivery.kind === "events_api"
    ? typeof body.event_id === "string" ? body.event_id : fallbackId
    : typeof body.trigger_id === "string"
    ? `${delivery.kind}:${body.trigger_id}`
    : fallbackId;
  return { id, payload: delivery };
}
