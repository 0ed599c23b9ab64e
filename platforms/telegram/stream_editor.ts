/**
 * The live reply: one preview message grows with the model's text (plain text, a `▌` cursor,
 * at most one edit per interval, intermediate frames skipped), and the final edit removes the
 * cursor and applies formatting. Long finals are split, the first chunk replacing the preview.
 * The final text is delivered exactly once: if the final edit cannot be made, only the part the
 * preview does not already show is sent, as new messages.
 * @module
 */
import { classifyApiError } from "./api_errors.ts";
import { markdownToTelegramHtml } from "./format_html.ts";
import type { ReplyToMode } from "./protocol.ts";
import { splitForTelegram, TELEGRAM_MESSAGE_LIMIT, truncateUtf16 } from "./split_message.ts";
import { describeError } from "../../lib/mod.ts";

/** The cursor shown at the end of a preview while the reply is being written. */
export const CURSOR = "▌";

/** The most the edit interval grows to under flood control. */
const MAX_EDIT_INTERVAL_MS = 10_000;
/** A final edit refused with a flood wait up to this long is retried once after the wait. */
const FINAL_EDIT_MAX_WAIT_S = 5;
/** Consecutive failed edits after which the preview is left alone until the end. */
const MAX_STRIKES = 3;

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

/** A timer handle from Clock.setTimeout. */
export type TimerId = ReturnType<typeof setTimeout>;

