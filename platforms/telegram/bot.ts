/**
 * The Telegram side of the adapter, run inside the worker: receives updates (long polling, whose
 * offset moves only once the host has stored each update, or updates the host hands over),
 * applies the allowlist, mention rule and commands, forwards messages to the host, renders each
 * turn's events from its token channel, and tells the host when an update is fully handled.
 * @module
 */
import { Bot, type Context, GrammyError } from "grammy/web";
import { isUserAllowed } from "./access.ts";
import { classifyApiError } from "./api_errors.ts";
import { BOT_COMMANDS, HELP_TEXT, parseCommand } from "./commands.ts";
import { entitiesToMarkdown } from "./inbound_text.ts";
import type { HostMessage, PlatformUpdate, WorkerMessage } from "../protocol.ts";
import { renderReply } from "../render_reply.ts";
import { type PlatformBot, renderTurnInOrder, type WorkerContext } from "../worker_runtime.ts";
import {
  TelegramSettingsSchema,
  type TelegramUpdate,
  toPlatformUpdate,
  type WorkerSettings,
} from "./protocol.ts";
import { approvalText, settledApprovalText } from "../approval_text.ts";
import { type ChatApi, telegramFormat, telegramSurface } from "./stream_editor.ts";
import { readPhoto } from "./photos.ts";
import { retryTransformer } from "./retry.ts";
import { abortableSleep, describeError } from "../../lib/mod.ts";

/** How often the typing indicator is renewed; Telegram shows it for about 5 s. */
const TYPING_INTERVAL_MS = 4000;
/** A refused user hears the refusal at most this often. */
const REFUSAL_INTERVAL_MS = 10 * 60_000;
/** The same link-preview options on every send and edit, so edits never drop a preview. */
const LINK_PREVIEW = { prefer_small_media: true };
/** Long-poll timeout in seconds. */
const POLL_TIMEOUT_S = 30;
/** Waits after a failed poll or store, doubling up to the maximum. */
const POLL_RETRY_MS = 1000;
const POLL_RETRY_MAX_MS = 30_000;
/** In a forum, the General topic's thread id; messages there are sent without a thread id. */
const GENERAL_TOPIC_ID = 1;
/** What a user hears about a message that crashed the adapter twice. */
const GIVE_UP_TEXT =
  "Sorry, something went wrong while I was answering this message, so I had to skip it. " +
  "Please send it again, perhaps in other words.";

/** Where a forwarded message came from, kept until its turn or command answer arrives. */
interface Origin {
  chatId: number;
  /** The forum topic to answer in; cleared when Telegram says the topic is gone. */
  threadId?: number;
  messageId: number;
  sessionKey: string;
  updateId: number;
}

type Update = TelegramUpdate;

/**
 * One bot connection, owned by the worker.
 *
 * @example
 * ```ts
 * const bot = new TelegramBot(settings, context); // in a worker, see worker_runtime.ts
 * await bot.start();
 * ```
 */
export class TelegramBot implements PlatformBot {
  #settings: WorkerSettings;
  #context: WorkerContext;
  #post: (message: WorkerMessage) => void;
  #bot: Bot;
  #origins = new Map<string, Origin>();
  #refusedAt = new Map<number, number>();
  #polling = new AbortController();

