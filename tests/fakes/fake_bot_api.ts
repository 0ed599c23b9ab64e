/**
 * A fake Telegram Bot API on a real HTTP server (127.0.0.1, port 0). It answers the calls the
 * adapter makes, keeps the chat's messages so tests can read what a user would see, records every
 * call with its arrival time, and can be told to fail the next calls of a method (429 with
 * retry_after, "can't parse entities", "message is not modified").
 * @module
 */
import { FakePlatformServer } from "./fake_platform_server.ts";

/** One recorded Bot API call. */
export interface RecordedCall {
  method: string;
  // deno-lint-ignore no-explicit-any
  body: Record<string, any>;
  /** performance.now() when the call arrived. */
  at: number;
}

/** A message as the chat shows it now. */
export interface FakeMessage {
  messageId: number;
  chatId: number;
  text: string;
  parseMode?: string;
  replyTo?: number;
  threadId?: number;
  /** Sent with disable_notification. */
  silent?: boolean;
  edits: number;
  /** The inline keyboard under the message, if any (button texts and callback data). */
  buttons?: { text: string; callback_data?: string }[][];
}

/** A Bot API error to answer with. */
export interface FakeError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
}

/** A 429 with `retry_after` seconds. */
export function floodError(retryAfter = 1): FakeError {
  return {
    error_code: 429,
    description: `Too Many Requests: retry after ${retryAfter}`,
    parameters: { retry_after: retryAfter },
  };
}

/** Telegram's answer to markup it cannot read. */
export const PARSE_ERROR: FakeError = {
  error_code: 400,
  description: "Bad Request: can't parse entities: Can't find end tag corresponding to start tag",
};

/** Telegram's answer to an edit that changes nothing. */
export const NOT_MODIFIED_ERROR: FakeError = {
  error_code: 400,
  description:
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
};

/** What a user message in a test looks like. */
export interface UserMessageOptions {
  text: string;
  chatId?: number;
  userId?: number;
  username?: string;
  chatType?: "private" | "group" | "supergroup";
  threadId?: number;
  /** Whether the thread is a forum topic (default true when threadId is set). */
  isTopicMessage?: boolean;
  /** Makes the message a reply to this (bot) message. */
  replyToMessageId?: number;
  /** Text entities (or caption entities for media). */
  entities?: Record<string, unknown>[];
  /** A photo: its bytes are served by getFile and the file route; `text` is the caption. */
  photo?: Uint8Array;
  /** A document: `text` is the caption. */
  document?: { file_name: string; mime_type: string };
}

/** Telegram's answer to a send into a forum topic that does not exist. */
export const THREAD_NOT_FOUND_ERROR: FakeError = {
  error_code: 400,
  description: "Bad Request: message thread not found",
};

const BOT = { id: 999_000, is_bot: true, first_name: "Herald", username: "herald_test_bot" };
const ALLOWED_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "code",
  "pre",
  "blockquote",
  "tg-emoji",
]);

/**
 * Starts a fake Bot API.
 *
 * @example
 * ```ts
 * await using api = await startFakeBotApi();
 * api.sendUserMessage({ text: "hi" });
 * await api.waitFor(() => api.callsOf("sendMessage").length > 0);
 * ```
 */
export function startFakeBotApi(): Promise<FakeBotApi> {
  return Promise.resolve(new FakeBotApi());
}

/** The fake server; see startFakeBotApi. */
export class FakeBotApi extends FakePlatformServer {
  readonly bot = BOT;
  readonly token = "123456:TEST-token";
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<number, FakeMessage>();
  /** The offset of every getUpdates call, in order. */
  readonly pollOffsets: number[] = [];
  /** Forum topics that do not exist (any thread id 1 is refused too, as the General topic). */
  readonly missingThreads = new Set<number>([1]);
  #files = new Map<string, Uint8Array>();
  #updates: Record<string, unknown>[] = [];
  #nextUpdateId = 1;
  #nextMessageId = 1000;
  #failures = new Map<string, FakeError[]>();
  #pollers = new Set<() => void>();
  #closed = false;

  constructor() {
    super("The fake Bot API");
  }

