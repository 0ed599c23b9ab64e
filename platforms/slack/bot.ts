/**
 * The Slack side of the adapter, run inside the worker: checks the bot token (`auth.test`)
 * before connecting, receives deliveries over Socket Mode (acknowledged only once the host has
 * stored them) or from the host (HTTP mode), applies the allow-list and the mention rule,
 * forwards messages and `/new` `/stop` to the host, and renders each turn from its token channel.
 * @module
 */
import type { PlatformUpdate, WorkerMessage } from "../protocol.ts";
import { renderTurn } from "../render_turn.ts";
import { splitMessage } from "../split_message.ts";
import { ReplyEditor, type ReplyFailure, type ReplyFormat } from "../stream_editor.ts";
import type { PlatformBot, WorkerContext } from "../worker_runtime.ts";
import { slackTextToMarkdown } from "./mrkdwn.ts";
import {
  type SlackDelivery,
  type SlackSettings,
  SlackSettingsSchema,
  toPlatformUpdate,
} from "./protocol.ts";
import { type SlackOrigin, SlackReplySurface, type StreamSupport } from "./reply_surface.ts";
import { runSocketMode } from "./socket_mode.ts";
import { SlackApiError, SlackWebApi, TOKEN_ERRORS } from "./web_api.ts";
import { describeError } from "../../lib/mod.ts";

/** The most text Herald puts in one Slack message: a section block's limit, under Slack's 4,000. */
export const SLACK_MESSAGE_LIMIT = 3000;
/** A refused user hears the refusal at most this often. */
const REFUSAL_INTERVAL_MS = 10 * 60_000;
const GIVE_UP_TEXT =
  "Sorry, something went wrong while I was answering this message, so I had to skip it. " +
  "Please send it again, perhaps in other words.";
const HELP_TEXT = "Send me a message and I will answer; the reply appears as it is written.\n" +
  "`/new` starts a new conversation, `/stop` stops the reply being written.";

/** A start failure caused by the configuration: the adapter stops with this message. */
export class SlackConfigError extends Error {}

/** The line that stops the adapter, for a configuration failure; undefined otherwise. */
export function slackFatalLine(error: unknown): string | undefined {
  return error instanceof SlackConfigError ? error.message : undefined;
}

/** Slack's text handling: Markdown is kept until sending (the surface converts it). */
export const slackFormat: ReplyFormat = {
  label: "Slack",
  limit: SLACK_MESSAGE_LIMIT,
  format: (markdown) => markdown,
  split: splitMessage,
  classify: classifySlackError,
};

/** Reads a failed Slack call for the stream editor. */
export function classifySlackError(error: unknown): ReplyFailure {
  if (error instanceof SlackApiError) {
    if (error.retryAfterSeconds !== undefined) {
      return { kind: "flood", retryAfterSeconds: error.retryAfterSeconds };
    }
    return { kind: "other", message: error.message };
  }
  return { kind: "other", message: describeError(error) };
}

/**
 * One Slack app connection, owned by the worker.
 *
 * @example
 * ```ts
 * const bot = new SlackBot(settings, context); // in a worker, see worker_runtime.ts
 * await bot.start();
 * ```
 */
export class SlackBot implements PlatformBot {
  #s: SlackSettings;
  #context: WorkerContext;
  #api: SlackWebApi;
  #stop = new AbortController();
  #botUserId = "";
  #teamId = "";
  #origins = new Map<string, SlackOrigin & { command?: boolean }>();
  #refusedAt = new Map<string, number>();
  #streamSupport: StreamSupport = { available: undefined };

  constructor(settings: unknown, context: WorkerContext) {
    this.#s = SlackSettingsSchema.parse(settings);
    this.#context = context;
    this.#api = new SlackWebApi(this.#s.apiRoot, this.#s.botToken);
  }