  constructor(settings: unknown, context: WorkerContext) {
    this.#settings = { ...TelegramSettingsSchema.parse(settings), ...context.common };
    this.#context = context;
    this.#post = context.post;
    this.#bot = new Bot(this.#settings.token, { client: { apiRoot: this.#settings.apiRoot } });
    // Sends honour 429 retry_after. Edits are left to the stream editor, which backs off and
    // skips frames instead of queueing stale ones; typing is decoration; polling retries itself.
    const retry = retryTransformer({ maxRetryAttempts: 3, maxDelaySeconds: 60 });
    const direct = new Set(["editMessageText", "sendChatAction", "getUpdates"]);
    this.#bot.api.config.use((prev, method, payload, signal) =>
      direct.has(method) ? prev(method, payload, signal) : retry(prev, method, payload, signal)
    );
    this.#bot.on("message", (ctx) => this.#onMessage(ctx));
    this.#bot.on("callback_query:data", (ctx) => this.#onButton(ctx));
    this.#bot.catch((err) => {
      this.#log(`Telegram: an update failed: ${err.message}`);
      this.#handled(err.ctx.update.update_id);
    });
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
          allowed_updates: ["message", "callback_query"],
        });
      } else {
        // getUpdates fails while a webhook is set.
        await this.#bot.api.deleteWebhook();
      }
    }
    this.#post({ type: "ready", identity: `@${username}` });
    if (!webhook) await this.#poll();
  }

  /** Updates of one chat (and topic) are handled in order. */
  sessionKeyOf(wrapped: PlatformUpdate): string {
    const msg = (wrapped.payload as Update | null)?.message;
    if (msg?.chat?.id === undefined) return "";
    const threadId = topicOf(msg);
    return threadId !== undefined ? `${msg.chat.id}:${threadId}` : String(msg.chat.id);
  }

  /** Handles an update the host has stored. */
  async handleUpdate(wrapped: PlatformUpdate): Promise<void> {
    const update = wrapped.payload as Update;
    await this.#bot.handleUpdate(update as Parameters<Bot["handleUpdate"]>[0]);
    // Anything but a message or a button press (not asked for, but possible) needs no answer.
    if (!update.message && !update.callback_query) this.#handled(update.update_id);
  }

  /** Tells the user their message was skipped after failing too often. */
  async giveUp(wrapped: PlatformUpdate): Promise<void> {
    const update = wrapped.payload as Update;
    const msg = update.message;
    if (msg?.chat?.id !== undefined) {
      const origin = this.#originOf(msg, update.update_id, "");
      await this.#chatApi(origin).send(GIVE_UP_TEXT, { html: false, replyTo: msg.message_id })
        .catch((err) => this.#log(`Telegram: the apology could not be sent: ${err.message}`));
    }
    this.#handled(update.update_id);
  }

  /** Stops polling. */
  stop(): Promise<void> {
    this.#polling.abort();
    return Promise.resolve();
  }

  /**
   * Long polling. Each update is handed to the host, and the offset moves past it only once
   * the host says it is stored: a crash before that makes Telegram deliver it again.
   */
  async #poll(): Promise<void> {
    const signal = this.#polling.signal;
    let offset = 0;
    let delay = POLL_RETRY_MS;
    while (!signal.aborted) {
      let updates: Update[];
      try {
        updates = await this.#bot.api.getUpdates(
          { offset, timeout: POLL_TIMEOUT_S, allowed_updates: ["message", "callback_query"] },
          // grammY's types name the abort-controller package's AbortSignal; the web one works.
          // deno-lint-ignore no-explicit-any
          signal as any,
        ) as Update[];
      } catch (error) {
        if (signal.aborted) return;
        // A wrong token will not heal by waiting: stop the adapter with one clear line. A second
        // poller (409) may go away: let the worker die, so the host restarts it with backoff.
        if (error instanceof GrammyError && [401, 404, 409].includes(error.error_code)) throw error;
        this.#log(`Telegram: getUpdates failed, retrying in ${delay} ms: ${describeError(error)}`);
        await abortableSleep(delay, signal);
        delay = Math.min(delay * 2, POLL_RETRY_MAX_MS);
        continue;
      }
      for (const update of updates) {
        if (!(await this.#store(update))) {
          if (signal.aborted) return;
          this.#log(`Telegram: update ${update.update_id} could not be stored; retrying.`);
          await abortableSleep(delay, signal);
          delay = Math.min(delay * 2, POLL_RETRY_MAX_MS);
          break;
        }
        offset = update.update_id + 1;
        delay = POLL_RETRY_MS;
      }
    }
  }

  #store(update: Update): Promise<boolean> {
    return this.#context.store(toPlatformUpdate(update));
  }

  /** Renders a turn the host started; turns of one chat are rendered one after another. */
  startTurn(requestId: string, port: MessagePort): void {
    renderTurnInOrder(this.#context, {
      label: "Telegram",
      origins: this.#origins,
      requestId,
      port,
      render: (origin, port) => this.#render(origin, port),
      done: (origin) => this.#handled(origin.updateId),
      log: (line) => this.#log(line),
    });
  }

  /** Sends the host's answer to a forwarded command. */
  async commandDone(requestId: string, text: string): Promise<void> {
    const origin = this.#origins.get(requestId);
    this.#origins.delete(requestId);
    if (!origin) return;
    await this.#chatApi(origin).send(text, { html: false, replyTo: origin.messageId })
      .catch((err) => this.#log(`Telegram: a command answer failed: ${err.message}`));
    this.#handled(origin.updateId);
  }

  /** Confirms an approval button press, and settles the question when it is decided. */
  async approvalDone(done: Extract<HostMessage, { type: "approval_done" }>): Promise<void> {
    const { callbackId, chatId, messageId } = done.reply as {
      callbackId: string;
      chatId: number;
      messageId: number;
    };
    await this.#bot.api.answerCallbackQuery(callbackId, { text: done.toast })
      .catch((err) => this.#log(`Telegram: a button press could not be answered: ${err.message}`));
    if (done.text === undefined) return;
    await this.#bot.api.editMessageText(chatId, messageId, done.text, {
      reply_markup: { inline_keyboard: [] },
    }).catch((err) => this.#log(`Telegram: a question could not be updated: ${err.message}`));
  }

  /** A button of an approval question: only allowed users may answer. */
  async #onButton(ctx: Context): Promise<void> {
    const updateId = ctx.update.update_id;
    const query = ctx.callbackQuery;
    try {
      const match = /^ap:(mcpr_[0-9a-f]{32}):(once|always|deny)$/.exec(query?.data ?? "");
      const msg = query?.message;
      if (!query || !match || !msg) {
        await ctx.answerCallbackQuery().catch(() => {});
        return;
      }
      if (!isUserAllowed(query.from, this.#settings)) {
        this.#log(`Telegram: refused an approval answer from user ${query.from.id}.`);
        await ctx.answerCallbackQuery({ text: "You are not allowed to answer this." })
          .catch(() => {});
        return;
      }
      const threadId = topicOf(msg);
      this.#post({
        type: "approval_answer",
        sessionKey: threadId !== undefined ? `${msg.chat.id}:${threadId}` : String(msg.chat.id),
        approvalId: match[1],
        choice: match[2] as "once" | "always" | "deny",
        reply: { callbackId: query.id, chatId: msg.chat.id, messageId: msg.message_id },
        text: "text" in msg && typeof msg.text === "string" ? msg.text : "",
      });
    } finally {
      this.#handled(updateId);
    }
  }

  async #onMessage(ctx: Context): Promise<void> {
    const updateId = ctx.update.update_id;
    const msg = ctx.message;
    const from = msg?.from;
    const raw = msg?.text ?? msg?.caption ?? "";
    const hasMedia = msg?.photo !== undefined || msg?.document !== undefined;
    if (!msg || !from || from.is_bot || (!raw && !hasMedia)) return this.#handled(updateId);
    const me = this.#bot.botInfo;
    const command = msg.text !== undefined ? parseCommand(raw, me.username) : null;
    const isGroup = msg.chat.type === "group" || msg.chat.type === "supergroup";
    if (isGroup && this.#settings.requireMention && command === null) {
      const mentioned = raw.toLowerCase().includes(`@${me.username.toLowerCase()}`);
      const repliedToMe = msg.reply_to_message?.from?.id === me.id;
      if (!mentioned && !repliedToMe) return this.#handled(updateId);
    }
    const threadId = topicOf(msg);
    const sessionKey = threadId !== undefined ? `${msg.chat.id}:${threadId}` : String(msg.chat.id);
    const origin = this.#originOf(msg, updateId, sessionKey);

    if (!isUserAllowed(from, this.#settings)) {
      await this.#refuse(origin, from.id, from.username);
      return this.#handled(updateId);
    }
    if (this.#context.crashHook(raw)) return;
    if (command === "help") {
      await this.#chatApi(origin).send(HELP_TEXT, { html: false, replyTo: msg.message_id })
        .catch((err) => this.#log(`Telegram: /help failed: ${err.message}`));
      return this.#handled(updateId);
    }
    const requestId = this.#context.nextRequestId();
    if (command !== null) {
      this.#origins.set(requestId, origin);
      this.#post({ type: "command", requestId, updateId: String(updateId), sessionKey, command });
      return;
    }
    const mention = new RegExp(`@${me.username}\\b`, "gi");
    const text = entitiesToMarkdown(raw, msg.entities ?? msg.caption_entities)
      .replace(mention, "").trim();
    const content = await this.#content(msg, text);
    if (content === "") return this.#handled(updateId);
    this.#origins.set(requestId, origin);
    this.#post({
      type: "inbound",
      requestId,
      updateId: String(updateId),
      sessionKey,
      userId: String(from.id),
      content,
    });
  }

  /** The user message for the model: text, a note on attachments, and photos as images. */
  // deno-lint-ignore no-explicit-any
  async #content(msg: any, text: string): Promise<WorkerInboundContent> {
    if (msg.document) {
      const doc = msg.document;
      const name = doc.file_name ? ` "${doc.file_name}"` : "";
      const type = doc.mime_type ? `, ${doc.mime_type}` : "";
      const note = `[The user attached a document${name}${type}; its content is not available.]`;
      return text ? `${note}\n\n${text}` : note;
    }
    if (!msg.photo) return text;
    const note = text ? "[The user sent a photo with this caption:]" : "[The user sent a photo.]";
    const body = text ? `${note}\n\n${text}` : note;
    try {
      const url = await readPhoto(this.#bot.api, msg.photo, this.#settings);
      return [{ type: "text", text: body }, { type: "image_url", image_url: { url } }];
    } catch (error) {
      this.#log(`Telegram: a photo could not be downloaded: ${describeError(error)}`);
      return `${body}\n[The photo could not be downloaded.]`;
    }
  }

  // deno-lint-ignore no-explicit-any
  #originOf(msg: any, updateId: number, sessionKey: string): Origin {
    return {
      chatId: msg.chat.id,
      threadId: topicOf(msg),
      messageId: msg.message_id,
      sessionKey,
      updateId,
    };
  }

  async #refuse(origin: Origin, userId: number, username: string | undefined): Promise<void> {
    const name = username ? ` (@${username})` : "";
    this.#log(
      `Telegram: refused a message from user ${userId}${name}: not in TELEGRAM_ALLOWED_USERS.`,
    );
    const last = this.#refusedAt.get(userId);
    if (last !== undefined && Date.now() - last < REFUSAL_INTERVAL_MS) return;
    this.#refusedAt.set(userId, Date.now());
    await this.#chatApi(origin).send(
      `Sorry, you are not allowed to use this bot (your user id is ${userId}).`,
      { html: false, replyTo: origin.messageId },
    ).catch((err) => this.#log(`Telegram: the refusal could not be sent: ${err.message}`));
  }

  async #render(origin: Origin, port: MessagePort): Promise<void> {
    const { streaming, replyToMode, toolProgress } = this.#settings;
    const typingEvery = this.#settings.typingIntervalMs ?? TYPING_INTERVAL_MS;
    const typing = setInterval(() => this.#typing(origin), typingEvery);
    this.#typing(origin);
    try {
      await renderReply<{ messageId: number; text: string }>(port, {
        api: telegramSurface(this.#chatApi(origin)),
        format: telegramFormat(),
        streaming,
        replyToMode,
        replyToMessageId: origin.messageId,
        toolProgress,
        ask: async (approval) => {
          const text = approvalText(approval);
          const messageId = await this.#askApproval(origin, approval.id, text);
          return messageId === undefined ? undefined : { messageId, text };
        },
        settle: (question, decision) => this.#settleApproval(origin, question, decision),
        onFinal: () => clearInterval(typing),
        log: (line) => this.#log(line),
      });
    } finally {
      clearInterval(typing);
    }
  }

  /** Sends a question with its three buttons; returns the message id. */
  async #askApproval(origin: Origin, id: string, text: string): Promise<number | undefined> {
    try {
      const sent = await this.#bot.api.sendMessage(origin.chatId, text, {
        message_thread_id: origin.threadId,
        reply_markup: {
          inline_keyboard: [[
            { text: "Allow once", callback_data: `ap:${id}:once` },
            { text: "Always for this chat", callback_data: `ap:${id}:always` },
          ], [{ text: "Deny", callback_data: `ap:${id}:deny` }]],
        },
      });
      return sent.message_id;
    } catch (error) {
      this.#log(`Telegram: an approval question could not be sent: ${describeError(error)}`);
      return undefined;
    }
  }

  /** Shows how a question ended under it, without the buttons. */
  async #settleApproval(
    origin: Origin,
    question: { messageId: number; text: string },
    decision: { approved: boolean; reason?: string },
  ): Promise<void> {
    await this.#bot.api.editMessageText(
      origin.chatId,
      question.messageId,
      settledApprovalText(question.text, decision),
      { reply_markup: { inline_keyboard: [] } },
    ).catch(() => {});
  }

  #typing(origin: Origin): void {
    // Typing is decoration: failures (flood, network, a deleted topic) are ignored.
    this.#bot.api.sendChatAction(origin.chatId, "typing", {
      message_thread_id: origin.threadId,
    }).catch(() => {});
  }

  #chatApi(origin: Origin): ChatApi {
    const api = this.#bot.api;
    const send = async (text: string, options: Parameters<ChatApi["send"]>[1]) => {
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
    };
    return {
      send: async (text, options) => {
        try {
          return await send(text, options);
        } catch (error) {
          if (
            origin.threadId === undefined || classifyApiError(error).kind !== "thread_not_found"
          ) {
            throw error;
          }
          // The topic was deleted (or never was one): answer in the General topic instead.
          this.#log(
            `Telegram: topic ${origin.threadId} of chat ${origin.chatId} was not found; ` +
              "answering in the General topic.",
          );
          origin.threadId = undefined;
          return await send(text, options);
        }
      },
      edit: async (messageId, text, options) => {
        await api.editMessageText(origin.chatId, messageId, text, {
          parse_mode: options.html ? "HTML" : undefined,
          link_preview_options: LINK_PREVIEW,
        });
      },
    };
  }

  #handled(updateId: number): void {
    this.#context.handled(String(updateId));
  }

  #log(line: string): void {
    this.#post({ type: "log", line });
  }
}