  /** The Bot API root to configure (`telegram.api_root`). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls of one method, in arrival order. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The messages the bot sent to a chat, in order. */
  chatMessages(chatId = 1): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.chatId === chatId);
  }

  /** Makes the next `times` calls of `method` fail with `error`. */
  failNext(method: string, error: FakeError, times = 1): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(error);
    this.#failures.set(method, list);
  }

  /** Stops failing calls of `method`. */
  clearFailures(method: string): void {
    this.#failures.delete(method);
  }

  /** Queues a user's message for getUpdates; returns its message id. */
  sendUserMessage(options: UserMessageOptions): number {
    const chatId = options.chatId ?? 1;
    const userId = options.userId ?? 42;
    const messageId = this.#nextMessageId++;
    const message: Record<string, unknown> = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: options.chatType ?? "private" },
      from: { id: userId, is_bot: false, first_name: "User", username: options.username },
    };
    const media = options.photo !== undefined || options.document !== undefined;
    if (media) {
      if (options.text) message.caption = options.text;
      if (options.entities) message.caption_entities = options.entities;
    } else {
      message.text = options.text;
      if (options.entities) message.entities = options.entities;
    }
    if (options.photo) {
      const fileId = `photo-${messageId}`;
      this.#files.set(fileId, options.photo);
      message.photo = [
        { file_id: `${fileId}-small`, file_unique_id: "s", width: 90, height: 90, file_size: 10 },
        {
          file_id: fileId,
          file_unique_id: "m",
          width: 800,
          height: 600,
          file_size: options.photo.length,
        },
      ];
    }
    if (options.document) {
      message.document = { file_id: `doc-${messageId}`, file_unique_id: "d", ...options.document };
    }
    if (!media && options.text.startsWith("/")) {
      const length = options.text.split(/\s/)[0].length;
      message.entities = [{ type: "bot_command", offset: 0, length }];
    }
    if (options.threadId !== undefined) {
      message.message_thread_id = options.threadId;
      if (options.isTopicMessage !== false) message.is_topic_message = true;
    }
    if (options.replyToMessageId !== undefined) {
      message.reply_to_message = {
        message_id: options.replyToMessageId,
        date: 0,
        chat: message.chat,
        from: BOT,
      };
    }
    this.#updates.push({ update_id: this.#nextUpdateId++, message });
    for (const wake of this.#pollers) wake();
    return messageId;
  }

  /**
   * Queues a press of an inline button (a `callback_query` update) by `userId` on one of the
   * bot's messages; returns the callback query id.
   */
  pressButton(options: { messageId: number; data: string; userId?: number }): string {
    const message = this.messages.get(options.messageId);
    const id = `cb-${this.#nextUpdateId}`;
    this.#updates.push({
      update_id: this.#nextUpdateId++,
      callback_query: {
        id,
        from: { id: options.userId ?? 42, is_bot: false, first_name: "User" },
        chat_instance: "ci",
        data: options.data,
        message: {
          message_id: options.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: message?.chatId ?? 1, type: "private" },
          from: BOT,
          text: message?.text ?? "",
        },
      },
    });
    for (const wake of this.#pollers) wake();
    return id;
  }

  /** Stops the server, releasing pending long polls. */
  override async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#pollers) wake();
    await super.close();
  }

  protected async handle(req: Request): Promise<Response> {
    const file = new URL(req.url).pathname.match(/^\/file\/bot([^/]+)\/photos\/(.+)$/);
    if (file && file[1] === this.token && this.#files.has(file[2])) {
      const bytes = this.#files.get(file[2])!.slice();
      return new Response(bytes, { headers: { "content-type": "image/png" } });
    }
    const match = new URL(req.url).pathname.match(/^\/bot([^/]+)\/(\w+)$/);
    if (!match || match[1] !== this.token) {
      return Response.json({ ok: false, error_code: 401, description: "Unauthorized" }, {
        status: 401,
      });
    }
    const method = match[2];
    const text = await req.text();
    // deno-lint-ignore no-explicit-any
    const body: Record<string, any> = text ? JSON.parse(text) : {};
    if (method !== "getUpdates") this.calls.push({ method, body, at: performance.now() });
    else this.pollOffsets.push(body.offset ?? 0);
    const answer = await this.#answer(method, body);
    this.notify();
    if ("error_code" in answer) {
      return Response.json({ ok: false, ...answer }, { status: answer.error_code });
    }
    return Response.json({ ok: true, result: answer.result });
  }

  async #answer(
    method: string,
    // deno-lint-ignore no-explicit-any
    body: Record<string, any>,
  ): Promise<FakeError | { result: unknown }> {
    const failure = this.#failures.get(method)?.shift();
    if (failure) return failure;
    switch (method) {
      case "getMe":
        return { result: BOT };
      case "getUpdates":
        return { result: await this.#poll(body.offset ?? 0, body.timeout ?? 0) };
      case "getFile":
        if (!this.#files.has(body.file_id)) {
          return { error_code: 400, description: "Bad Request: invalid file_id" };
        }
        return {
          result: {
            file_id: body.file_id,
            file_unique_id: "u",
            file_path: `photos/${body.file_id}`,
          },
        };
      case "sendChatAction":
        if (this.missingThreads.has(body.message_thread_id)) return THREAD_NOT_FOUND_ERROR;
        return { result: true };
      case "sendMessage":
        return this.#send(body);
      case "editMessageText":
        return this.#edit(body);
      case "deleteMessage":
        this.messages.delete(body.message_id);
        return { result: true };
      default:
        return { result: true };
    }
  }

  async #poll(offset: number, timeoutSeconds: number): Promise<unknown[]> {
    // Updates below the offset are confirmed: forget them.
    this.#updates = this.#updates.filter((u) => (u.update_id as number) >= offset);
    if (this.#updates.length === 0 && timeoutSeconds > 0 && !this.#closed) {
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => wake = resolve);
      this.#pollers.add(wake);
      const timer = setTimeout(wake, Math.min(timeoutSeconds, 1) * 1000);
      await woken;
      clearTimeout(timer);
      this.#pollers.delete(wake);
    }
    return this.#closed ? [] : [...this.#updates];
  }

  // deno-lint-ignore no-explicit-any
  #send(body: Record<string, any>): FakeError | { result: unknown } {
    if (this.missingThreads.has(body.message_thread_id)) return THREAD_NOT_FOUND_ERROR;
    const problem = checkText(body.text, body.parse_mode);
    if (problem) return problem;
    const messageId = this.#nextMessageId++;
    this.messages.set(messageId, {
      messageId,
      chatId: body.chat_id,
      text: body.text,
      parseMode: body.parse_mode,
      replyTo: body.reply_parameters?.message_id,
      threadId: body.message_thread_id,
      ...(body.disable_notification ? { silent: true } : {}),
      edits: 0,
      ...(body.reply_markup?.inline_keyboard ? { buttons: body.reply_markup.inline_keyboard } : {}),
    });
    return {
      result: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: body.chat_id, type: "private" },
        from: BOT,
        text: body.text,
      },
    };
  }

  // deno-lint-ignore no-explicit-any
  #edit(body: Record<string, any>): FakeError | { result: unknown } {
    const message = this.messages.get(body.message_id);
    if (!message) return { error_code: 400, description: "Bad Request: message to edit not found" };
    const problem = checkText(body.text, body.parse_mode);
    if (problem) return problem;
    if (message.text === body.text && message.parseMode === body.parse_mode) {
      return NOT_MODIFIED_ERROR;
    }
    message.text = body.text;
    message.parseMode = body.parse_mode;
    if (body.reply_markup?.inline_keyboard) message.buttons = body.reply_markup.inline_keyboard;
    message.edits++;
    return {
      result: { message_id: message.messageId, chat: { id: message.chatId }, text: body.text },
    };
  }
}

