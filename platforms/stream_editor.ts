/**
 * The live reply, the same on every platform: one preview message grows with the model's text
 * (plain text with a cursor, at most one update per interval, intermediate frames skipped), and
 * the final edit removes the cursor and applies the platform's formatting. Long finals are split,
 * the first chunk replacing the preview. The final text is delivered exactly once: if the final
 * edit cannot be made, only the part the preview does not already show is sent, as new messages.
 * A platform supplies its message calls, its formatter, its splitter and how its errors read.
 * @module
 */
import { type Clock, Pacer, systemClock } from "./pacer.ts";
import type { ReplyToMode } from "./protocol.ts";
import { describeError } from "../lib/mod.ts";

export { type Clock, systemClock, type TimerId } from "./pacer.ts";

/** The cursor shown at the end of a preview while the reply is being written. */
export const CURSOR = "▌";

/** The most the edit interval grows to under rate limiting. */
const MAX_EDIT_INTERVAL_MS = 10_000;
/** A final edit refused with a rate-limit wait up to this long is retried once after the wait. */
const FINAL_EDIT_MAX_WAIT_S = 5;
/** Consecutive failed edits after which the preview is left alone until the end. */
const MAX_STRIKES = 3;

/** A message id: a number on Telegram, a snowflake on Discord, a `ts` on Slack. */
export type MessageId = number | string;

/** The calls the renderer makes, bound to one conversation. */
export interface ReplySurface {
  /**
   * Sends a message and returns its id. `formatted` says the text is in the platform's markup;
   * `preview` marks the first frame of a live reply (Slack may stream it natively); `silent`
   * asks for no notification (the tool progress message).
   */
  send(
    text: string,
    options: { formatted: boolean; replyTo?: MessageId; silent?: boolean; preview?: boolean },
  ): Promise<MessageId>;
  /** Replaces a message's text; `final` marks the edit that ends the preview. */
  edit(
    messageId: MessageId,
    text: string,
    options: { formatted: boolean; final?: boolean },
  ): Promise<void>;
}

/** What a failed platform call means for the renderer. */
export type ReplyFailure =
  | { kind: "not_modified" }
  | { kind: "flood"; retryAfterSeconds: number }
  | { kind: "parse" }
  | { kind: "other"; message: string };

/** A platform's text handling. */
export interface ReplyFormat {
  /** The name in log lines. */
  label: string;
  /** The most text one message holds, in UTF-16 code units. */
  limit: number;
  /** Markdown to the platform's markup. */
  format(markdown: string): string;
  /** Splits a finished reply into messages of at most `limit`. */
  split(text: string, limit: number): string[];
  /** Reads a failed call. */
  classify(error: unknown): ReplyFailure;
  /** The cursor; "" where the platform shows its own (Slack's streaming messages). */
  cursor?: string;
}

/** How a StreamEditor behaves. */
export interface ReplyEditorOptions {
  api: ReplySurface;
  format: ReplyFormat;
  /** Show the reply while it is written; otherwise send it whole at the end. */
  streaming: boolean;
  editIntervalMs: number;
  /** Tokens (text deltas) to collect before the first preview appears. */
  minTokens: number;
  replyToMode: ReplyToMode;
  /** The user's message the reply answers. */
  replyToMessageId?: MessageId;
  clock?: Clock;
  log?: (line: string) => void;
}

/**
 * Renders one turn's text into a platform's messages.
 *
 * @example
 * ```ts
 * const editor = new ReplyEditor({ api, format, streaming: true, editIntervalMs: 1500,
 *   minTokens: 20, replyToMode: "first", replyToMessageId: 7 });
 * editor.append("Hello");
 * await editor.finish();
 * ```
 */
export class ReplyEditor {
  #o: ReplyEditorOptions & { clock: Clock };
  #f: ReplyFormat;
  #cursor: string;
  #text = "";
  #tokens = 0;
  #messageId: MessageId | undefined;
  /** The plain text the preview shows now, without the cursor. */
  #shown = "";
  #interval: number;
  #pacer: Pacer;
  #strikes = 0;
  #frozen = false;
  #sent = 0;
  #delivered = false;
  /** Set while a segment is being finalized: no preview update may land after the final. */
  #finalizing = false;

  constructor(options: ReplyEditorOptions) {
    this.#o = { clock: systemClock, ...options };
    this.#f = options.format;
    this.#cursor = options.format.cursor ?? CURSOR;
    this.#interval = options.editIntervalMs;
    this.#pacer = new Pacer(this.#o.clock, () => this.#flush(), () => this.#previewDue());
  }

  /** Adds a piece of the model's text. */
  append(delta: string): void {
    this.#text += delta;
    this.#tokens++;
    this.#pacer.schedule();
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

  #replyTo(): MessageId | undefined {
    const index = this.#sent++;
    const mode = this.#o.replyToMode;
    if (mode === "off" || (mode === "first" && index > 0)) return undefined;
    return this.#o.replyToMessageId;
  }