  /** Checks the bot token, then connects (Socket Mode) or waits for the host's updates (HTTP). */
  async start(): Promise<void> {
    let auth: { user_id: string; user: string; team: string; team_id: string };
    try {
      auth = await this.#api.call("auth.test", {}, { retry: true, signal: this.#stop.signal });
    } catch (error) {
      if (error instanceof SlackApiError && TOKEN_ERRORS.has(error.code)) {
        throw new SlackConfigError(
          `Slack: the bot token was rejected (${error.code}). Fix: copy the Bot User OAuth Token ` +
            "(xoxb-…, OAuth & Permissions) into SLACK_BOT_TOKEN (slack.bot_token) and restart; " +
            "the Slack adapter is stopped, the rest of Herald keeps running.",
        );
      }
      throw error;
    }
    this.#botUserId = auth.user_id;
    this.#teamId = auth.team_id;
    const identity = `@${auth.user} (${auth.team})`;
    if (!this.#s.appToken) {
      this.#post({ type: "ready", identity });
      return;
    }
    const appApi = new SlackWebApi(this.#s.apiRoot, this.#s.appToken);
    try {
      await runSocketMode(appApi, {
        onHello: () => this.#post({ type: "ready", identity }),
        onEnvelope: (envelope, ack) => {
          const delivery: SlackDelivery = { kind: envelope.type, body: envelope.payload };
          const update = toPlatformUpdate(delivery, envelope.envelope_id);
          // Acknowledged only once stored: an unacknowledged envelope is delivered again.
          this.#context.store(update).then((ok) => ok && ack());
        },
        log: (line) => this.#log(line),
      }, this.#stop.signal);
    } catch (error) {
      if (error instanceof SlackApiError) {
        throw new SlackConfigError(
          `Slack: the app-level token was rejected (${error.code}). Fix: turn on Socket Mode and ` +
            "create an app-level token with the connections:write scope (Basic Information → " +
            "App-Level Tokens), put it in SLACK_APP_TOKEN (slack.app_token) and restart; the " +
            "Slack adapter is stopped, the rest of Herald keeps running.",
        );
      }
      throw error;
    }
  }

  /** Messages of one conversation (channel, or thread) are handled in order. */
  sessionKeyOf(update: PlatformUpdate): string {
    const delivery = update.payload as SlackDelivery;
    if (delivery.kind === "events_api") {
      const event = delivery.body.event as Record<string, string> | undefined;
      return event?.channel ?? "";
    }
    return String(delivery.body.channel_id ?? "");
  }

  /** Handles a delivery the host has stored. */
  async handleUpdate(update: PlatformUpdate): Promise<void> {
    const delivery = update.payload as SlackDelivery;
    if (delivery.kind === "events_api") return await this.#onEvent(update.id, delivery.body);
    if (delivery.kind === "slash_commands") {
      return await this.#onSlashCommand(update.id, delivery.body);
    }
    // Interactions (buttons) are not used yet: nothing to answer.
    this.#context.handled(update.id);
  }

  /** Apologises in the conversation of a delivery that failed too often. */
  async giveUp(update: PlatformUpdate): Promise<void> {
    const delivery = update.payload as SlackDelivery;
    const event = delivery.body?.event as Record<string, string> | undefined;
    if (delivery.kind === "events_api" && event?.channel) {
      await this.#api.call("chat.postMessage", {
        channel: event.channel,
        thread_ts: event.thread_ts,
        text: GIVE_UP_TEXT,
      }, { retry: true }).catch((err) => this.#log(`Slack: the apology failed: ${err.message}`));
    }
    this.#context.handled(update.id);
  }

  /** Stops the Socket Mode connection. */
  stop(): Promise<void> {
    this.#stop.abort();
    return Promise.resolve();
  }

  /** Renders a turn the host started; replies of one conversation render in order. */
  startTurn(requestId: string, port: MessagePort): void {
    const origin = this.#origins.get(requestId);
    this.#origins.delete(requestId);
    if (!origin) {
      this.#log(`Slack: a turn arrived for unknown request ${requestId}`);
      port.close();
      return;
    }
    this.#context.queue.run(
      `render:${origin.sessionKey}`,
      () =>
        this.#render(origin, port).catch((err) =>
          this.#log(`Slack: rendering a reply failed: ${err?.message ?? err}`)
        ).finally(() => this.#context.handled(origin.updateId)),
    );
  }

  /** Answers `/new` or `/stop`: only the user who asked sees it. */
  async commandDone(requestId: string, text: string): Promise<void> {
    const origin = this.#origins.get(requestId);
    this.#origins.delete(requestId);
    if (!origin) return;
    await this.#tell(origin, text);
    this.#context.handled(origin.updateId);
  }

