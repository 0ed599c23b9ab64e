/**
 * The tool progress message, the same on every platform: one small separate message naming the
 * tools a turn runs, sent without a notification and edited at most once per interval, so a burst
 * of tool calls costs one message and a few edits, not one message per call. It speaks the shared
 * ReplySurface; a platform's rate-limit answers (Telegram and Discord `retry_after`, Slack
 * `Retry-After`) are read by its ReplyFormat's `classify` and push the next edit back.
 * @module
 */
import { describeError } from "../lib/mod.ts";
import { type Clock, Pacer, systemClock } from "./pacer.ts";
import type { MessageId, ReplyFormat, ReplySurface } from "./stream_editor.ts";

/** Which tool starts get a line: `new` when the tool differs from the last one, `all` every call. */
export type ToolProgressMode = "new" | "all";

/** The most tool lines a progress message shows; older ones are counted in a first line. */
export const TOOL_PROGRESS_MAX_LINES = 10;
/** After a refused last update, a wait up to this long is waited out and the update tried again. */
const CLOSE_MAX_WAIT_MS = 5000;
/** A tool name longer than this is cut, so a line stays a line. */
const MAX_NAME_LENGTH = 100;

/** Options of a ToolProgress message. */
export interface ToolProgressOptions {
  api: ReplySurface;
  /** The platform's text handling: its label and how its errors read. */
  format: Pick<ReplyFormat, "label" | "classify">;
  mode: ToolProgressMode;
  /** The least time between two message calls (the streaming edit interval). */
  intervalMs: number;
  clock?: Clock;
  log?: (line: string) => void;
}

/**
 * The tool progress message of one turn.
 *
 * @example
 * ```ts
 * const progress = new ToolProgress({ api, format, mode: "new", intervalMs: 1500 });
 * progress.add("terminal");
 * await progress.close();
 * ```
 */
export class ToolProgress {
  #o: ToolProgressOptions & { clock: Clock };
  #names: string[] = [];
  #messageId: MessageId | undefined;
  #shown = "";
  #pacer: Pacer;
  #closed = false;

  constructor(options: ToolProgressOptions) {
    this.#o = { clock: systemClock, ...options };
    this.#pacer = new Pacer(this.#o.clock, () => this.#flush(), () => this.#due());
  }

  /**
   * Records that a tool started. When this makes the message appear, resolves once it was sent
   * (or its send failed): what the reply sends next then comes below it, not before it. Later
   * changes are edits, which move nothing, and resolve at once.
   */
  add(toolName: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#o.mode === "new" && toolName === this.#names.at(-1)) return Promise.resolve();
    this.#names.push(toolName);
    this.#pacer.schedule();
    return this.#messageId === undefined ? this.#pacer.ran() : Promise.resolve();
  }

  /** Shows the last state and stops updating; later calls do nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pacer.stop();
    // The last state gets a second try after a short rate-limit wait; a long one is not worth
    // holding the reply back for.
    for (let attempt = 0; attempt < 2 && this.text() !== this.#shown; attempt++) {
      if (this.#pacer.waitMs() > Math.max(CLOSE_MAX_WAIT_MS, this.#o.intervalMs)) return;
      await this.#pacer.waitTurn();
      await this.#flush();
    }
  }

  /** The message's text now: the last tool lines, and how many earlier ones are not shown. */
  text(): string {
    const shown = this.#names.slice(-TOOL_PROGRESS_MAX_LINES);
    const hidden = this.#names.length - shown.length;
    const lines = shown.map((name) =>
      `⚙️ ${name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name}`
    );
    if (hidden > 0) lines.unshift(`… ${hidden} earlier`);
    return lines.join("\n");
  }

  #due(): boolean {
    return !this.#closed && this.text() !== this.#shown;
  }

  async #flush(): Promise<void> {
    const text = this.text();
    if (text === "" || text === this.#shown) return;
    const { api, format } = this.#o;
    try {
      if (this.#messageId === undefined) {
        this.#messageId = await api.send(text, { formatted: false, silent: true });
      } else {
        await api.edit(this.#messageId, text, { formatted: false });
      }
      this.#shown = text;
      this.#pacer.spaceBy(this.#o.intervalMs);
    } catch (error) {
      const failure = format.classify(error);
      if (failure.kind === "not_modified") this.#shown = text;
      else if (failure.kind !== "flood") {
        this.#o.log?.(`${format.label}: the tool progress message failed: ${describeError(error)}`);
      }
      // Progress is decoration: a failure only delays the next try, by the platform's wait if any.
      const wait = failure.kind === "flood" ? failure.retryAfterSeconds * 1000 : 0;
      this.#pacer.spaceBy(Math.max(this.#o.intervalMs, wait));
    }
  }
}
