/**
 * The messages that cross the worker boundary, as zod schemas: the host validates what the
 * worker says and the worker validates what the host says, so a bug on one side fails loudly
 * at the boundary instead of deep inside the other.
 * @module
 */
import { z } from "zod";

/** A Telegram update as it crosses the boundary; the worker's grammY reads the rest. */
export const UpdateSchema = z.object({ update_id: z.number().int() }).loose();

/** A part of a user message's content: text or an image (a data: URL). */
export const ContentPartSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string() }) }),
]);

/** Which chunks of a reply quote the user's message. */
export const ReplyToModeSchema = z.enum(["off", "first", "all"]);

/** Which reply chunks quote the user's message: off, first or all. */
export type ReplyToMode = z.infer<typeof ReplyToModeSchema>;

/** Everything the worker needs to run the bot; it has no environment or file access of its own. */
export const WorkerSettingsSchema = z.object({
  token: z.string().min(1),
  apiRoot: z.string().min(1),
  allowedUsers: z.array(z.string()),
  allowAllUsers: z.boolean(),
  replyToMode: ReplyToModeSchema,
  requireMention: z.boolean(),
  toolProgress: z.enum(["off", "new", "all"]),
  streaming: z.object({
    enabled: z.boolean(),
    editIntervalMs: z.number().positive(),
    minTokens: z.number().int().min(0),
  }),
  /** Webhook mode when set; long polling otherwise. */
  webhook: z.object({ url: z.string(), secret: z.string() }).nullable(),
  /** How many times the worker has been (re)started; startup calls run only on generation 0. */
  generation: z.number().int().min(0),
  /** How often the typing indicator is renewed while a turn runs; default 4000. */
  typingIntervalMs: z.number().positive().optional(),
  /** Test hook: a message with exactly this text makes the worker crash… */
  crashOnText: z.string().optional(),
  /** …while its generation is below this; default: always. */
  crashGenerations: z.number().int().min(0).optional(),
});

/** The worker's settings, sent in the init message. */
export type WorkerSettings = z.infer<typeof WorkerSettingsSchema>;

/** Host → worker, on the worker's own port. */
export const HostMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("init"), settings: WorkerSettingsSchema }),
  /** An update to handle, stored in the host's inbox (from polling, the webhook or a replay). */
  z.object({ type: z.literal("update"), update: UpdateSchema }),
  /** The answer to `received`: whether the update is durably stored, so the offset may move. */
  z.object({ type: z.literal("stored"), updateId: z.number().int(), ok: z.boolean() }),
  /** An update that failed too often: apologise in its chat and report it handled. */
  z.object({ type: z.literal("give_up"), update: UpdateSchema }),
  /** A turn for an inbound message starts; its events follow on the transferred port. */
  z.object({ type: z.literal("turn"), requestId: z.string() }),
  /** The answer to a command the worker forwarded. */
  z.object({ type: z.literal("command_done"), requestId: z.string(), text: z.string() }),
  /** The host took (or refused) an answer to an approval: confirm it to the person who pressed. */
  z.object({
    type: z.literal("approval_done"),
    callbackId: z.string(),
    chatId: z.number(),
    messageId: z.number().int(),
    /** A short confirmation for the button press. */
    toast: z.string(),
    /** The approval message's new text (its buttons removed), when it is settled. */
    text: z.string().optional(),
  }),
  z.object({ type: z.literal("stop") }),
]);

/** A message from the host to the worker. */
export type HostMessage = z.infer<typeof HostMessageSchema>;

/** Worker → host. */
export const WorkerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), username: z.string() }),
  z.object({ type: z.literal("log"), line: z.string() }),
  /** Long polling got an update; the worker confirms its offset only after `stored`. */
  z.object({ type: z.literal("received"), update: UpdateSchema }),
  /** A message from an allowed user that should run an agent turn. */
  z.object({
    type: z.literal("inbound"),
    requestId: z.string(),
    updateId: z.number().int(),
    sessionKey: z.string(),
    content: z.union([z.string().min(1), z.array(ContentPartSchema).min(1)]),
  }),
  /** `/new` or `/stop`: the host owns sessions and running turns. */
  z.object({
    type: z.literal("command"),
    requestId: z.string(),
    updateId: z.number().int(),
    sessionKey: z.string(),
    command: z.enum(["new", "stop"]),
  }),
  /** An allowed user pressed a button of an approval message. */
  z.object({
    type: z.literal("approval_answer"),
    updateId: z.number().int(),
    sessionKey: z.string(),
    approvalId: z.string(),
    choice: z.enum(["once", "always", "deny"]),
    callbackId: z.string(),
    chatId: z.number(),
    messageId: z.number().int(),
    /** The approval message's text, to show the outcome under it. */
    text: z.string(),
  }),
  /** The worker is done with an update: its reply was sent, or it needs none. */
  z.object({ type: z.literal("handled"), updateId: z.number().int() }),
  z.object({ type: z.literal("stopped") }),
]);

/** A message from the worker to the host. */
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/**
 * One message on a turn's token channel (host → worker). The events are the agent's own
 * AgentEvents; only the fields the worker reads are checked, the rest pass through.
 */
export const TokenChannelMessageSchema = z.object({
  type: z.literal("event"),
  event: z.discriminatedUnion("type", [
    z.object({ type: z.literal("text_delta"), delta: z.string() }),
    z.object({ type: z.literal("segment_break") }),
    z.object({
      type: z.literal("tool_started"),
      call: z.object({ function: z.object({ name: z.string() }) }).loose(),
    }),
    z.object({
      type: z.literal("approval_requested"),
      approval: z.object({
        id: z.string(),
        reason: z.string(),
        call: z.object({ function: z.object({ name: z.string(), arguments: z.string() }) }).loose(),
      }).loose(),
    }),
    z.object({
      type: z.literal("approval_resolved"),
      approval: z.object({ id: z.string() }).loose(),
      decision: z.object({ approved: z.boolean(), reason: z.string().optional() }).loose(),
    }),
    z.object({
      type: z.literal("final"),
      result: z.object({
        status: z.enum(["completed", "incomplete", "failed", "interrupted"]),
        text: z.string(),
        error: z.object({ message: z.string() }).loose().optional(),
      }).loose(),
    }),
    z.object({
      type: z.enum([
        "reasoning_delta",
        "tool_call_started",
        "tool_call_arguments_delta",
        "tool_call_done",
        "tool_completed",
        "usage",
      ]),
    }).loose(),
  ]),
});

/** A validated token-channel message. */
export type TokenChannelMessage = z.infer<typeof TokenChannelMessageSchema>;