  async #onEvent(updateId: string, body: Record<string, unknown>): Promise<void> {
    const event = (body.event ?? {}) as Record<string, string | undefined>;
    const done = () => this.#context.handled(updateId);
    if (event.type !== "message" && event.type !== "app_mention") return done();
    if (event.bot_id || event.subtype || !event.user || event.user === this.#botUserId) {
      return done();
    }
    if (!event.channel || !event.ts) return done();
    const isDm = event.channel_type === "im";
    const raw = event.text ?? "";
    const mentionsMe = raw.includes(`<@${this.#botUserId}>`);
    if (event.type === "message" && !isDm) {
      // A mention also arrives as app_mention; answer that one only.
      if (this.#s.requireMention || mentionsMe) return done();
    }
    const threadTs = event.thread_ts;
    let sessionKey: string;
    let replyTs: string | undefined;
    if (threadTs) sessionKey = `${event.channel}:${threadTs}`;
    else if (!isDm && this.#s.replyToMode !== "off") {
      // The reply starts a thread under the message, and that thread is the conversation.
      sessionKey = `${event.channel}:${event.ts}`;
      replyTs = event.ts;
    } else sessionKey = event.channel;
    const origin: SlackOrigin = {
      channel: event.channel,
      threadTs,
      messageTs: replyTs,
      user: event.user,
      teamId: this.#teamId,
      sessionKey,
      updateId,
    };
    if (!this.#allowed(event.user)) {
      await this.#refuse(origin);
      return done();
    }
    const text = slackTextToMarkdown(raw.replaceAll(`<@${this.#botUserId}>`, "")).trim();
    if (this.#context.crashHook(text)) return;
    const command = text.match(/^\/(new|reset|stop|help)\s*$/i)?.[1].toLowerCase();
    if (command === "help") {
      await this.#tell(origin, HELP_TEXT);
      return done();
    }
    const requestId = this.#context.nextRequestId();
    if (command) {
      this.#origins.set(requestId, origin);
      this.#post({
        type: "command",
        requestId,
        updateId,
        sessionKey,
        command: command === "stop" ? "stop" : "new",
      });
      return;
    }
    if (text === "") return done();
    this.#origins.set(requestId, origin);
    this.#post({
      type: "inbound",
      requestId,
      updateId,
      sessionKey,
      userId: event.user,
      content: text,
    });
  }

  async #onSlashCommand(updateId: string, body: Record<string, unknown>): Promise<void> {
    const command = String(body.command ?? "").replace(/^\//, "").toLowerCase();
    const channel = String(body.channel_id ?? "");
    const user = String(body.user_id ?? "");
    const origin: SlackOrigin = {
      channel,
      user,
      teamId: this.#teamId,
      sessionKey: channel,
      updateId,
      ephemeral: true,
    };
    if (!channel || !user) return this.#context.handled(updateId);
    if (!this.#allowed(user)) {
      await this.#refuse(origin);
      return this.#context.handled(updateId);
    }
    if (command !== "new" && command !== "stop" && command !== "reset") {
      await this.#tell(origin, HELP_TEXT);
      return this.#context.handled(updateId);
    }
    const requestId = this.#context.nextRequestId();
    this.#origins.set(requestId, origin);
    this.#post({
      type: "command",
      requestId,
      updateId,
      sessionKey: channel,
      command: command === "stop" ? "stop" : "new",
    });
  }

  #allowed(user: string): boolean {
    if (this.#s.allowAllUsers) return true;
    return this.#s.allowedUsers.some((entry) => entry.trim().toUpperCase() === user.toUpperCase());
  }

  async #refuse(origin: SlackOrigin): Promise<void> {
    this.#log(`Slack: refused a message from ${origin.user}: not in SLACK_ALLOWED_USERS.`);
    const last = this.#refusedAt.get(origin.user);
    if (last !== undefined && Date.now() - last < REFUSAL_INTERVAL_MS) return;
    this.#refusedAt.set(origin.user, Date.now());
    await this.#tell(
      { ...origin, ephemeral: true },
      `Sorry, you are not allowed to use this app (your member id is ${origin.user}).`,
    );
  }

  /** A short answer only the user sees (in a DM, an ordinary message). */
  async #tell(origin: SlackOrigin, text: string): Promise<void> {
    const params = { channel: origin.channel, thread_ts: origin.threadTs, text };
    const call = origin.ephemeral
      ? this.#api.call("chat.postEphemeral", { ...params, user: origin.user }, { retry: true })
      : this.#api.call("chat.postMessage", params, { retry: true });
    await call.catch((err) => this.#log(`Slack: an answer could not be sent: ${err.message}`));
  }

  async #render(origin: SlackOrigin, port: MessagePort): Promise<void> {
    const { streaming, replyToMode } = this.#s;
    const editor = new ReplyEditor({
      api: new SlackReplySurface(this.#api, origin, this.#streamSupport, (l) => this.#log(l)),
      format: slackFormat,
      streaming: streaming.enabled,
      editIntervalMs: streaming.editIntervalMs,
      minTokens: streaming.minTokens,
      replyToMode,
      replyToMessageId: origin.messageTs,
      log: (line) => this.#log(line),
    });
    await renderTurn(port, {
      text: (delta) => editor.append(delta),
      segmentBreak: () => editor.segmentBreak(),
      final: async (result) => {
        await editor.finish(result.text);
        if (result.status === "failed") {
          await editor.notice(
            `Sorry, the reply failed: ${result.error?.message ?? "unknown error"}`,
          );
        }
      },
    }, (line) => this.#log(`Slack: ${line}`));
  }

  #post(message: WorkerMessage): void {
    this.#context.post(message);
  }

  #log(line: string): void {
    this.#context.log(line);
  }
}
