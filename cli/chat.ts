/**
 * `herald chat`: a terminal conversation with the agent, kept in memory across turns, or one
 * question with `-q`. Ctrl-C (or /stop) stops the running answer and keeps the chat; at an empty
 * prompt a second Ctrl-C, Ctrl-D or /exit leaves.
 * @module
 */
import { join } from "node:path";
import {
  type ApprovalDecision,
  type ApprovalRequest,
  type ChatMessage,
  type TurnApprovals,
  turnEvents,
  type TurnResult,
  type TurnRunner,
} from "../agent/mod.ts";
import type { ResolvedConfig } from "../config/mod.ts";
import { listenForSignals } from "../server/mod.ts";
import { type ChatInput, streamInput, terminalInput } from "./chat_input.ts";
import { describeToolCall, renderChatStream } from "./chat_renderer.ts";
import { type CliIo, styler } from "./io.ts";
import { describeError } from "../lib/mod.ts";

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
  /**
   * Registers a handler for SIGINT and returns its removal. Default: SIGINT, with the copy a
   * launcher forwards within the same instant dropped (server/signals.ts).
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process on a Ctrl-C signal while no answer runs. Default: `Deno.exit`. */
  exit?: (code: number) => void;
  /** Where typed input comes from. Default: the terminal when interactive, else stdin's lines. */
  input?: ChatInput;
}

/** The name of the history file in $HERALD_HOME. */
export const CHAT_HISTORY_FILE = "chat_history";

const HELP = [
  "/new      start a new conversation",
  "/stop     stop the running answer (or Ctrl-C)",
  "/model    show the model; /model NAME switches to another one",
  "/exit     leave (or Ctrl-D)",
  "A line ending in \\ continues on the next line. ↑/↓ recall earlier inputs.",
].join("\n");

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
    io.stderr.write(`Cannot start the agent: ${describeError(error)}\n`);
    return 1;
  }
  const onInterrupt = options.onInterrupt ?? listenForSigint;
  const exit = options.exit ?? ((code: number) => Deno.exit(code));
  const session = new ChatSession(runtime, io, crypto.randomUUID());
  session.approvalMode = resolved.config.approvals.cli;
  const removeListener = onInterrupt(() => {
    if (!session.interrupt()) {
      io.stdout.write("\n");
      exit(130);
    }
  });
  try {
    return options.query !== undefined
      ? await askOnce(session, options.query)
      : await converse(session, resolved, io, options);
  } finally {
    removeListener();
    await session.runtime.close();
  }
}

// Holds the conversation and the running turn.
class ChatSession {
  readonly messages: ChatMessage[] = [];
  runtime: ChatRuntime;
  /** `approvals.cli`. */
  approvalMode: TurnApprovals["mode"] = "never";
  /** Asks the person a question; absent when there is no one to ask (-q, piped input). */
  ask?: (question: string, signal: AbortSignal) => Promise<string>;
  /** Tools the person allowed for the rest of this conversation ("always"). */
  readonly granted = new Set<string>();
  #controller: AbortController | undefined;
  #io: CliIo;
  #sessionKey: string;

  constructor(runtime: ChatRuntime, io: CliIo, id: string) {
    this.runtime = runtime;
    this.#io = io;
    this.#sessionKey = `cli:${id}`;
  }

  /** Whether an answer is running. */
  get running(): boolean {
    return this.#controller !== undefined;
  }