/** Telegram's own checks: length after entity parsing, and well-formed HTML. */
function checkText(text: unknown, parseMode: unknown): FakeError | undefined {
  if (typeof text !== "string" || text.trim() === "") {
    return { error_code: 400, description: "Bad Request: message text is empty" };
  }
  const visible = parseMode === "HTML" ? visibleText(text) : text;
  if (visible === undefined) return PARSE_ERROR;
  if (visible.length > 4096) {
    return { error_code: 400, description: "Bad Request: message is too long" };
  }
  return undefined;
}

/** The text an HTML message shows, or undefined when Telegram would reject the markup. */
function visibleText(html: string): string | undefined {
  const stack: string[] = [];
  let visible = "";
  const token = /<(\/?)([a-z-]+)(?:\s[^<>]*)?>|&(?:lt|gt|amp|quot);|[<>&]|[^<>&]+/g;
  for (const m of html.matchAll(token)) {
    const [whole, closing, tag] = m;
    if (tag !== undefined) {
      if (!ALLOWED_TAGS.has(tag)) return undefined;
      if (closing) {
        if (stack.pop() !== tag) return undefined;
      } else stack.push(tag);
    } else if (whole === "<" || whole === ">" || whole === "&") {
      return undefined;
    } else if (whole.startsWith("&")) {
      visible += "x";
    } else visible += whole;
  }
  return stack.length === 0 ? visible : undefined;
}
