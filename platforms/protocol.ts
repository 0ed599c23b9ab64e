/**
 * The messages that cross a platform worker's boundary, the same for every platform, as zod
 * schemas: the host validates what the worker says and the worker what the host says, so a bug
 * on one side fails loudly at the boundary. Platform-specific settings travel in `init` and are
 * validated by the platform's own schema in the worker. The turn's events travel on the turn's
 * own port (see token_channel.ts).
 * @module
 */
import { z } from "zod";

/** A received platform update: its id (unique per platform) and the platform's own payload. */
export const PlatformUpdateSchema = z.object({
  id: z.string().min(1),
  payload: z.unknown(),
});

/** A platform update as the inbox and the protocol carry it. */
export type PlatformUpdate = z.infer<typeof PlatformUpdateSchema>;

/** A part of a user message's content: text or an image (a data: URL). */
export const ContentPartSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string() }) }),
]);

/** A part of a user message's content. */
export type ContentPart = z.infer<typeof ContentPartSchema>;

/** Which chunks of a reply quote (or thread under) the user's message. */
export const ReplyToModeSchema = z.enum(["off", "first", "all"]);

/** Which reply chunks quote the user's message: off, first or all. */
export type ReplyToMode = z.infer<typeof ReplyToModeSchema>;

/** The tool progress message: none, a line when the tool changes, or a line per call. */
export const ToolProgressSettingSchema = z.enum(["off", "new", "all"]);

/** How replies stream, the same keys on every platform. */
export const StreamingSettingsSchema = z.object({
  enabled: z.boolean(),
  editIntervalMs: z.number().positive(),
  minTokens: z.number().int().min(0),
});

/** Streaming settings as the worker gets them. */
export type StreamingSettings = z.infer<typeof StreamingSettingsSchema>;

/** The settings every platform's bot has: who may talk to it, and how it replies. */
export const BotSettingsSchema = z.object({
  apiRoot: z.string().min(1),
  allowedUsers: z.array(z.string()),
  allowAllUsers: z.boolean(),
  replyToMode: ReplyToModeSchema,
  requireMention: z.boolean(),
  toolProgress: ToolProgressSettingSchema,
  streaming: StreamingSettingsSchema,
});

/** Settings every worker gets beside its platform's own. */
export const CommonSettingsSchema = z.object({
  /** How many times the worker has been (re)started; startup calls run only on generation 0. */
  generation: z.number().int().min(0),
  /** How often the typing indicator is renewed while a turn runs. */
  typingIntervalMs: z.number().positive().optional(),
  /** Test hook: a message with exactly this text makes the worker crash… */
  crashOnText: z.string().optional(),
  /** …while its generation is below this; default: always. */
  crashGenerations: z.number().int().min(0).optional(),
});

/** The common settings. */
export type CommonSettings = z.infer<typeof CommonSettingsSchema>;

/** Host → worker, on the worker's own port. */
export const HostMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("init"), common: CommonSettingsSchema, settings: z.unknown() }),
  /** An update to handle, stored in the host's inbox (received, posted to a webhook or replayed). */
  z.object({ type: z.literal("update"), update: PlatformUpdateSchema }),
  /** The answer to `received`: whether the update is durably stored, so it may be acknowledged. */
  z.object({ type: z.literal("stored"), updateId: z.string(), ok: z.boolean() }),
  /** An update that failed too often: apologise where it came from and report it handled. */
  z.object({ type: z.literal("give_up"), update: PlatformUpdateSchema }),
  /** A turn for an inbound message starts; its events follow on the transferred port. */
  z.object({ type: z.literal("turn"), requestId: z.string() }),
  /** The answer to a command the worker forwarded. */
  z.object({ type: z.literal("command_done"), requestId: z.string(), text: z.string() }),
  /**
   * The host took (or refused) an answer to an approval: confirm it to whoever pressed, and,
   * when `text` is set, settle the question's message with it. `reply` is the worker's own
   * data from `approval_answer`, handed back.
   */
  z.object({
    type: z.literal("approval_done"),
    reply: z.record(z.string(), z.unknown()),
    toast: z.string(),
    text: z.string().optional(),
  }),
  z.object({ type: z.literal("stop") }),
]);

/** A message from the host to a worker. */
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** The commands every platform has; the host owns sessions and running turns. */
export const SessionCommandSchema = z.enum(["new", "stop"]);

/** Worker → host. */
export const WorkerMessageSchema = z.discriminatedUnion("type", [
  /** Connected; `identity` is how the bot is known there (`@name`, `name#1234`…). */
  z.object({ type: z.literal("ready"), identity: z.string() }),
  /**
   * The adapter cannot run as configured (a rejected token, a missing scope): the host logs the
   * line once and stops this adapter without restarting it; the rest of the gateway runs on.
   */
  z.object({ type: z.literal("fatal"), line: z.string() }),
  z.object({ type: z.literal("log"), line: z.string() }),
  /** An update arrived; the worker acknowledges it to the platform only after `stored`. */
  z.object({ type: z.literal("received"), update: PlatformUpdateSchema }),
  /** A message from an allowed user that should run an agent turn. */
  z.object({
    type: z.literal("inbound"),
    requestId: z.string(),
    updateId: z.string(),
    sessionKey: z.string().min(1),
    /** The platform user who wrote, for the audit trail. */
    userId: z.string().optional(),
    content: z.union([z.string().min(1), z.array(ContentPartSchema).min(1)]),
  }),
  /** `/new` or `/stop`. */
  z.object({
    type: z.literal("command"),
    requestId: z.string(),
    updateId: z.string(),
    sessionKey: z.string().min(1),
    command: SessionCommandSchema,
  }),
  /** An allowed user answered an approval question (a button press). */
  z.object({
    type: z.literal("approval_answer"),
    sessionKey: z.string().min(1),
    approvalId: z.string(),
    choice: z.enum(["once", "always", "deny"]),
    /** Whatever the worker needs to confirm the press (a callback id, the message…). */
    reply: z.record(z.string(), z.unknown()),
    /** The question's text, to show the outcome under it. */
    text: z.string(),
  }),
  /** The worker is done with an update: its reply was sent, or it needs none. */
  z.object({ type: z.literal("handled"), updateId: z.string() }),
  z.object({ type: z.literal("stopped") }),
]);

/** A message from a worker to the host. */
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;