type WorkerInboundContent = Extract<WorkerMessage, { type: "inbound" }>["content"] | "";

/**
 * The line that stops the adapter when Telegram rejects the token (401, or 404 for a token of
 * the wrong shape); other start failures restart the worker with backoff.
 */
export function telegramFatalLine(error: unknown): string | undefined {
  if (!(error instanceof GrammyError) || ![401, 404].includes(error.error_code)) return undefined;
  return `Telegram: the bot token was rejected (${error.error_code} ${error.description}). ` +
    "Fix: copy the token from @BotFather into TELEGRAM_BOT_TOKEN (telegram.bot_token) and " +
    "restart; the Telegram adapter is stopped, the rest of Herald keeps running.";
}

/**
 * The forum topic a message belongs to. Only `is_topic_message` marks a real topic: in the
 * General topic, and in groups without topics, `message_thread_id` names a reply thread, and
 * sending with it fails with "message thread not found". The General topic (id 1) is answered
 * without a thread id.
 */
// deno-lint-ignore no-explicit-any
export function topicOf(msg: any): number | undefined {
  if (!msg.is_topic_message) return undefined;
  const id = msg.message_thread_id;
  return typeof id === "number" && id !== GENERAL_TOPIC_ID ? id : undefined;
}

export { approvalText };
