/**
 * The Slack side of the adapter, run inside the worker: checks the bot token (`auth.test`)
 * before connecting, receives deliveries over Socket Mode (acknowledged only once the host has
 * stored them) or from the host (HTTP mode), applies the allow-list and the mention rule,
 * forwards messages and `/new` `/stop` to the host, and renders each turn from its token channel.
 * @module
 */
import { approvalText, settledApprovalText } from "../approval_text.ts";
import type { HostMessage, PlatformUpdate, WorkerMessage } from "../protocol.ts";
import { renderReply } from "../render_reply.ts";
import { splitMessage } from "../split_message.ts";
import type { ReplyFailure, ReplyFormat } from "../stream_editor.ts";
import { type PlatformBot, renderTurnInOrder, type WorkerContext } from "../worker_runtime.ts";
import { escapeMrkdwn, slackTextToMarkdown } from "./mrkdwn.ts";
import {
  type SlackDelivery,
  type SlackSettings,
  SlackSettingsSchema,
  toPlatformUpdate,
} from "./protocol.ts";
import {
  replyThreadOf,
  type SlackOrigin,
  SlackReplySurface,
  type StreamSupport,
} from "./reply_surface.ts";
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
    // HTTP 429 carries Retry-After; a `ratelimited` answer without it waits a second.
    if (error.retryAfterSeconds !== undefined || error.code === "ratelimited") {
      return { kind: "flood", retryAfterSeconds: error.retryAfterSeconds ?? 1 };
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
    const channel = delivery.body.channel as { id?: unknown } | undefined;
    return String(delivery.body.channel_id ?? channel?.id ?? "");
  }

  /** Handles a delivery the host has stored. */
  async handleUpdate(update: PlatformUpdate): Promise<void> {
    const delivery = update.payload as SlackDelivery;
    if (delivery.kind === "events_api") return await this.#onEvent(update.id, delivery.body);
    if (delivery.kind === "slash_commands") {
      return await this.#onSlashCommand(update.id, delivery.body);
    }
    try {
      await this.#onInteraction(delivery.body);
    } finally {
      this.#context.handled(update.id);
    }
  }

  /** Confirms an approval button press to whoever pressed, and settles the question if decided. */
  async approvalDone(done: Extract<HostMessage, { type: "approval_done" }>): Promise<void> {
    const { channel, ts, threadTs, user } = done.reply as {
      channel: string;
      ts: string;
      threadTs?: string;
      user: string;
    };
    await this.#api.call("chat.postEphemeral", {
      channel,
      user,
      thread_ts: threadTs,
      text: done.toast,
    }, { retry: true }).catch((err) =>
      this.#log(`Slack: a button press could not be answered: ${err.message}`)
    );
    if (done.text === undefined) return;
    await this.#api.call("chat.update", { channel, ts, ...questionBlocks(done.text, null) })
      .catch((err) => this.#log(`Slack: a question could not be updated: ${err.message}`));
  }

  /** A press of an approval button (block_actions): only allowed users may answer. */
  async #onInteraction(body: Record<string, unknown>): Promise<void> {
    if (body.type !== "block_actions") return;
    const user = String((body.user as { id?: unknown } | undefined)?.id ?? "");
    const channel = String((body.channel as { id?: unknown } | undefined)?.id ?? "");
    const message = (body.message ?? {}) as { ts?: string; text?: string; thread_ts?: string };
    const action = ((body.actions ?? []) as { action_id?: string; value?: string }[])[0];
    const match = /^ap:(mcpr_[0-9a-f]{32}):(once|always|deny)$/.exec(action?.action_id ?? "");
    if (!match || !user || !channel || !message.ts) return;
    if (!this.#allowed(user)) {
      this.#log(`Slack: refused an approval answer from ${user}: not in SLACK_ALLOWED_USERS.`);
      await this.#tell(
        { channel, threadTs: message.thread_ts, user, ephemeral: true },
        "You are not allowed to answer this.",
      );
      return;
    }
    const sessionKey = action?.value ?? "";
    if (sessionKey === "") return;
    this.#post({
      type: "approval_answer",
      sessionKey,
      approvalId: match[1],
      choice: match[2] as "once" | "always" | "deny",
      reply: { channel, ts: message.ts, threadTs: message.thread_ts, user },
      text: message.text ?? "",
    });
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
    renderTurnInOrder(this.#context, {
      label: "Slack",
      origins: this.#origins,
      requestId,
      port,
      render: (origin, port) => this.#render(origin, port),
      done: (origin) => this.#context.handled(origin.updateId),
      log: (line) => this.#log(line),
    });
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
  async #tell(
    origin: Pick<SlackOrigin, "channel" | "threadTs" | "user" | "ephemeral">,
    text: string,
  ): Promise<void> {
    const params = { channel: origin.channel, thread_ts: origin.threadTs, text };
    const call = origin.ephemeral
      ? this.#api.call("chat.postEphemeral", { ...params, user: origin.user }, { retry: true })
      : this.#api.call("chat.postMessage", params, { retry: true });
    await call.catch((err) => this.#log(`Slack: an answer could not be sent: ${err.message}`));
  }

  async #render(origin: SlackOrigin, port: MessagePort): Promise<void> {
    const { streaming, replyToMode, toolProgress } = this.#s;
    await renderReply<{ ts: string; text: string }>(port, {
      api: new SlackReplySurface(this.#api, origin, this.#streamSupport, (l) => this.#log(l)),
      format: slackFormat,
      streaming,
      replyToMode,
      replyToMessageId: origin.messageTs,
      toolProgress,
      ask: async (approval) => {
        const text = approvalText(approval);
        const ts = await this.#askApproval(origin, approval.id, text);
        return ts === undefined ? undefined : { ts, text };
      },
      settle: async (question, decision) => {
        await this.#api.call("chat.update", {
          channel: origin.channel,
          ts: question.ts,
          ...questionBlocks(settledApprovalText(question.text, decision), null),
        }).catch((err) => this.#log(`Slack: a question could not be settled: ${err.message}`));
      },
      log: (line) => this.#log(line),
    });
  }

  /** Posts a question with its three buttons where the reply goes; returns its ts. */
  async #askApproval(origin: SlackOrigin, id: string, text: string): Promise<string | undefined> {
    try {
      const { ts } = await this.#api.call<{ ts: string }>("chat.postMessage", {
        channel: origin.channel,
        thread_ts: replyThreadOf(origin),
        ...questionBlocks(text, { id, sessionKey: origin.sessionKey }),
      }, { retry: true });
      return ts;
    } catch (error) {
      this.#log(`Slack: an approval question could not be sent: ${describeError(error)}`);
      return undefined;
    }
  }

  #post(message: WorkerMessage): void {
    this.#context.post(message);
  }

  #log(line: string): void {
    this.#context.log(line);
  }
}

/**
 * A question's message: its text (also the notification fallback) in a section block, and, while
 * it waits, the buttons Allow once / Always for this chat / Deny. A button's `action_id` names the
 * approval and the choice; its `value` the conversation, to answer in.
 */
export function questionBlocks(
  text: string,
  ask: { id: string; sessionKey: string } | null,
): { text: string; blocks: unknown[] } {
  const shown = text.length > SLACK_MESSAGE_LIMIT ? `${text.slice(0, SLACK_MESSAGE_LIMIT)}…` : text;
  const blocks: unknown[] = [{
    type: "section",
    text: { type: "mrkdwn", text: escapeMrkdwn(shown) },
  }];
  if (ask) {
    const button = (label: string, choice: string, style?: string) => ({
      type: "button",
      text: { type: "plain_text", text: label },
      action_id: `ap:${ask.id}:${choice}`,
      value: ask.sessionKey,
      ...(style ? { style } : {}),
    });
    blocks.push({
      type: "actions",
      elements: [
        button("Allow once", "once", "primary"),
        button("Always for this chat", "always"),
        button("Deny", "deny", "danger"),
      ],
    });
  }
  return { text, blocks };
}
