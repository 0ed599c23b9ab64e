/**
 * Approvals over HTTP. An HTTP turn cannot wait for a person, so every question is deferred: the
 * turn ends with the call pending, the pending approval is stored (with the turn's messages, so a
 * client may send nothing but the answer), and a later request answers it — as an
 * `mcp_approval_response` item (Responses clients that declared Herald's `mcp` tool), or as a
 * user message `approve mcpr_…` / `deny mcpr_… <reason>` (Chat Completions, and every other
 * client, which get the question as readable text).
 * @module
 */
import {
  type AgentEvent,
  type ApprovalDecision,
  type ApprovalMode,
  type ApprovalRequest,
  type ChatMessage,
  failedResult,
  textOf,
  type TurnApprovals,
  type TurnResult,
  type TurnRunner,
} from "../agent/mod.ts";
import { InvalidRequestError, NotFoundError } from "./errors.ts";
import type { ApprovalStore, StoredApproval } from "../store/mod.ts";
import { bearerToken } from "./auth.ts";
import type { RequestContext } from "./router.ts";
import { sha256Hex } from "../lib/mod.ts";

/** What the HTTP endpoints need for approvals. */
export interface HttpApprovals {
  store: ApprovalStore;
  /** `approvals.api_server`. */
  mode: ApprovalMode;
}

/**
 * Who may answer an approval made by this request: a fingerprint of its API key, so one client's
 * pending calls cannot be answered (or even probed) with another client's key.
 */
export async function callerScope(req: Request, ctx?: RequestContext): Promise<string> {
  // The key lookup hashed the same token already (same headers, even on a replacement request).
  const digest = ctx?.tokenDigest ?? await sha256Hex(bearerToken(req) ?? "");
  return `api:${digest.slice(0, 24)}`;
}

/** TurnApprovals for an HTTP turn: the policy decides, every question is deferred. */
export function deferredApprovals(
  mode: ApprovalMode,
  clientRequirement?: TurnApprovals["clientRequirement"],
): TurnApprovals {
  return {
    mode,
    ...(clientRequirement ? { clientRequirement } : {}),
    ask: () => Promise.resolve("defer"),
  };
}

/** Options for {@link recordApprovals}. */
export interface RecordApprovalsOptions {
  store: ApprovalStore;
  scope: string;
  /** Also say it in words: the assistant's text tells the person what to run and how to answer. */
  text: boolean;
  /** Front-door details stored with each approval. */
  meta?: Record<string, unknown>;
}

/**
 * Passes a turn's events through; when the turn ends with calls waiting for approval, stores
 * each one (with the turn's messages) before the final event, and in text mode adds the question
 * as assistant text (a `text_delta`, and in the result's text and messages).
 */
export function recordApprovals(
  events: AsyncIterable<AgentEvent>,
  options: RecordApprovalsOptions,
): AsyncGenerator<AgentEvent, TurnResult> {
  return new ApprovalRecorder(events, options);
}

/**
 * {@link recordApprovals} as an iterator object rather than an async generator: every token of
 * every HTTP turn passes through it, and is handed on as the same result object for the cost of
 * one `then` (an async generator held a suspended frame and a few promises per token while the
 * stream waited). Its consumer awaits each `next()` before the next one (as `for await` does).
 */
class ApprovalRecorder implements AsyncGenerator<AgentEvent, TurnResult> {
  #events: AsyncIterator<AgentEvent>;
  #options: RecordApprovalsOptions;
  #wroteText = false;
  #last?: TurnResult;
  /** Events added after the turn's own (the question and the final that carries it). */
  #queued: AgentEvent[] = [];
  #done = false;

  constructor(events: AsyncIterable<AgentEvent>, options: RecordApprovalsOptions) {
    this.#events = events[Symbol.asyncIterator]();
    this.#options = options;
  }

  next(): Promise<IteratorResult<AgentEvent, TurnResult>> {
    const queued = this.#queued.shift();
    if (queued) return Promise.resolve({ done: false, value: queued });
    if (this.#done) return Promise.resolve(this.#end());
    return this.#events.next().then(this.#step);
  }

  /** Notes whether text was the last thing written (an emitted event is seen only here). */
  observe(event: AgentEvent): void {
    if (event.type === "text_delta") this.#wroteText = true;
    else if (event.type === "tool_started" || event.type === "segment_break") {
      this.#wroteText = false;
    }
  }

  #end(): IteratorResult<AgentEvent, TurnResult> {
    this.#done = true;
    return {
      done: true,
      value: this.#last ??
        failedResult({ message: "The agent ended without a result.", code: "agent_error" }),
    };
  }