  /**
   * The preview: the text so far, or, once it is longer than one message, the part the final
   * split will put in the first message. A preview that only grows (Slack's message streams)
   * cannot take back text the final moves to the next message.
   */
  #preview(): string {
    const text = this.#text.trimEnd();
    const max = this.#f.limit - this.#cursor.length - 1;
    if (text.length <= max) return text;
    return truncateUtf16(this.#f.split(text, max)[0] ?? "", max);
  }

  /** Whether the preview has something new to show, and may show it. */
  #previewDue(): boolean {
    if (!this.#o.streaming || this.#frozen || this.#finalizing) return false;
    if (this.#messageId === undefined) {
      const estimate = Math.max(this.#tokens, Math.ceil(this.#text.length / 4));
      if (estimate < this.#o.minTokens || this.#text.trim().length < 4) return false;
    }
    return this.#preview() !== this.#shown;
  }

  async #flush(): Promise<void> {
    const preview = this.#preview();
    if (preview === this.#shown || this.#frozen || this.#finalizing) return;
    const { api } = this.#o;
    try {
      if (this.#messageId === undefined) {
        this.#messageId = await api.send(preview + this.#cursor, {
          formatted: false,
          replyTo: this.#replyTo(),
          preview: true,
        });
        this.#delivered = true;
      } else {
        await api.edit(this.#messageId, preview + this.#cursor, { formatted: false });
      }
      this.#shown = preview;
      this.#strikes = 0;
      this.#pacer.spaceBy(this.#interval);
    } catch (error) {
      const failure = this.#f.classify(error);
      if (failure.kind === "not_modified") {
        this.#shown = preview;
        this.#pacer.spaceBy(this.#interval);
        return;
      }
      this.#strikes++;
      if (failure.kind === "flood") {
        this.#interval = Math.min(this.#interval * 2, MAX_EDIT_INTERVAL_MS);
        const wait = Math.max(this.#interval, failure.retryAfterSeconds * 1000);
        this.#pacer.spaceBy(wait);
      } else {
        this.#pacer.spaceBy(this.#interval);
        this.#o.log?.(`${this.#f.label}: a preview update failed: ${describeError(error)}`);
      }
      if (this.#strikes >= MAX_STRIKES) this.#frozen = true;
    }
  }

  async #finalizeSegment(rawText: string): Promise<void> {
    this.#finalizing = true;
    await this.#pacer.stop();
    const text = rawText.trim();
    const chunks = this.#f.split(text, this.#f.limit);
    if (this.#messageId === undefined) {
      await this.#sendChunks(chunks);
      return;
    }
    if (!this.#frozen) {
      await this.#pacer.waitTurn();
      if (await this.#finalEdit(this.#messageId, chunks[0] ?? this.#shown)) {
        await this.#sendChunks(chunks.slice(1));
        return;
      }
    }
    // The preview stays as it is; send only what it does not show yet.
    const tail = text.startsWith(this.#shown) ? text.slice(this.#shown.length) : text;
    await this.#sendChunks(this.#f.split(tail.trim(), this.#f.limit));
  }

  /** Edits the preview into its final, formatted form. Returns whether the edit landed. */
  async #finalEdit(messageId: MessageId, markdown: string): Promise<boolean> {
    const { api } = this.#o;
    let formatted = true;
    let waited = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const text = formatted ? this.#f.format(markdown) : markdown;
        await api.edit(messageId, text, { formatted, final: true });
        this.#pacer.spaceBy(this.#interval);
        return true;
      } catch (error) {
        const failure = this.#f.classify(error);
        if (failure.kind === "not_modified") return true;
        if (failure.kind === "parse" && formatted) {
          formatted = false;
          continue;
        }
        if (
          failure.kind === "flood" && !waited && failure.retryAfterSeconds <= FINAL_EDIT_MAX_WAIT_S
        ) {
          waited = true;
          await this.#o.clock.sleep(failure.retryAfterSeconds * 1000);
          continue;
        }
        this.#o.log?.(
          `${this.#f.label}: the final edit failed, sending the rest: ${describeError(error)}`,
        );
        return false;
      }
    }
    return false;
  }

  /** Sends chunks as new messages: formatted first, plain text when the platform rejects it. */
  async #sendChunks(chunks: string[]): Promise<void> {
    for (const chunk of chunks) {
      const replyTo = this.#replyTo();
      try {
        // Every message call of a reply is spaced by the interval, new messages included.
        if (this.#o.streaming) {
          await this.#pacer.waitTurn();
        }
        await this.#sendFormatted(chunk, replyTo);
        this.#pacer.spaceBy(this.#interval);
        this.#delivered = true;
      } catch (error) {
        // Later chunks would read out of order; stop here and say so in the log.
        this.#o.log?.(
          `${this.#f.label}: a reply message could not be sent: ${describeError(error)}`,
        );
        return;
      }
    }
  }

  async #sendFormatted(markdown: string, replyTo: MessageId | undefined): Promise<MessageId> {
    try {
      return await this.#o.api.send(this.#f.format(markdown), { formatted: true, replyTo });
    } catch (error) {
      if (this.#f.classify(error).kind !== "parse") throw error;
      return await this.#o.api.send(markdown, { formatted: false, replyTo });
    }
  }
}

/**
 * Cuts `text` to at most `max` UTF-16 code units without splitting a surrogate pair.
 */
export function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end);
}