  /** Stops the running turn; false when there is none (or it is already stopping). */
  interrupt(): boolean {
    if (!this.#controller || this.#controller.signal.aborted) return false;
    this.#controller.abort();
    this.#io.stderr.write(styler(this.#io.color).dim("\n(stopping the answer)") + "\n");
    return true;
  }

  async turn(text: string, answerOnStdout: boolean): Promise<TurnResult | undefined> {
    this.messages.push({ role: "user", content: text });
    this.#controller = new AbortController();
    try {
      const events = turnEvents(
        this.runtime.agent,
        { messages: [...this.messages], platform: "cli", sessionKey: this.#sessionKey },
        { signal: this.#controller.signal, approvals: this.#approvals() },
      );
      const result = await renderChatStream(events, this.#io.stdout, {
        color: this.#io.color,
        // With -q the answer alone goes to stdout, so it can be piped.
        progress: answerOnStdout ? this.#io.stderr : this.#io.stdout,
        markdown: !answerOnStdout,
        columns: terminalColumns,
      });
      if (!result || result.status === "failed") this.messages.pop();
      else this.messages.push(...result.messages);
      return result;
    } catch (error) {
      this.messages.pop();
      this.#io.stderr.write(`✗ ${describeError(error)}\n`);
      return undefined;
    } finally {
      this.#controller = undefined;
    }
  }

  reset(): void {
    this.messages.length = 0;
    this.granted.clear();
  }

  #approvals(): TurnApprovals {
    return {
      mode: this.approvalMode,
      isGranted: (name) => this.granted.has(name),
      ask: (request, signal) => this.#askApproval(request, signal),
    };
  }

  // A y/n/always prompt; "always" allows the tool for the rest of this conversation.
  async #askApproval(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
    if (!this.ask) {
      return {
        approved: false,
        reason: "herald chat cannot ask for approval without a terminal (with -q or piped " +
          "input); run herald chat in a terminal, or set approvals.cli",
      };
    }
    const style = styler(this.#io.color);
    const question = style.bold(`⚠ ${describeToolCall(request.call)}`) +
      style.dim(` — ${request.reason}`) + "\n  Run it? [y]es, [n]o, [a]lways in this chat: ";
    while (!signal.aborted) {
      const answer = (await this.ask(question, signal)).trim().toLowerCase();
      if (signal.aborted || answer === "") break;
      if (answer === "y" || answer === "yes") return { approved: true };
      if (answer === "a" || answer === "always") {
        this.granted.add(request.call.function.name);
        return { approved: true, always: true };
      }
      if (answer === "n" || answer === "no") {
        return { approved: false, reason: "denied by the user" };
      }
    }
    return { approved: false, reason: "not answered" };
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
  options: ChatOptions,
): Promise<number> {
  const style = styler(io.color);
  let model = resolved.config.model.name;
  io.stdout.write(
    style.dim(
      `herald chat · ${model} at ${resolved.baseUrl}\n` +
        "/help lists the commands; Ctrl-C stops an answer, Ctrl-D leaves.\n",
    ),
  );
  const input = options.input ??
    (io.interactive
      ? terminalInput({ historyPath: join(resolved.home, CHAT_HISTORY_FILE), prompt: "› " })
      : streamInput(io.stdin));
  // Approvals are asked at the terminal; piped input has no one to answer.
  if (options.input || io.interactive) {
    session.ask = (question, signal) => input.ask(question, signal);
  }
  // A Ctrl-C at an empty prompt arms leaving; the next one leaves.
  let leaveArmed = false;
  input.onInterrupt = () => {
    if (session.interrupt()) return;
    if (input.hasPartialLine()) {
      leaveArmed = false;
      input.clearLine();
    } else if (leaveArmed) {
      io.stdout.write("\n");
      input.close();
    } else {
      leaveArmed = true;
      io.stdout.write(style.dim("\n(press Ctrl-C again or Ctrl-D to leave)") + "\n");
      input.prompt();
    }
  };
  input.onEarlyInput = (text) => {
    leaveArmed = false;
    if (text !== "/stop") return false;
    if (!session.interrupt()) {
      io.stdout.write(style.dim("(no answer is running)") + "\n");
      input.prompt();
    }
    return true;
  };
  input.prompt();
  try {
    for await (const raw of input.inputs()) {
      const text = raw.trim();
      const [command, ...rest] = text.split(/\s+/);
      if (command === "/exit" || command === "/quit") return 0;
      if (command === "/new") {
        session.reset();
        io.stdout.write(style.dim("Started a new conversation.") + "\n");
      } else if (command === "/help") {
        io.stdout.write(HELP + "\n");
      } else if (command === "/model") {
        model = await switchModel(session, resolved, io, options, model, rest.join(" "));
      } else if (text.startsWith("/")) {
        io.stdout.write(`Unknown command ${command}. Try /help.\n`);
      } else if (text !== "") {
        await session.turn(raw.replace(/^\s+|\s+$/g, ""), false);
      }
      input.prompt();
    }
    io.stdout.write("\n");
    return 0;
  } finally {
    input.close();
  }
}

// `/model` prints the model; `/model NAME` reopens the agent on another one, keeping the
// conversation.
async function switchModel(
  session: ChatSession,
  resolved: ResolvedConfig,
  io: CliIo,
  options: ChatOptions,
  current: string,
  wanted: string,
): Promise<string> {
  if (wanted === "") {
    io.stdout.write(`Model: ${current} at ${resolved.baseUrl}\n`);
    return current;
  }
  const config = { ...resolved.config, model: { ...resolved.config.model, name: wanted } };
  try {
    await session.runtime.close();
    session.runtime = await options.openRuntime({ ...resolved, config });
    io.stdout.write(styler(io.color).dim(`Now using ${wanted}.`) + "\n");
    return wanted;
  } catch (error) {
    io.stderr.write(`✗ Cannot switch to ${wanted}: ${describeError(error)}\n`);
    session.runtime = await options.openRuntime({
      ...resolved,
      config: { ...resolved.config, model: { ...resolved.config.model, name: current } },
    });
    return current;
  }
}

function listenForSigint(handler: () => void): () => void {
  return listenForSignals(handler, { signals: ["SIGINT"] });
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}