  #step = (
    next: IteratorResult<AgentEvent>,
  ): IteratorResult<AgentEvent, TurnResult> | Promise<IteratorResult<AgentEvent, TurnResult>> => {
    if (next.done) return this.#end();
    const event = next.value;
    this.observe(event);
    if (event.type !== "final" || !event.result.pendingApprovals?.length) {
      if (event.type === "final") this.#last = event.result;
      return next as IteratorResult<AgentEvent, TurnResult>;
    }
    return this.#record(event.result, event);
  };

  async #record(
    result: TurnResult,
    event: AgentEvent,
  ): Promise<IteratorResult<AgentEvent, TurnResult>> {
    const options = this.#options;
    const pending = result.pendingApprovals!;
    for (const request of pending) {
      await options.store.create({
        id: request.id,
        platform: "api_server",
        scope: options.scope,
        call: request.call,
        origin: request.origin,
        reason: request.reason,
        ...(options.meta ? { meta: options.meta } : {}),
      }, result.messages);
    }
    if (!options.text) {
      this.#last = result;
      return { done: false, value: event };
    }
    const prompt = approvalPromptText(pending, options.store.timeoutMs / 1000);
    this.#last = {
      ...result,
      text: prompt,
      messages: [...result.messages, { role: "assistant", content: prompt }],
    };
    if (this.#wroteText) this.#queued.push({ type: "segment_break" });
    this.#queued.push({ type: "text_delta", delta: prompt }, { type: "final", result: this.#last });
    return { done: false, value: this.#queued.shift()! };
  }

  async return(
    value?: TurnResult | PromiseLike<TurnResult>,
  ): Promise<IteratorResult<AgentEvent, TurnResult>> {
    // As a `for await` stopped early: the turn's own events are closed too.
    const wasDone = this.#done;
    this.#done = true;
    this.#queued = [];
    if (!wasDone) await this.#events.return?.();
    return { done: true, value: await value as TurnResult };
  }

  async throw(error: unknown): Promise<IteratorResult<AgentEvent, TurnResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/**
 * A runner whose turns ask through `approvals` and whose pending approvals are stored (and, in
 * text mode, asked in words) by {@link recordApprovals}: the seam where HTTP front doors add
 * approvals without touching how they drive a turn.
 */
export function approvingRunner(
  runner: TurnRunner,
  approvals: TurnApprovals,
  record: RecordApprovalsOptions,
): TurnRunner {
  return {
    run: (turn, options = {}) => {
      const emit = options.emit;
      // What the turn emits passes the recorder's eye too, then goes on as it is.
      const recorder: ApprovalRecorder = new ApprovalRecorder(
        runner.run(turn, {
          ...options,
          approvals,
          ...(emit && {
            emit: (event: AgentEvent) => {
              recorder.observe(event);
              emit(event);
            },
          }),
        }),
        record,
      );
      return recorder;
    },
  };
}

/** The readable question for pending approvals, with how to answer each. */
export function approvalPromptText(pending: ApprovalRequest[], timeoutSeconds: number): string {
  const minutes = Math.max(1, Math.round(timeoutSeconds / 60));
  const lines = pending.map((p) => {
    const args = describeArguments(p.call.function.arguments);
    return `**Approval needed** — Herald wants to run \`${p.call.function.name}\`${
      args ? `: \`${args}\`` : ""
    } (${p.reason}).\nReply \`approve ${p.id}\` to run it, or \`deny ${p.id}\` followed by a ` +
      "reason to refuse.";
  });
  return `${lines.join("\n\n")}\n\nThis request expires in ${minutes} minute${
    minutes === 1 ? "" : "s"
  }; until it is answered, nothing was run.`;
}

