/**
 * What the Discord worker gets from the host beside the platform-neutral protocol: its settings,
 * validated when they arrive, and how gateway dispatches become platform updates.
 * @module
 */
import { z } from "zod";
import {
  type PlatformUpdate,
  ReplyToModeSchema,
  StreamingSettingsSchema,
  ToolProgressSettingSchema,
} from "../protocol.ts";

/** Everything the Discord worker needs; it has no environment or file access of its own. */
export const DiscordSettingsSchema = z.object({
  token: z.string().min(1),
  apiRoot: z.string().min(1),
  allowedUsers: z.array(z.string()),
  allowAllUsers: z.boolean(),
  replyToMode: ReplyToModeSchema,
  requireMention: z.boolean(),
  toolProgress: ToolProgressSettingSchema,
  streaming: StreamingSettingsSchema,
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
