/**
 * `herald chat`: a terminal conversation with the agent, kept in memory across turns, or one
 * question with `-q`. Ctrl-C stops the running turn; a second Ctrl-C leaves.
 * @module
 */
import { type ChatMessage, turnEvents, type TurnResult, type TurnRunner } from "../agent/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { renderChatStream } from "./chat_renderer.ts";
import { type CliIo, styler } from "./io.ts";

/** The part of the agent runtime the chat needs (see gateway/runtime.ts). */
export interface ChatRuntime {
  agent: TurnRunner;
  close(): Promise<void>;
}

/** What {@link runChat} needs besides the configuration. */
export interface ChatOptions {
  /** Ask this one question and exit. */
  query?: string;
  /** Opens the agent runtime (gateway/runtime.ts `openRuntime`). */
  openRuntime: (resolved: ResolvedConfig) => Promise<ChatRuntime>;
  /** Registers a Ctrl-C handler and returns its removal. Default: SIGINT. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process on a second Ctrl-C. Default: `Deno.exit`. */
  exit?: (code: number) => void;
}

/** Runs `herald chat` and returns the exit code. */
export async function runChat(
  resolved: ResolvedConfig,
  io: CliIo,
  options: ChatOptions,
): Promise<number> {
  let runtime: ChatRuntime;
  try {
    runtime = await options.openRuntime(resolved);
  } catch (error) {
    io.stderr.write(`Cannot start the agent: ${messageOf(error)}\n`);
    return 1;
  }
  const onInterrupt = options.onInterrupt ?? listenForSigint;
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const session = new ChatSession(runtime, io, crypto.randomUUID());
  const removeListener = onInterrupt(() => {
    if (!session.interrupt()) {
      io.stdout.write("\n");
      exit(130);
    }
  });
  try {
    return options.query !== undefined
      ? await askOnce(session, options.query)
      : await converse(session, resolved, io);
  } finally {
    removeListener();
    await runtime.close();
  }
}

// Holds the conversation and the running turn.
class ChatSession {
  readonly messages: ChatMessage[] = [];
  #controller: AbortController | undefined;
  #runtime: ChatRuntime;
  #io: CliIo;
  #sessionKey: string;

  constructor(runtime: ChatRuntime, io: CliIo, id: string) {
    this.#runtime = runtime;
    this.#io = io;
    this.#sessionKey = `cli:${id}`;
  }

  /** Stops the running turn; false when there is none (or it is already stopping). */
  interrupt(): boolean {
    if (!this.#controller || this.#controller.signal.aborted) return false;
    this.#controller.abort();
    this.#io.stderr.write(
      styler(this.#io.color).dim("\n(stopping the turn; press Ctrl-C again to leave)") + "\n",
    );
    return true;
  }

  async turn(text: string, answerOnStdout: boolean): Promise<TurnResult | undefined> {
    this.messages.push({ role: "user", content: text });
    this.#controller = new AbortController();
    try {
      const events = turnEvents(
        this.#runtime.agent,
        { messages: [...this.messages], platform: "cli", sessionKey: this.#sessionKey },
        { signal: this.#controller.signal },
      );
      const result = await renderChatStream(events, this.#io.stdout, {
        color: this.#io.color,
        // With -q the answer alone goes to stdout, so it can be piped.
        progress: answerOnStdout ? this.#io.stderr : this.#io.stdout,
      });
      if (!result || result.status === "failed") this.messages.pop();
      else this.messages.push(...result.messages);
      return result;
    } catch (error) {
      this.messages.pop();
      this.#io.stderr.write(`✗ ${messageOf(error)}\n`);
      return undefined;
    } finally {
      this.#controller = undefined;
    }
  }

  reset(): void {
    this.messages.length = 0;
  }
}

async function askOnce(session: ChatSession, query: string): Promise<number> {
  const result = await session.turn(query, true);
  if (!result || result.status === "failed") return 1;
  return result.status === "interrupted" ? 130 : 0;
}

async function converse(
  session: ChatSession,
  resolved: ResolvedConfig,
  io: CliIo,
): Promise<number> {
  const style = styler(io.color);
  io.stdout.write(
    style.dim(
      `herald chat · ${resolved.config.model.name} at ${resolved.baseUrl}\n` +
        "/new starts a new conversation, /exit leaves, Ctrl-C stops a turn.\n",
    ),
  );
  const prompt = () => io.stdout.write(style.bold("› "));
  prompt();
  for await (const line of readLines(io.stdin)) {
    const text = line.trim();
    if (text === "/exit" || text === "/quit") return 0;
    if (text === "/new") {
      session.reset();
      io.stdout.write(style.dim("Started a new conversation.") + "\n");
    } else if (text === "/help") {
      io.stdout.write("/new starts a new conversation, /exit leaves, Ctrl-C stops a turn.\n");
    } else if (text.startsWith("/")) {
      io.stdout.write(`Unknown command ${text.split(/\s/)[0]}. Try /new, /exit or /help.\n`);
    } else if (text !== "") {
      await session.turn(text, false);
    }
    prompt();
  }
  io.stdout.write("\n");
  return 0;
}

/** Yields the lines of a byte stream (without their line endings). */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

function listenForSigint(handler: () => void): () => void {
  Deno.addSignalListener("SIGINT", handler);
  return () => Deno.removeSignalListener("SIGINT", handler);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
