/**
 * The Discord side of the adapter, run inside the worker, on discord.js's own REST and Gateway
 * clients (`@discordjs/rest`, `@discordjs/ws`): checks the token (`/users/@me`) before
 * connecting, registers `/new` and `/stop`, receives MESSAGE_CREATE and INTERACTION_CREATE
 * (stored by the host before they are handled), applies the allow-list and the mention rule,
 * passes image attachments to the model, and renders each turn by editing one message at the
 * interval (429s and `retry_after` are honoured by the REST client).
 * @module
 */
import { DiscordAPIError, RateLimitError, REST } from "@discordjs/rest";
import { WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import type { ContentPart, HostMessage, PlatformUpdate, WorkerMessage } from "../protocol.ts";
import { approvalText, settledApprovalText } from "../approval_text.ts";
import { renderReply } from "../render_reply.ts";
import { splitMessage } from "../split_message.ts";
import type { ReplyFailure, ReplyFormat } from "../stream_editor.ts";
import { type PlatformBot, renderTurnInOrder, type WorkerContext } from "../worker_runtime.ts";
import { DISCORD_MESSAGE_LIMIT, markdownForDiscord } from "./format.ts";
import {
  type DiscordDelivery,
  type DiscordSettings,
  DiscordSettingsSchema,
  toPlatformUpdate,
} from "./protocol.ts";

/** Guilds, guild messages, direct messages and message content (a privileged intent). */
const INTENTS = (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15);
/** Discord shows the typing indicator for about 10 s. */
const TYPING_INTERVAL_MS = 8000;
const REFUSAL_INTERVAL_MS = 10 * 60_000;
/** Images up to this size are passed to the model. */
const MAX_IMAGE_BYTES = 5_000_000;
/** Nothing in a reply pings anyone. */
const NO_MENTIONS = { parse: [], replied_user: false };
const EPHEMERAL = 64;
/** A message sent without a push or desktop notification (the tool progress message). */
const SUPPRESS_NOTIFICATIONS = 1 << 12;
const GIVE_UP_TEXT =
  "Sorry, something went wrong while I was answering this message, so I had to skip it. " +
  "Please send it again, perhaps in other words.";
const HELP_TEXT = "Send me a message and I will answer; the reply appears as it is written.\n" +
  "`/new` starts a new conversation, `/stop` stops the reply being written.";

/** The slash commands registered at start. */
export const DISCORD_COMMANDS = [
  { name: "new", description: "Start a new conversation", type: 1 },
  { name: "stop", description: "Stop the reply being written", type: 1 },
];

/** A start failure caused by the configuration: the adapter stops with this message. */
export class DiscordConfigError extends Error {}

/** The line that stops the adapter, for a configuration failure; undefined otherwise. */
export function discordFatalLine(error: unknown): string | undefined {
  return error instanceof DiscordConfigError ? error.message : undefined;
}

/** Reads a failed Discord call for the stream editor. */
export function classifyDiscordError(error: unknown): ReplyFailure {
  const e = error as { status?: number; rawError?: { retry_after?: number }; message?: string };
  if (e?.status === 429) return { kind: "flood", retryAfterSeconds: e.rawError?.retry_after ?? 1 };
  // The REST client's own rate-limit error (with `rejectOnRateLimit`) counts in milliseconds.
  if (error instanceof RateLimitError) {
    return { kind: "flood", retryAfterSeconds: error.retryAfter / 1000 };
  }
  return { kind: "other", message: e?.message ?? String(error) };
}

/** Discord's text handling for the shared editor. */
export const discordFormat: ReplyFormat = {
  label: "Discord",
  limit: DISCORD_MESSAGE_LIMIT,
  format: markdownForDiscord,
  split: splitMessage,
  classify: classifyDiscordError,
};

/** Where a message came from. */
interface Origin {
  channelId: string;
  messageId?: string;
  userId: string;
  sessionKey: string;
  updateId: string;
  /** Slash commands answer by editing the deferred interaction response. */
  interaction?: { token: string };
}

type Json = Record<string, unknown>;

/**
 * One Discord bot connection, owned by the worker.
 *
 * @example
 * ```ts
 * const bot = new DiscordBot(settings, context); // in a worker, see worker_runtime.ts
 * await bot.start();
 * ```
 */
export class DiscordBot implements PlatformBot {
  #s: DiscordSettings;
  #context: WorkerContext;
  #rest: REST;
  #gateway: WebSocketManager | undefined;
  #me = { id: "", username: "" };
  #appId = "";
  #origins = new Map<string, Origin>();
  #refusedAt = new Map<string, number>();
  #fatal: ((error: Error) => void) | undefined;

  constructor(settings: unknown, context: WorkerContext) {
    this.#s = DiscordSettingsSchema.parse(settings);
    this.#context = context;
    this.#rest = new REST({ version: "10", api: this.#s.apiRoot.replace(/\/+$/, "") })
      .setToken(this.#s.token);
  }

  /** Checks the token, registers the commands, then connects to the gateway. */
  async start(): Promise<void> {
    try {
      this.#me = await this.#rest.get("/users/@me") as { id: string; username: string };
      this.#appId = String((await this.#rest.get("/applications/@me") as Json).id);
    } catch (error) {
      if (error instanceof DiscordAPIError && error.status === 401) {
        throw new DiscordConfigError(
          "Discord: the bot token was rejected (401 Unauthorized). Fix: copy the token from the " +
            "Developer Portal (your application → Bot → Reset Token) into DISCORD_BOT_TOKEN " +
            "(discord.bot_token) and restart; the Discord adapter is stopped, the rest of " +
            "Herald keeps running.",
        );
      }
      throw error;
    }
    if (this.#context.common.generation === 0) {
      // Startup calls count against rate limits too; restarts skip them.
      await this.#rest.put(`/applications/${this.#appId}/commands`, { body: DISCORD_COMMANDS })
        .catch((err) => this.#log(`Discord: registering /new and /stop failed: ${describe(err)}`));
    }
    const failed = new Promise<never>((_, reject) => this.#fatal = reject);
    const gateway = new WebSocketManager({
      token: this.#s.token,
      intents: INTENTS,
      rest: this.#rest,
    });
    this.#gateway = gateway;
    gateway.on(WebSocketShardEvents.Ready, () => {
      this.#context.post({ type: "ready", identity: `@${this.#me.username}` });
    });
    gateway.on(WebSocketShardEvents.Closed, (code) => {
      const line = closeCodeLine(code);
      if (line) this.#fatal?.(new DiscordConfigError(line));
    });
    gateway.on(WebSocketShardEvents.Error, (error) => this.#log(`Discord: ${describe(error)}`));
    gateway.on(WebSocketShardEvents.Dispatch, (payload) => {
      const kind = payload.t === "MESSAGE_CREATE"
        ? "message"
        : payload.t === "INTERACTION_CREATE"
        ? "interaction"
        : undefined;
      if (!kind) return;
      const delivery: DiscordDelivery = { kind, data: payload.d as unknown as Json };
      if (kind === "interaction") this.#defer(delivery.data);
      this.#context.store(toPlatformUpdate(delivery)).then((ok) => {
        if (!ok) this.#log(`Discord: ${kind} ${delivery.data.id} could not be stored; it is lost.`);
      });
    });
    await Promise.race([gateway.connect(), failed]);
    await failed;
  }

  /** A channel's (or thread's) messages are handled in order. */
  sessionKeyOf(update: PlatformUpdate): string {
    return String((update.payload as DiscordDelivery).data.channel_id ?? "");
  }

  /** Handles a dispatch the host has stored. */
  async handleUpdate(update: PlatformUpdate): Promise<void> {
    const delivery = update.payload as DiscordDelivery;
    if (delivery.kind === "message") return await this.#onMessage(update.id, delivery.data);
    return await this.#onInteraction(update.id, delivery.data);
  }

  /** Apologises in the channel of a message that failed too often. */
  async giveUp(update: PlatformUpdate): Promise<void> {
    const data = (update.payload as DiscordDelivery).data;
    if (data.channel_id) {
      await this.#send(String(data.channel_id), GIVE_UP_TEXT, String(data.id))
        .catch((err) => this.#log(`Discord: the apology failed: ${describe(err)}`));
    }
    this.#context.handled(update.id);
  }

  /** Disconnects from the gateway. */
  async stop(): Promise<void> {
    try {
      await this.#gateway?.destroy();
    } catch {
      // Already closed.
    }
    this.#fatal?.(new Error("stopped"));
  }

  /** Renders a turn the host started; a channel's replies render in order. */
  startTurn(requestId: string, port: MessagePort): void {
    renderTurnInOrder(this.#context, {
      label: "Discord",
      origins: this.#origins,
      requestId,
      port,
      render: (origin, port) => this.#render(origin, port),
      done: (origin) => this.#context.handled(origin.updateId),
      log: (line) => this.#log(line),
    });
  }

  /** Answers `/new` or `/stop`. */
  async commandDone(requestId: string, text: string): Promise<void> {
    const origin = this.#origins.get(requestId);
    this.#origins.delete(requestId);
    if (!origin) return;
    await this.#answer(origin, text);
    this.#context.handled(origin.updateId);
  }

  async #onMessage(updateId: string, data: Json): Promise<void> {
    const done = () => this.#context.handled(updateId);
    const author = data.author as { id: string; username?: string; bot?: boolean } | undefined;
    if (!author || author.bot || author.id === this.#me.id) return done();
    const channelId = String(data.channel_id);
    const raw = String(data.content ?? "");
    const inGuild = data.guild_id !== undefined;
    const mentions = (data.mentions as { id: string }[] | undefined) ?? [];
    const mentioned = mentions.some((m) => m.id === this.#me.id);
    const repliedToMe =
      (data.referenced_message as { author?: { id: string } } | undefined)?.author?.id ===
        this.#me.id;
    if (inGuild && this.#s.requireMention && !mentioned && !repliedToMe) return done();
    const origin: Origin = {
      channelId,
      messageId: String(data.id),
      userId: author.id,
      sessionKey: channelId,
      updateId,
    };
    if (!this.#allowed(author)) {
      await this.#refuse(origin, author.username);
      return done();
    }
    const text = raw.replace(new RegExp(`<@!?${this.#me.id}>`, "g"), "").trim();
    if (this.#context.crashHook(text)) return;
    const command = text.match(/^\/(new|reset|stop|help)\s*$/i)?.[1].toLowerCase();
    if (command === "help") {
      await this.#answer(origin, HELP_TEXT);
      return done();
    }
    const requestId = this.#context.nextRequestId();
    if (command) {
      this.#origins.set(requestId, origin);
      const name = command === "stop" ? "stop" : "new";
      this.#context.post({
        type: "command",
        requestId,
        updateId,
        sessionKey: channelId,
        command: name,
      });
      return;
    }
    const content = await this.#content(data, text);
    if (content === "") return done();
    this.#origins.set(requestId, origin);
    this.#context.post({
      type: "inbound",
      requestId,
      updateId,
      sessionKey: channelId,
      userId: author.id,
      content,
    });
  }

  /** The user message for the model: the text, and image attachments as images. */
  async #content(data: Json, text: string): Promise<string | ContentPart[]> {
    const attachments = (data.attachments as {
      url: string;
      content_type?: string;
      filename?: string;
      size?: number;
    }[] | undefined) ?? [];
    const images = attachments.filter((a) => a.content_type?.startsWith("image/"));
    const others = attachments.filter((a) => !a.content_type?.startsWith("image/"));
    const notes = others.map((a) =>
      `[The user attached a file "${a.filename ?? "file"}"; its content is not available.]`
    );
    const body = [...notes, text].filter((s) => s !== "").join("\n\n");
    if (images.length === 0) return body;
    const parts: ContentPart[] = [{ type: "text", text: body || "[The user sent an image.]" }];
    for (const image of images) {
      try {
        if ((image.size ?? 0) > MAX_IMAGE_BYTES) throw new Error("the image is too large");
        const response = await fetch(image.url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.length > MAX_IMAGE_BYTES) throw new Error("the image is too large");
        let binary = "";
        for (let i = 0; i < bytes.length; i += 0x8000) {
          binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        }
        parts.push({
          type: "image_url",
          image_url: { url: `data:${image.content_type};base64,${btoa(binary)}` },
        });
      } catch (error) {
        this.#log(`Discord: an image could not be downloaded: ${describe(error)}`);
        parts[0] = {
          type: "text",
          text: `${(parts[0] as { text: string }).text}\n[An image could not be downloaded.]`,
        };
      }
    }
    return parts;
  }

  /** Acknowledges a slash command at once (Discord allows 3 s); the answer follows as an edit. */
  #defer(data: Json): void {
    if (data.type !== 2) return;
    this.#rest.post(`/interactions/${data.id}/${data.token}/callback`, {
      body: { type: 5, data: { flags: EPHEMERAL } },
      auth: false,
    }).catch((err) => this.#log(`Discord: a command could not be acknowledged: ${describe(err)}`));
  }

  /** Confirms an approval button press to whoever pressed, and settles the question if decided. */
  async approvalDone(done: Extract<HostMessage, { type: "approval_done" }>): Promise<void> {
    const { token, channelId, messageId } = done.reply as {
      token: string;
      channelId: string;
      messageId: string;
    };
    await this.#rest.post(`/webhooks/${this.#appId}/${token}`, {
      body: { content: done.toast, flags: EPHEMERAL, allowed_mentions: NO_MENTIONS },
      auth: false,
    }).catch((err) => this.#log(`Discord: a button press could not be answered: ${describe(err)}`));
    if (done.text === undefined) return;
    await this.#rest.patch(`/channels/${channelId}/messages/${messageId}`, {
      body: { content: clip(done.text), components: [], allowed_mentions: NO_MENTIONS },
    }).catch((err) => this.#log(`Discord: a question could not be updated: ${describe(err)}`));
  }

  /** A press of an approval button (a component interaction): only allowed users may answer. */
  async #onButton(data: Json): Promise<void> {
    const user = (data.user ?? (data.member as Json | undefined)?.user) as
      | { id: string; username?: string }
      | undefined;
    const customId = String((data.data as Json | undefined)?.custom_id ?? "");
    const match = /^ap:(mcpr_[0-9a-f]{32}):(once|always|deny)$/.exec(customId);
    const message = data.message as { id?: string; content?: string } | undefined;
    const channelId = String(data.channel_id ?? "");
    const callback = (body: unknown) =>
      this.#rest.post(`/interactions/${data.id}/${data.token}/callback`, { body, auth: false })
        .catch((err) =>
          this.#log(`Discord: a button press could not be answered: ${describe(err)}`)
        );
    if (!user || !match || !message?.id || !channelId) {
      await callback({ type: 6 });
      return;
    }
    if (!this.#allowed(user)) {
      this.#log(`Discord: refused an approval answer from user ${user.id}.`);
      await callback({
        type: 4,
        data: { content: "You are not allowed to answer this.", flags: EPHEMERAL },
      });
      return;
    }
    // Acknowledged at once (Discord allows 3 s); the confirmation follows as a follow-up.
    await callback({ type: 6 });
    this.#context.post({
      type: "approval_answer",
      sessionKey: channelId,
      approvalId: match[1],
      choice: match[2] as "once" | "always" | "deny",
      reply: { token: String(data.token), channelId, messageId: message.id },
      text: message.content ?? "",
    });
  }

  async #onInteraction(updateId: string, data: Json): Promise<void> {
    const done = () => this.#context.handled(updateId);
    if (data.type === 3) {
      try {
        return await this.#onButton(data);
      } finally {
        done();
      }
    }
    if (data.type !== 2) return done();
    const user = (data.user ?? (data.member as Json | undefined)?.user) as
      | { id: string; username?: string }
      | undefined;
    const name = String((data.data as Json | undefined)?.name ?? "");
    const channelId = String(data.channel_id ?? "");
    if (!user || !channelId) return done();
    const origin: Origin = {
      channelId,
      userId: user.id,
      sessionKey: channelId,
      updateId,
      interaction: { token: String(data.token) },
    };
    if (!this.#allowed(user)) {
      await this.#refuse(origin, user.username);
      return done();
    }
    if (name !== "new" && name !== "stop") {
      await this.#answer(origin, HELP_TEXT);
      return done();
    }
    const requestId = this.#context.nextRequestId();
    this.#origins.set(requestId, origin);
    this.#context.post({
      type: "command",
      requestId,
      updateId,
      sessionKey: channelId,
      command: name,
    });
  }

  #allowed(user: { id: string; username?: string }): boolean {
    if (this.#s.allowAllUsers) return true;
    const name = user.username?.toLowerCase();
    return this.#s.allowedUsers.some((entry) => {
      const value = entry.trim();
      if (/^\d+$/.test(value)) return value === user.id;
      return name !== undefined && value.replace(/^@/, "").toLowerCase() === name;
    });
  }

  async #refuse(origin: Origin, username: string | undefined): Promise<void> {
    const name = username ? ` (${username})` : "";
    this.#log(
      `Discord: refused a message from user ${origin.userId}${name}: not in DISCORD_ALLOWED_USERS.`,
    );
    const last = this.#refusedAt.get(origin.userId);
    if (last !== undefined && Date.now() - last < REFUSAL_INTERVAL_MS) return;
    this.#refusedAt.set(origin.userId, Date.now());
    await this.#answer(
      origin,
      `Sorry, you are not allowed to use this bot (your user id is ${origin.userId}).`,
    );
  }

  /** A short answer: the deferred command response, or a reply to the message. */
  async #answer(origin: Origin, text: string): Promise<void> {
    const call = origin.interaction
      ? this.#rest.patch(
        `/webhooks/${this.#appId}/${origin.interaction.token}/messages/@original`,
        {
          body: { content: text, allowed_mentions: NO_MENTIONS },
          auth: false,
        },
      )
      : this.#send(origin.channelId, text, origin.messageId);
    await call.catch((err) => this.#log(`Discord: an answer could not be sent: ${describe(err)}`));
  }

  async #send(
    channelId: string,
    content: string,
    replyTo?: string,
    silent = false,
  ): Promise<string> {
    const message = await this.#rest.post(`/channels/${channelId}/messages`, {
      body: {
        content,
        allowed_mentions: NO_MENTIONS,
        ...(silent ? { flags: SUPPRESS_NOTIFICATIONS } : {}),
        ...(replyTo
          ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } }
          : {}),
      },
    }) as Json;
    return String(message.id);
  }

  async #render(origin: Origin, port: MessagePort): Promise<void> {
    const { channelId } = origin;
    const typing = () => this.#rest.post(`/channels/${channelId}/typing`).catch(() => {});
    const timer = setInterval(typing, this.#context.common.typingIntervalMs ?? TYPING_INTERVAL_MS);
    typing();
    try {
      await renderReply<{ id: string; text: string }>(port, {
        api: {
          send: (text, options) =>
            this.#send(channelId, text, options.replyTo as string, options.silent),
          edit: async (id, text) => {
            await this.#rest.patch(`/channels/${channelId}/messages/${id}`, {
              body: { content: text, allowed_mentions: NO_MENTIONS },
            });
          },
        },
        format: discordFormat,
        streaming: this.#s.streaming,
        replyToMode: this.#s.replyToMode,
        replyToMessageId: origin.messageId,
        toolProgress: this.#s.toolProgress,
        ask: async (approval) => {
          const text = clip(approvalText(approval));
          const id = await this.#askApproval(channelId, approval.id, text);
          return id === undefined ? undefined : { id, text };
        },
        settle: async (question, decision) => {
          await this.#rest.patch(`/channels/${channelId}/messages/${question.id}`, {
            body: {
              content: clip(settledApprovalText(question.text, decision)),
              components: [],
              allowed_mentions: NO_MENTIONS,
            },
          }).catch((err) =>
            this.#log(`Discord: a question could not be settled: ${describe(err)}`)
          );
        },
        onFinal: () => clearInterval(timer),
        log: (line) => this.#log(line),
      });
    } finally {
      clearInterval(timer);
    }
  }

  /** Posts a question with its three buttons; returns the message id. */
  async #askApproval(channelId: string, id: string, text: string): Promise<string | undefined> {
    const button = (label: string, choice: string, style: number) => ({
      type: 2,
      style,
      label,
      custom_id: `ap:${id}:${choice}`,
    });
    try {
      const message = await this.#rest.post(`/channels/${channelId}/messages`, {
        body: {
          content: text,
          allowed_mentions: NO_MENTIONS,
          components: [{
            type: 1,
            components: [
              button("Allow once", "once", 3),
              button("Always for this chat", "always", 1),
              button("Deny", "deny", 4),
            ],
          }],
        },
      }) as Json;
      return String(message.id);
    } catch (error) {
      this.#log(`Discord: an approval question could not be sent: ${describe(error)}`);
      return undefined;
    }
  }

  #log(line: string): void {
    this.#context.log(line);
  }
}

/** A question's text within Discord's 2,000 characters. */
function clip(text: string): string {
  return text.length > 1990 ? `${text.slice(0, 1990)}…` : text;
}

/** The gateway close codes that waiting will not fix, as the line that stops the adapter. */
function closeCodeLine(code: number): string | undefined {
  const stop = "; the Discord adapter is stopped, the rest of Herald keeps running.";
  switch (code) {
    case 4004:
      return "Discord: the gateway rejected the bot token (4004). Fix: reset the token in the " +
        "Developer Portal and put it in DISCORD_BOT_TOKEN" + stop;
    case 4013:
    case 4014:
      return `Discord: the gateway refused the intents (${code}). Fix: in the Developer Portal, ` +
        "Bot → Privileged Gateway Intents, turn on Message Content Intent" + stop;
    default:
      return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** For the protocol's inbound content type. */
export type { WorkerMessage };