/** Time, injectable so the state machine can be tested with a fake clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

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
export class StreamEditor {
  #o: Required<Omit<StreamEditorOptions, "replyToMessageId" | "log">> & StreamEditorOptions;
  #text = "";
  #tokens = 0;
  #messageId: number | undefined;
  /** The plain text the preview shows now, without the cursor. */
  #shown = "";
  #interval: number;
  #nextEditAt = 0;
  #timer: TimerId | undefined;
  #inflight: Promise<void> | undefined;
  #strikes = 0;
  #frozen = false;
  #sent = 0;
  #delivered = false;
  /** Set while a segment is being finalized: no preview update may land after the final. */
  #finalizing = false;

  constructor(options: StreamEditorOptions) {
    this.#o = { limit: TELEGRAM_MESSAGE_LIMIT, clock: systemClock, ...options };
    this.#interval = options.editIntervalMs;
  }

  /** Adds a piece of the model's text. */
  append(delta: string): void {
    this.#text += delta;
    this.#tokens++;
    this.#schedule();
  }

  /** Ends the current text segment (a tool call follows); the next text starts a new message. */
  async segmentBreak(): Promise<void> {
    await this.#finalizeSegment(this.#text);
    this.#text = "";
    this.#tokens = 0;
    this.#messageId = undefined;
    this.#shown = "";
    this.#strikes = 0;
    this.#frozen = false;
    this.#finalizing = false;
  }

  /** Delivers the final text of the turn. `fallbackText` is used when nothing was streamed. */
  async finish(fallbackText = ""): Promise<void> {
    const text = this.#text.trim() === "" && !this.#delivered ? fallbackText : this.#text;
    await this.#finalizeSegment(text);
  }

  /** Sends a standalone notice (an error, for example) after the reply. */
  async notice(text: string): Promise<void> {
    await this.#sendChunks([text]);
  }

  #replyTo(): number | undefined {
    const index = this.#sent++;
    const mode = this.#o.replyToMode;
    if (mode === "off" || (mode === "first" && index > 0)) return undefined;
    return this.#o.replyToMessageId;
  }

  #preview(): string {
    return truncateUtf16(this.#text.trimEnd(), this.#o.limit - CURSOR.length - 1);
  }

  #schedule(): void {
    if (!this.#o.streaming || this.#frozen || this.#finalizing) return;
    if (this.#timer !== undefined || this.#inflight) return;
    if (this.#messageId === undefined) {
      const estimate = Math.max(this.#tokens, Math.ceil(this.#text.length / 4));
      if (estimate < this.#o.minTokens || this.#text.trim().length < 4) return;
    }
    if (this.#preview() === this.#shown) return;
    const delay = Math.max(0, this.#nextEditAt - this.#o.clock.now());
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#inflight = this.#flush().finally(() => {
        this.#inflight = undefined;
        this.#schedule();
      });
    }, delay);
  }

  async #flush(): Promise<void> {
    const preview = this.#preview();
    if (preview === this.#shown || this.#frozen || this.#finalizing) return;
    const { api, clock } = this.#o;
    try {
      if (this.#messageId === undefined) {
        this.#messageId = await api.send(preview + CURSOR, {
          html: false,
          replyTo: this.#replyTo(),
        });
        this.#delivered = true;
      } else {
        await api.edit(this.#messageId, preview + CURSOR, { html: false });
      }
      this.#shown = preview;
      this.#strikes = 0;
      this.#nextEditAt = clock.now() + this.#interval;
    } catch (error) {
      const failure = classifyApiError(error);
      if (failure.kind === "not_modified") {
        this.#shown = preview;
        this.#nextEditAt = clock.now() + this.#interval;
        return;
      }
      this.#strikes++;
      if (failure.kind === "flood") {
        this.#interval = Math.min(this.#interval * 2, MAX_EDIT_INTERVAL_MS);
        const wait = Math.max(this.#interval, failure.retryAfterSeconds * 1000);
        this.#nextEditAt = clock.now() + wait;
      } else {
        this.#nextEditAt = clock.now() + this.#interval;
        this.#o.log?.(`Telegram: a preview update failed: ${describeError(error)}`);
      }
      if (this.#strikes >= MAX_STRIKES) this.#frozen = true;
    }
  }

  async #finalizeSegment(rawText: string): Promise<void> {
    this.#finalizing = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inflight;
    const text = rawText.trim();
    const chunks = splitForTelegram(text, this.#o.limit);
    if (this.#messageId === undefined) {
      await this.#sendChunks(chunks);
      return;
    }
    if (!this.#frozen) {
      await this.#o.clock.sleep(Math.max(0, this.#nextEditAt - this.#o.clock.now()));
      if (await this.#finalEdit(this.#messageId, chunks[0] ?? this.#shown)) {
        await this.#sendChunks(chunks.slice(1));
        return;
      }
    }
    // The preview stays as it is; send only what it does not show yet.
    const tail = text.startsWith(this.#shown) ? text.slice(this.#shown.length) : text;
    await this.#sendChunks(splitForTelegram(tail.trim(), this.#o.limit));
  }

  /** Edits the preview into its final, formatted form. Returns whether the edit landed. */
  async #finalEdit(messageId: number, markdown: string): Promise<boolean> {
    const { api } = this.#o;
    let html = true;
    let waited = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await api.edit(messageId, html ? markdownToTelegramHtml(markdown) : markdown, { html });
        return true;
      } catch (error) {
        const failure = classifyApiError(error);
        if (failure.kind === "not_modified") return true;
        if (failure.kind === "parse" && html) {
          html = false;
          continue;
        }
        if (
          failure.kind === "flood" && !waited && failure.retryAfterSeconds <= FINAL_EDIT_MAX_WAIT_S
        ) {
          waited = true;
          await this.#o.clock.sleep(failure.retryAfterSeconds * 1000);
          continue;
        }
        this.#o.log?.(`Telegram: the final edit failed, sending the rest: ${describeError(error)}`);
        return false;
      }
    }
    return false;
  }

  /** Sends chunks as new messages: HTML first, plain text when Telegram rejects the markup. */
  async #sendChunks(chunks: string[]): Promise<void> {
    for (const chunk of chunks) {
      const replyTo = this.#replyTo();
      try {
        await this.#sendFormatted(chunk, replyTo);
        this.#delivered = true;
      } catch (error) {
        // Later chunks would read out of order; stop here and say so in the log.
        this.#o.log?.(`Telegram: a reply message could not be sent: ${describeError(error)}`);
        return;
      }
    }
  }

  async #sendFormatted(markdown: string, replyTo: number | undefined): Promise<number> {
    try {
      return await this.#o.api.send(markdownToTelegramHtml(markdown), { html: true, replyTo });
    } catch (error) {
      if (classifyApiError(error).kind !== "parse") throw error;
      return await this.#o.api.send(markdown, { html: false, replyTo });
    }
  }
}
