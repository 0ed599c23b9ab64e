/**
 * A small separate message naming the tools a turn runs, edited at most every 1.5 s so a burst
 * of tool calls costs one message and a few edits, not one message per call.
 * @module
 */
import { classifyApiError } from "./api_errors.ts";
import { type ChatApi, type Clock, systemClock, type TimerId } from "./stream_editor.ts";

/** The least time between two edits of the progress message. */
export const TOOL_PROGRESS_INTERVAL_MS = 1500;

/** Options of a ToolProgress message. */
export interface ToolProgressOptions {
  api: ChatApi;
  /** `new`: a line when the tool changes; `all`: a line per call. */
  mode: "new" | "all";
  intervalMs?: number;
  clock?: Clock;
}

/**
 * The tool progress message of one turn.
 *
 * @example
 * ```ts
 * const progress = new ToolProgress({ api, mode: "new" });
 * progress.add("terminal");
 * await progress.close();
 * ```
 */
export class ToolProgress {
  #o: Required<ToolProgressOptions>;
  #lines: string[] = [];
  #lastTool: string | undefined;
  #messageId: number | undefined;
  #shown = "";
  #nextAt = 0;
  #timer: TimerId | undefined;
  #inflight: Promise<void> | undefined;

  constructor(options: ToolProgressOptions) {
    this.#o = { intervalMs: TOOL_PROGRESS_INTERVAL_MS, clock: systemClock, ...options };
  }

  /** Records that a tool started. */
  add(toolName: string): void {
    if (this.#o.mode === "new" && toolName === this.#lastTool) return;
    this.#lastTool = toolName;
    this.#lines.push(`⚙️ ${toolName}`);
    this.#schedule();
  }

  /** Shows the last state and stops updating. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inflight;
    if (this.#text() === this.#shown) return;
    await this.#o.clock.sleep(Math.max(0, this.#nextAt - this.#o.clock.now()));
    await this.#flush();
  }

  #text(): string {
    return this.#lines.join("\n");
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#inflight) return;
    if (this.#text() === this.#shown) return;
    const delay = Math.max(0, this.#nextAt - this.#o.clock.now());
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#inflight = this.#flush().finally(() => {
        this.#inflight = undefined;
        this.#schedule();
      });
    }, delay);
  }

  async #flush(): Promise<void> {
    const text = this.#text();
    if (text === "" || text === this.#shown) return;
    try {
      if (this.#messageId === undefined) {
        this.#messageId = await this.#o.api.send(text, { html: false, silent: true });
      } else {
        await this.#o.api.edit(this.#messageId, text, { html: false });
      }
      this.#shown = text;
      this.#nextAt = this.#o.clock.now() + this.#o.intervalMs;
    } catch (error) {
      const failure = classifyApiError(error);
      if (failure.kind === "not_modified") this.#shown = text;
      // Progress is decoration: a failure only delays the next try.
      const wait = failure.kind === "flood" ? failure.retryAfterSeconds * 1000 : 0;
      this.#nextAt = this.#o.clock.now() + Math.max(this.#o.intervalMs, wait);
    }
  }
}
