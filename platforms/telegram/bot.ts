/**
 * The Telegram side of the adapter, run inside the worker: receives updates (long polling or
 * forwarded webhook bodies), applies the allowlist, mention rule and commands, forwards
 * messages to the host, and renders each turn's events from its token channel.
 * @module
 */
import { Bot, type Context } from "grammy/web";
import { autoRetry } from "@grammyjs/auto-retry";
import { isUserAllowed } from "./access.ts";
import { BOT_COMMANDS, HELP_TEXT, parseCommand } from "./commands.ts";
import type { WorkerMessage, WorkerSettings } from "./protocol.ts";
import { type ChatApi, StreamEditor } from "./stream_editor.ts";
import { readTokenChannel } from "./token_channel.ts";
import { ToolProgress } from "./tool_progress.ts";

/** How often the typing indicator is renewed; Telegram shows it for about 5 s. */
const TYPING_INTERVAL_MS = 4000;
/** A refused user hears the refusal at most this often. */
const REFUSAL_INTERVAL_MS = 10 * 60_000;
/** The same link-preview options on every send and edit, so edits never drop a preview. */
const LINK_PREVIEW = { prefer_small_media: true };

/** Where a forwarded message came from, kept until its turn or command answer arrives. */
interface Origin {
  chatId: number;
  threadId?: number;
  messageId: number;
  sessionKey: string;
}

/**
 * One bot connection, owned by the worker.
 *
 * @example
 * ```ts
 * const bot = new TelegramBot(settings, (message) => self.postMessage(message));
 * await bot.start();
 * ```
 */
export class TelegramBot {
  #settings: WorkerSettings;
  #post: (message: WorkerMessage) => void;
  #bot: Bot;
  #origins = new Map<string, Origin>();
  #renders = new Map<string, Promise<void>>();
  #refusedAt = new Map<number, number>();
  #nextId = 0;

