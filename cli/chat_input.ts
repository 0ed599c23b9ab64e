/**
 * Where `herald chat` gets what the user types. On a terminal: node:readline in raw mode, with
 * line editing, history recalled with the arrow keys and kept in `$HERALD_HOME/chat_history`
 * (owner-only), multi-line input (a line ending in `\` continues), and Ctrl-C read as a key, so
 * no launcher can double it. Otherwise: plain lines from stdin.
 * @module
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import * as readline from "node:readline";

/** One input source for the chat. */
export interface ChatInput {
  /** Complete inputs (continued lines joined), in order; ends at Ctrl-D or end of input. */
  inputs(): AsyncIterable<string>;
  /** Shows the prompt (a no-op without a terminal). */
  prompt(): void;
  /**
   * Called with every input as soon as it is typed, even while a turn runs; return true to
   * consume it (e.g. `/stop`) so it is not queued.
   */
  onEarlyInput?: (text: string) => boolean;
  /** Called on a Ctrl-C keypress (terminal only; signals are handled by the chat). */
  onInterrupt?: () => void;
  /** Whether a partial line is being typed (so Ctrl-C clears it instead of leaving). */
  hasPartialLine(): boolean;
  /** Drops the partial line and shows a fresh prompt. */
  clearLine(): void;
  /** Asks one question and resolves with the answer ("" when `signal` aborts first). */
  ask(question: string, signal?: AbortSignal): Promise<string>;
  /** Stops reading; restores the terminal. */
  close(): void;
}

/** How many history entries are kept. */
export const HISTORY_SIZE = 1000;

/** Reads the saved history, newest first (readline's order); empty when there is none. */
export function loadHistory(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((line) => line.trim() !== "").slice(-HISTORY_SIZE).reverse();
}

/** Writes the history (given newest first) oldest first, readable by the owner only. */
export function saveHistory(path: string, history: readonly string[]): void {
  const lines = history.slice(0, HISTORY_SIZE).toReversed();
  writeFileSync(path, lines.join("\n") + (lines.length ? "\n" : ""), { mode: 0o600 });
  // `mode` applies only when the file is created; an older file keeps whatever it had.
  try {
    chmodSync(path, 0o600);
  } catch { /* Windows */ }
}

/** A simple async queue of inputs with an end. */
class InputQueue {
  #items: string[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(text: string): void {
    this.#items.push(text);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *drain(): AsyncGenerator<string> {
    while (true) {
      const next = this.#items.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = undefined;
    }
  }
}

/** Options for {@link terminalInput}. */
export interface TerminalInputOptions {
  /** The history file; none when absent. */
  historyPath?: string;
  /** The prompt; default `› `. */
  prompt?: string;
  /** The continuation prompt for multi-line input; default `… `. */
  continuation?: string;
}

/** Reads from the process's terminal with line editing and history. */
export function terminalInput(options: TerminalInputOptions = {}): ChatInput {
  const prompt = options.prompt ?? "› ";
  const continuation = options.continuation ?? "… ";
  const history = options.historyPath ? loadHistory(options.historyPath) : [];
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history,
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    prompt,
  });
  const queue = new InputQueue();
  let pending: string[] = [];
  const input: ChatInput = {
    inputs: () => queue.drain(),
    prompt: () => rl.prompt(true),
    hasPartialLine: () => rl.line !== "" || pending.length > 0,
    clearLine() {
      pending = [];
      rl.setPrompt(prompt);
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      process.stdout.write("\n");
      rl.prompt();
    },
    ask: (question, signal) =>
      new Promise((resolve) => {
        if (signal?.aborted) return resolve("");
        const onAbort = () => {
          // Drop the pending question: clear the line and answer it empty.
          rl.write(null, { ctrl: true, name: "u" });
          rl.write("\n");
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        rl.question(question, (answer) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(signal?.aborted ? "" : answer);
        });
      }),
    close() {
      rl.close();
    },
  };
  rl.on("history", (entries: string[]) => {
    if (!options.historyPath) return;
    try {
      saveHistory(options.historyPath, entries);
    } catch { /* a read-only home must not break the chat */ }
  });
  rl.on("line", (line: string) => {
    if (line.endsWith("\\")) {
      pending.push(line.slice(0, -1));
      rl.setPrompt(continuation);
      rl.prompt();
      return;
    }
    const text = [...pending, line].join("\n");
    pending = [];
    rl.setPrompt(prompt);
    if (input.onEarlyInput?.(text.trim())) return;
    queue.push(text);
  });
  rl.on("SIGINT", () => input.onInterrupt?.());
  rl.on("close", () => queue.end());
  return input;
}

/** Reads plain lines (a pipe, a file, a test's stdin); no prompt, no history. */
export function streamInput(stream: ReadableStream<Uint8Array>): ChatInput {
  const queue = new InputQueue();
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let stopped = false;
  const input: ChatInput = {
    inputs: () => queue.drain(),
    prompt() {},
    hasPartialLine: () => false,
    clearLine() {},
    ask: () => Promise.resolve(""),
    close() {
      stopped = true;
      reader.cancel().catch(() => {});
    },
  };
  (async () => {
    let buffer = "";
    const emit = (line: string) => {
      if (!input.onEarlyInput?.(line.trim())) queue.push(line);
    };
    try {
      while (!stopped) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let newline;
        while ((newline = buffer.indexOf("\n")) !== -1) {
          emit(buffer.slice(0, newline).replace(/\r$/, ""));
          buffer = buffer.slice(newline + 1);
        }
      }
      if (buffer !== "" && !stopped) emit(buffer);
    } catch { /* the stream failed or was cancelled: end of input */ }
    queue.end();
  })();
  return input;
}
