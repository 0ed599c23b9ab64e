/**
 * The `ask` tool Herald offers MCP clients: one agent turn on an optional named conversation,
 * with MCP progress notifications while it runs, stopped by MCP cancellation or by the client
 * leaving.
 * @module
 */
import type {
  AgentEvent,
  AgentTurn,
  ApprovalMode,
  ChatMessage,
  RunOptions,
  TurnApprovals,
  TurnResult,
} from "../../agent/mod.ts";
import type { KeyedQueue, SessionStore } from "../../store/mod.ts";
import type { RunTracker } from "../runs.ts";

/** Something that runs agent turns. */
export interface AskAgent {
  run(turn: AgentTurn, options?: RunOptions): AsyncGenerator<AgentEvent, TurnResult | unknown>;
}

/** What the `ask` tool needs. */
export interface AskDeps {
  agent: AskAgent;
  runs: RunTracker;
  /** Where named conversations are kept. */
  sessions: SessionStore<ChatMessage>;
  /** Serialises turns on the same conversation. */
  queue: KeyedQueue;
  /** Most agent runs at once (`api_server.max_concurrent_runs`). */
  maxRuns: number;
  /** The approval policy of `ask` turns (`approvals.api_server`); default never. */
  approvalMode?: ApprovalMode;
}

/** The `ask` tool's declaration, as `tools/list` shows it. */
export const ASK_TOOL = {
  name: "ask",
  title: "Ask Herald",
  description:
    "Delegate a task to Herald, an agent with a shell, files, the web and memory on the user's " +
    "machine. Give the whole request in `input`; name a `conversation` to continue it later " +
    "with its history (conversations are private to your API key).",
  inputSchema: {
    type: "object",
    properties: {
      input: { type: "string", description: "What to ask or ask for." },
      conversation: {
        type: "string",
        description:
          "A name for the conversation (1-128 letters, digits, `.`, `_`, `-`); its history is kept.",
      },
    },
    required: ["input"],
  },
  annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
} as const;

const CONVERSATION_NAME = /^[\w.-]{1,128}$/;

/** Progress reported while a turn runs. */
export interface AskProgress {
  message: string;
}

/** How one `ask` runs. */
export interface AskOptions {
  /** Keeps each API key's conversations apart. */
  keyTag: string;
  signal: AbortSignal;
  onProgress?: (p: AskProgress) => void;
  /** How the turn asks a person before calls that need approval. */
  approvals?: TurnApprovals;
}

/** The outcome of an `ask`, as MCP tool-result content. */
export interface AskResult {
  content: { type: "text"; text: string }[];
  isError?: boolean;
}

/**
 * Runs one `ask`. `keyTag` keeps each API key's conversations apart.
 *
 * @example
 * ```ts
 * const result = await runAsk(deps, { input: "What is in this folder?" }, {
 *   keyTag, signal, onProgress: ({ message }) => console.log(message),
 * });
 * ```
 */
export async function runAsk(
  deps: AskDeps,
  args: Record<string, unknown>,
  options: AskOptions,
): Promise<AskResult> {
  const input = args.input;
  const conversation = args.conversation;
  if (typeof input !== "string" || input.trim() === "") {
    return failure("`input` must be a non-empty string.");
  }
  if (
    conversation !== undefined && (typeof conversation !== "string" ||
      !CONVERSATION_NAME.test(conversation))
  ) {
    return failure(
      "`conversation` must be 1-128 letters, digits, `.`, `_` or `-`.",
    );
  }
  if (deps.runs.shuttingDown) return failure("Herald is shutting down; ask again later.");
  if (deps.runs.size >= deps.maxRuns) {
    return failure(`Herald is busy (${deps.maxRuns} turns running); ask again shortly.`);
  }
  const sessionId = conversation ? `mcp:${options.keyTag}:${conversation}` : undefined;
  const work = () => runTurn(deps, input, sessionId, options);
  return sessionId ? await deps.queue.run(sessionId, work) : await work();
}

async function runTurn(
  deps: AskDeps,
  input: string,
  sessionId: string | undefined,
  options: AskOptions,
): Promise<AskResult> {
  const run = deps.runs.begin();
  const signal = AbortSignal.any([run.signal, options.signal]);
  try {
    const history = sessionId ? await deps.sessions.load(sessionId) : [];
    const user: ChatMessage = { role: "user", content: input };
    const turn: AgentTurn = {
      platform: "api_server",
      messages: [...history, user],
      ...(sessionId ? { sessionKey: sessionId } : {}),
    };
    let result: TurnResult | undefined;
    let textChars = 0;
    let lastTextNote = 0;
    for await (
      const event of deps.agent.run(turn, {
        signal,
        ...(options.approvals ? { approvals: options.approvals } : {}),
      })
    ) {
      if (event.type === "final") result = event.result;
      else if (event.type === "tool_started") {
        options.onProgress?.({ message: `running ${event.call.function.name}` });
      } else if (event.type === "tool_completed") {
        options.onProgress?.({
          message: `${event.call.function.name} ${event.isError ? "failed" : "done"}`,
        });
      } else if (event.type === "text_delta") {
        textChars += event.delta.length;
        // Writing is progress too, but a note per token would flood the client.
        if (textChars - lastTextNote >= 200 || lastTextNote === 0) {
          lastTextNote = textChars;
          options.onProgress?.({ message: `writing (${textChars} characters)` });
        }
      }
    }
    if (!result) return failure("The turn ended without a result.");
    if (sessionId && (result.messages.length > 0 || result.status !== "failed")) {
      await deps.sessions.append(sessionId, [user, ...result.messages]);
    }
    if (result.status === "failed") {
      return failure(result.error?.message ?? "The agent failed.");
    }
    if (result.status === "interrupted") return failure("The turn was cancelled.");
    const note = result.status === "incomplete"
      ? `\n\n[incomplete: ${result.incompleteReason ?? "stopped early"}]`
      : "";
    return { content: [{ type: "text", text: (result.text || "(no answer)") + note }] };
  } finally {
    run.finish();
  }
}

function failure(text: string): AskResult {
  return { content: [{ type: "text", text }], isError: true };
}