  constructor(settings: WorkerSettings, post: (message: WorkerMessage) => void) {
    this.#settings = settings;
    this.#post = post;
    this.#bot = new Bot(settings.token, { client: { apiRoot: settings.apiRoot } });
    // Sends honour 429 retry_after; edits are left to the stream editor, which backs off and
    // skips frames instead of queueing stale ones.
    const retry = autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60 });
    this.#bot.api.config.use((prev, method, payload, signal) =>
      method === "editMessageText"
        ? prev(method, payload, signal)
        // deno-lint-ignore no-explicit-any
        : retry(prev as any, method, payload as any, signal) as any
    );
    this.#bot.on("message", (ctx) => this.#onMessage(ctx));
    this.#bot.catch((err) => this.#log(`Telegram: an update failed: ${err.message}`));
  }

  /** Connects: long polling until stopped, or webhook registration. */
  async start(): Promise<void> {
    const { webhook, generation } = this.#settings;
    await this.#bot.init();
    const username = this.#bot.botInfo.username;
    if (generation === 0) {
      // Startup calls count against flood limits too; restarts skip them.
      await this.#bot.api.setMyCommands(BOT_COMMANDS).catch((err) =>
        this.#log(`Telegram: setMyCommands failed: ${err.message}`)
      );
      if (webhook) {
        await this.#bot.api.setWebhook(webhook.url, {
          secret_token: webhook.secret,
          allowed_updates: ["message"],
        });
      }
    }
    this.#post({ type: "ready", username });
    if (!webhook) {
      // Handlers return at once (turns run on the host), so one slow chat never holds up another.
      await this.#bot.start({ allowed_updates: ["message"] });
    }
  }

  /** Handles one update forwarded from the host's webhook route. */
  async handleUpdate(update: Record<string, unknown>): Promise<void> {
    // deno-lint-ignore no-explicit-any
    await this.#bot.handleUpdate(update as any);
  }

  /** Stops polling. */
  async stop(): Promise<void> {
    if (this.#bot.isRunning()) await this.#bot.stop();
  }

  /** Renders a turn the host started; turns of one chat are rendered one after another. */
  startTurn(requestId: string, port: MessagePort): void {
    const origin = this.#origins.get(requestId);
    this.#origins.delete(requestId);
    if (!origin) {
      this.#log(`Telegram: a turn arrived for unknown request ${requestId}`);
      port.close();
      return;
    }
    const previous = this.#renders.get(origin.sessionKey) ?? Promise.resolve();
    const next = previous.then(() => this.#render(origin, port)).catch((err) =>
      this.#log(`Telegram: rendering a reply failed: ${err?.message ?? err}`)
    );
    this.#renders.set(origin.sessionKey, next);
    next.finally(() => {
      if (this.#renders.get(origin.sessionKey) === next) this.#renders.delete(origin.sessionKey);
    });
  }

  /** Sends the host's answer to a forwarded command. */
  async commandDone(requestId: string, text: string): Promise<void> {
    const origin = this.#origins.get(requestId);
    this.#origins.delete(requestId);
    if (!origin) return;
    await this.#chatApi(origin).send(text, { html: false, replyTo: origin.messageId })
      .catch((err) => this.#log(`Telegram: a command answer failed: ${err.message}`));
  }

  #onMessage(ctx: Context): void {
    const msg = ctx.message;
    const from = msg?.from;
    const raw = msg?.text ?? msg?.caption;
    if (!msg || !from || from.is_bot || !raw) return;
    const me = this.#bot.botInfo;
    const command = parseCommand(raw, me.username);
    const isGroup = msg.chat.type === "group" || msg.chat.type === "supergroup";
    if (isGroup && this.#settings.requireMention && command === null) {
      const mentioned = raw.toLowerCase().includes(`@${me.username.toLowerCase()}`);
      const repliedToMe = msg.reply_to_message?.from?.id === me.id;
      if (!mentioned && !repliedToMe) return;
    }
    const threadId = msg.is_topic_message ? msg.message_thread_id : undefined;
    const sessionKey = threadId !== undefined ? `${msg.chat.id}:${threadId}` : String(msg.chat.id);
    const origin: Origin = { chatId: msg.chat.id, threadId, messageId: msg.message_id, sessionKey };

    if (!isUserAllowed(from, this.#settings)) {
      this.#refuse(origin, from.id, from.username);
      return;
    }
    const text = raw.replace(new RegExp(`@${me.username}\\b`, "gi"), "").trim();
    if (this.#settings.crashOnText !== undefined && text === this.#settings.crashOnText) {
      if (this.#settings.generation === 0) {
        setTimeout(() => {
          throw new Error("Telegram worker crashed on request (test hook)");
        });
        return;
      }
    }
    if (command === "help") {
      this.#chatApi(origin).send(HELP_TEXT, { html: false, replyTo: msg.message_id })
        .catch((err) => this.#log(`Telegram: /help failed: ${err.message}`));
      return;
    }
    const requestId = `${this.#settings.generation}-${++this.#nextId}`;
    this.#origins.set(requestId, origin);
    if (command !== null) {
      this.#post({ type: "command", requestId, sessionKey, command });
    } else if (text !== "") {
      this.#post({ type: "inbound", requestId, sessionKey, text });
    } else {
      this.#origins.delete(requestId);
    }
  }

  #refuse(origin: Origin, userId: number, username: string | undefined): void {
    const name = username ? ` (@${username})` : "";
    this.#log(
      `Telegram: refused a message from user ${userId}${name}: not in TELEGRAM_ALLOWED_USERS.`,
    );
    const last = this.#refusedAt.get(userId);
    if (last !== undefined && Date.now() - last < REFUSAL_INTERVAL_MS) return;
    this.#refusedAt.set(userId, Date.now());
    this.#chatApi(origin).send(
      `Sorry, you are not allowed to use this bot (your user id is ${userId}).`,
      { html: false, replyTo: origin.messageId },
    ).catch((err) => this.#log(`Telegram: the refusal could not be sent: ${err.message}`));
  }

  async #render(origin: Origin, port: MessagePort): Promise<void> {
    const { streaming, replyToMode, toolProgress } = this.#settings;
    const api = this.#chatApi(origin);
    const typing = setInterval(() => this.#typing(origin), TYPING_INTERVAL_MS);
    this.#typing(origin);
    const editor = new StreamEditor({
      api,
      streaming: streaming.enabled,
      editIntervalMs: streaming.editIntervalMs,
      minTokens: streaming.minTokens,
      replyToMode,
      replyToMessageId: origin.messageId,
      log: (line) => this.#log(line),
    });
    const progress = toolProgress === "off" ? undefined : new ToolProgress({
      api,
      mode: toolProgress,
    });
    try {
      for await (const event of readTokenChannel(port, (line) => this.#log(line))) {
        if (event.type === "text_delta") editor.append(event.delta);
        else if (event.type === "segment_break") await editor.segmentBreak();
        else if (event.type === "tool_started") progress?.add(event.call.function.name);
        else if (event.type === "final") {
          clearInterval(typing);
          await progress?.close();
          await editor.finish(event.result.text);
          if (event.result.status === "failed") {
            const reason = event.result.error?.message ?? "unknown error";
            await editor.notice(`Sorry, the reply failed: ${reason}`);
          }
        }
      }
    } finally {
      clearInterval(typing);
    }
  }

  #typing(origin: Origin): void {
    // Typing is decoration: failures (flood, network) are ignored.
    this.#bot.api.sendChatAction(origin.chatId, "typing", {
      message_thread_id: origin.threadId,
    }).catch(() => {});
  }

  #chatApi(origin: Origin): ChatApi {
    const api = this.#bot.api;
    return {
      send: async (text, options) => {
        const message = await api.sendMessage(origin.chatId, text, {
          parse_mode: options.html ? "HTML" : undefined,
          message_thread_id: origin.threadId,
          reply_parameters: options.replyTo !== undefined
            ? { message_id: options.replyTo, allow_sending_without_reply: true }
            : undefined,
          link_preview_options: LINK_PREVIEW,
          disable_notification: options.silent,
        });
        return message.message_id;
      },
      edit: async (messageId, text, options) => {
        await api.editMessageText(origin.chatId, messageId, text, {
          parse_mode: options.html ? "HTML" : undefined,
          link_preview_options: LINK_PREVIEW,
        });
      },
    };
  }

  #log(line: string): void {
    this.#post({ type: "log", line });
  }
}