/** The command, for the terminal; otherwise the JSON arguments, shortened. */
function describeArguments(raw: string): string {
  let text = raw;
  try {
    const args = JSON.parse(raw);
    if (args && typeof args === "object" && typeof args.command === "string") text = args.command;
    else if (args && typeof args === "object" && typeof args.path === "string") text = args.path;
  } catch {
    // Shown as sent.
  }
  text = text.replaceAll("`", "'").replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

const COMMAND =
  /^\s*(approve|allow|yes|deny|reject|no)\b[\s:,.!-]*(mcpr_[0-9a-f]{32})?[\s:,.!-]*([\s\S]*)$/i;
const ID = /mcpr_[0-9a-f]{32}/g;

/** A user message read as an answer: `approve mcpr_…`, `deny mcpr_… reason`, or a bare yes/no. */
export function parseApprovalCommand(
  text: string,
): { id: string | null; approved: boolean; reason?: string } | null {
  const match = COMMAND.exec(text);
  if (!match) return null;
  const approved = /^(approve|allow|yes)$/i.test(match[1]);
  const reason = match[3].trim();
  // "yes but first show me the file" is a sentence, not an approval: only a denial (the safe
  // reading) may carry words after it without naming the approval.
  if (!match[2] && reason && approved) return null;
  return { id: match[2] ?? null, approved, ...(reason && !approved ? { reason } : {}) };
}

/**
 * Takes one answer: checks the approval exists for this caller, is pending and not expired, and
 * records the answer. Throws the HTTP error a client can act on.
 *
 * @throws NotFoundError 404 `approval_not_found`; InvalidRequestError 400 `approval_expired` or
 *   `approval_already_answered`.
 */
export async function takeAnswer(
  store: ApprovalStore,
  id: string,
  scope: string,
  decision: ApprovalDecision,
  param: string,
): Promise<StoredApproval> {
  const outcome = await store.answer(id, scope, decision);
  if (outcome.ok) return outcome.approval;
  if (outcome.refusal === "unknown") {
    throw new NotFoundError(`No pending approval with id '${id}'.`, {
      code: "approval_not_found",
      param,
    });
  }
  if (outcome.refusal === "expired") {
    throw new InvalidRequestError(
      `Approval '${id}' expired (approvals wait ${
        Math.round(store.timeoutMs / 1000)
      } s); the call was not run. Ask again.`,
      { code: "approval_expired", param },
    );
  }
  throw new InvalidRequestError(
    `Approval '${id}' was already answered (${
      outcome.approval!.state
    }); an approval is answered once.`,
    { code: "approval_already_answered", param },
  );
}

/** Decisions for the agent, under every id the waiting call may have in the history. */
export function decisionsFor(
  approval: StoredApproval,
  decision: ApprovalDecision,
): Record<string, ApprovalDecision> {
  const filed = { ...decision, approvalId: approval.id };
  return { [approval.id]: filed, [approval.call.id]: filed };
}

/**
 * Chat-style continuation: when the last message is the person's answer to an approval question,
 * answers it and returns the messages to run (the question and the answer replaced by the paused
 * turn's messages) and the decision. Null when the last message is not an answer.
 */
export async function textContinuation(
  messages: ChatMessage[],
  store: ApprovalStore,
  scope: string,
): Promise<{ messages: ChatMessage[]; decisions: Record<string, ApprovalDecision> } | null> {
  const last = messages.at(-1);
  if (last?.role !== "user") return null;
  const command = parseApprovalCommand(textOf(last.content));
  if (!command) return null;
  // The question the person answers: the last assistant message, naming the approval.
  let questionAt = -1;
  for (let i = messages.length - 2; i >= 0; i--) {
    if (messages[i].role === "assistant") {
      questionAt = i;
      break;
    }
  }
  const question = questionAt >= 0 ? textOf(messages[questionAt].content as string) : "";
  const asked = [...question.matchAll(ID)].map((m) => m[0]);
  let id = command.id;
  if (!id) {
    // A bare yes/no answers the one question just asked; otherwise it is an ordinary message.
    if (new Set(asked).size !== 1) return null;
    id = asked[0];
  }
  const decision: ApprovalDecision = {
    approved: command.approved,
    ...(command.reason ? { reason: command.reason } : {}),
  };
  const approval = await takeAnswer(store, id, scope, decision, "messages");
  const paused = await store.turn<ChatMessage[]>(id) ?? [];
  const before = asked.includes(id) ? messages.slice(0, questionAt) : messages.slice(0, -1);
  return { messages: [...before, ...paused], decisions: decisionsFor(approval, decision) };
}
