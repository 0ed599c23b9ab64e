/**
 * Telegram's live reply: the shared ReplyEditor (../stream_editor.ts) with Telegram's pieces —
 * HTML formatting, 4096-unit splitting and Bot API error reading — behind the Telegram-shaped
 * `ChatApi` (numeric message ids, an `html` flag).
 * @module
 */
import {
  type Clock,
  CURSOR,
  type MessageId,
  ReplyEditor,
  type ReplyFormat,
  type ReplySurface,
  systemClock,
  type TimerId,
} from "../stream_editor.ts";
import { classifyApiError } from "./api_errors.ts";
import { markdownToTelegramHtml } from "./format_html.ts";
import type { ReplyToMode } from "./protocol.ts";
import { splitForTelegram, TELEGRAM_MESSAGE_LIMIT } from "./split_message.ts";

export { type Clock, CURSOR, systemClock, type TimerId };

/** The calls the renderer makes, bound to one chat (and topic). */
export interface ChatApi {
  /** Sends a message and returns its id. `html` selects HTML parse mode. */
  send(
    text: string,
    options: { html: boolean; replyTo?: number; silent?: boolean },
  ): Promise<number>;
  /** Replaces a message's text. */
  edit(messageId: number, text: string, options: { html: boolean }): Promise<void>;
}

/** How a StreamEditor behaves. */
export interface StreamEditorOptions {
  api: ChatApi;
  /** Show the reply while it is written; otherwise send it whole at the end. */
  streaming: boolean;
  editIntervalMs: number;
  /** Tokens (text deltas) to collect before the first preview appears. */
  minTokens: number;
  replyToMode: ReplyToMode;
  /** The user's message the reply answers. */
  replyToMessageId?: number;
  limit?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

/** Telegram's text handling for the shared editor. */
export function telegramFormat(limit = TELEGRAM_MESSAGE_LIMIT): ReplyFormat {
  return {
    label: "Telegram",
    limit,
    format: markdownToTelegramHtml,
    split: splitForTelegram,
    classify: (error) => {
      const failure = classifyApiError(error);
      return failure.kind === "thread_not_found"
        ? { kind: "other", message: "message thread not found" }
        : failure;
    },
  };
}

/**
 * Renders one turn's text into Telegram messages.
 *
 * @example
 * ```ts
 * const editor = new StreamEditor({ api, streaming: true, editIntervalMs: 1500, minTokens: 20,
 *   replyToMode: "first", replyToMessageId: 7 });
 * editor.append("Hello");
 * await editor.finish();
 * ```
 */
export class StreamEditor extends ReplyEditor {
  constructor(options: StreamEditorOptions) {
    super({ ...options, format: telegramFormat(options.limit), api: telegramSurface(options.api) });
  }
}

/** The shared ReplySurface over a Telegram ChatApi (formatted means HTML parse mode). */
export function telegramSurface(chat: ChatApi): ReplySurface {
  return {
    send: (text, o) =>
      chat.send(text, { html: o.formatted, replyTo: o.replyTo as number, silent: o.silent }),
    edit: (id: MessageId, text, o) => chat.edit(id as number, text, { html: o.formatted }),
  };
}
