/**
 * The agent loop: call the LLM, stream its text, run the server tools it calls, feed the results
 * back, and repeat until it answers, calls a client tool, hits the iteration limit, fails, or is
 * aborted. Everything it does is reported as AgentEvents; the last event is always `final`.
 * @module
 */
import type { AgentEvent, AgentTurn, FinishReason, Platform, TurnResult } from "./events.ts";
import { AgentError } from "./errors.ts";
import type { LlmChunk, LlmClient, LlmRequest } from "./llm_client.ts";
import type { AssistantMessage, ChatMessage, ToolCall, ToolMessage } from "./messages.ts";
import { addUsage, emptyUsage, textOf } from "./messages.ts";
import { buildSystemPrompt } from "./system_prompt.ts";
import { ChunkAccumulator, type ChunkPart } from "./chunk_accumulator.ts";
import {
  type ApprovalDecision,
  approvalNeeded,
  type ApprovalRequest,
  deniedResult,
  newApprovalId,
  policyReason,
  type TurnApprovals,
} from "./approvals.ts";
import type { RunOptions, TurnRunner } from "./turn.ts";
import { resolveToolset, type ToolContext, type ToolRegistry, TurnResources } from "./tools/mod.ts";
import { describeError } from "../lib/mod.ts";

/** Something that renders remembered notes for the system prompt. */
export interface MemorySource {
  render(): Promise<string>;
  /** The notes of the one who asks (`AgentTurn.actor`), when memory is kept per API key. */
  forActor?(actor: string | undefined): MemorySource;
}

/** What an Agent is built from. */
export interface AgentOptions {
  llm: LlmClient;
  /** Model routes by name; a turn naming one (`turn.route`) runs on it instead of `llm`. */
  routes?: ReadonlyMap<string, LlmClient>;
  registry: ToolRegistry;
  /** Server tool names offered per platform. */
  toolsets: Partial<Record<Platform, readonly string[]>>;
  workspace: string;
  maxIterations: number;
  memory?: MemorySource;
  /** `agent.system_prompt` from config. */
  extraSystemPrompt?: string;
}

/**
 * Runs agent turns.
 *
 * @example
 * ```ts
 * for await (const event of agent.run({ platform: "cli", messages: [{ role: "user", content: "hi" }] })) {
 *   if (event.type === "text_delta") console.log(event.delta);
 * }
 * ```
 */
export class Agent implements TurnRunner {
  readonly options: AgentOptions;
  // The core prompt only changes with the platform, the offered tools, memory and the clock's
  // second, yet was rebuilt for every request: keep the last one per platform and toolset.
  #prompts = new Map<string, { second: number; memory: string; text: string }>();

  // Each platform's resolved toolset, until a tool comes or goes (MCP servers' tools do).
  #toolsets = new Map<
    Platform,
    { version: number; entries?: readonly string[]; names: readonly string[] }
  >();

  constructor(options: AgentOptions) {
    this.options = options;
  }

  /** The registered tools the platform's toolset offers, resolved once per registry change. */
  #toolsetOf(platform: Platform): readonly string[] {
    const { registry } = this.options;
    const entries = this.options.toolsets[platform];
    const cached = this.#toolsets.get(platform);
    if (cached && cached.version === registry.version && cached.entries === entries) {
      return cached.names;
    }
    const names = resolveToolset(entries ?? [], registry.tools());
    this.#toolsets.set(platform, { version: registry.version, entries, names });
    return names;
  }

  /**
   * Runs one turn, yielding its events; the last is always `final`. Never throws. What the
   * tools kept for the turn (its file helper) is closed when the turn ends, however it ends.
   */
  async *run(turn: AgentTurn, options: RunOptions = {}): AsyncGenerator<AgentEvent, TurnResult> {
    // One generator, not one delegating to another: every token of every turn passes through
    // each generator on its way, at a few promises apiece.
    const resources = new TurnResources();
    try {
      const signal = options.signal ?? new AbortController().signal;
      // Nobody reads the text before the turn ends: ask the upstream for whole answers.
      const whole = options.wholeAnswers === true;
      const emit = options.emit;
      const { registry } = this.options;
      const llm = (turn.route ? this.options.routes?.get(turn.route) : undefined) ??
        this.options.llm;
      const clientTools = turn.clientTools ?? [];
      const clientNames = new Set(clientTools.map((t) => t.name));
      // A client tool with a server tool's name shadows it: the client asked for its own.
      // Resolved per turn: MCP servers' tools come and go while the gateway runs. A client that
      // declared a server with `allowed_tools` may name its tools either way (as the model sees
      // them, or by their names on the server).
      const serverNames = this.#toolsetOf(turn.platform)
        .filter((n) => !clientNames.has(n))
        .filter((n) => {
          // `*` covers every source not named (a chat-scoped key: `{"*": []}`, no server tools).
          const allowed = turn.allowedTools?.[registry.originOf(n)] ?? turn.allowedTools?.["*"];
          const onServer = registry.get(n)?.mcp?.name;
          return !allowed || allowed.includes(n) ||
            (onServer !== undefined && allowed.includes(onServer));
        });

      const usage = emptyUsage();
      const newMessages: ChatMessage[] = [];
      let lastText = "";
      const result = (
        status: TurnResult["status"],
        finishReason: FinishReason,
        extra: Partial<TurnResult> = {},
      ): TurnResult => ({
        status,
        text: lastText,
        messages: newMessages,
        usage,
        finishReason,
        clientToolCalls: [],
        ...extra,
      });

      let history: ChatMessage[];
      try {
        history = await this.#prepare(turn, serverNames);
      } catch (error) {
        const final = result("failed", "stop", { error: errorInfo(error) });
        yield { type: "final", result: final };
        return final;
      }
      const awaiting: ApprovalRequest[] = [];
      const gate = { approvals: options.approvals, pending: awaiting };

      // A continuation: calls that were waiting for approval are answered first.
      if (turn.approvalDecisions && Object.keys(turn.approvalDecisions).length > 0) {
        const { waiting, undecided, insertAt } = waitingCalls(history, turn.approvalDecisions);
        // Calls of the same response still waiting for their own answer: not run (yet).
        const resumed: ChatMessage[] = undecided.map((c) => ({
          role: "tool" as const,
          tool_call_id: c.id,
          content: "not run: it is still waiting for the user's approval",
        }));
        for await (
          const event of this.#runTools(
            waiting,
            turn,
            serverNames,
            { signal, resources },
            resumed,
            gate,
            {
              decisions: turn.approvalDecisions,
            },
          )
        ) yield event;
        const tail = history.slice(insertAt);
        // The results follow their call: as the turn's first new messages when nothing came after
        // it (what stored front doors keep), otherwise spliced in before what followed.
        if (tail.length === 0) newMessages.push(...resumed);
        else history = [...history.slice(0, insertAt), ...resumed, ...tail];
        if (signal.aborted) {
          const final = result("interrupted", "stop", { incompleteReason: "interrupted" });
          yield { type: "final", result: final };
          return final;
        }
      }

      const serverSpecs = registry.specs(serverNames);
      const tools = clientTools.length === 0 ? serverSpecs : [
        ...serverSpecs,
        ...clientTools.map((t) => ({
          type: "function" as const,
          function: {
            name: t.name,
            description: t.description ?? "",
            parameters: t.parameters ?? { type: "object", properties: {} },
            ...(t.strict !== undefined ? { strict: t.strict } : {}),
          },
        })),
      ];

      for (let iteration = 0; iteration < this.options.maxIterations; iteration++) {
        const request: LlmRequest = {
          messages: [...history, ...newMessages] as LlmRequest["messages"],
          ...(tools.length ? { tools } : {}),
          ...(tools.length && turn.toolChoice !== undefined && clientTools.length
            ? { tool_choice: turn.toolChoice as LlmRequest["tool_choice"] }
            : {}),
          ...(turn.temperature !== undefined ? { temperature: turn.temperature } : {}),
          ...(turn.topP !== undefined ? { top_p: turn.topP } : {}),
          ...(turn.maxOutputTokens !== undefined ? { max_tokens: turn.maxOutputTokens } : {}),
          ...upstreamParamsFor(turn, tools.length > 0),
        };

        const acc = new ChunkAccumulator();
        // Who runs a call is known from its name; the name may come after its first piece.
        const kinds = new Map<string, "server" | "client">();
        // A chunk's parts as events, handed to `each` in order.
        const partsTo = (each: (event: AgentEvent) => void) => (part: ChunkPart): void => {
          if (part.type === "tool_call_started") {
            const kind = clientNames.has(part.name) ? "client" : "server";
            kinds.set(part.callId, kind);
            each({ ...part, kind });
          } else each(part);
        };
        const fold = (batch: LlmChunk[], onPart: (part: ChunkPart) => void): void => {
          for (let i = 0; i < batch.length; i++) acc.addEach(batch[i], onPart);
        };
        try {
          const batches = llm.streamBatches(request, signal, { whole });
          if (emit) {
            // Pushed from the upstream read to the consumer: an open stream waits on its
            // network read alone, with no promise per read or per token on the way.
            const onPart = partsTo(emit);
            await batches.drain((batch) => fold(batch, onPart));
          } else {
            const events: AgentEvent[] = [];
            const onPart = partsTo((event) => events.push(event));
            for await (const batch of batches) {
              fold(batch, onPart);
              yield* events;
              events.length = 0;
            }
          }
        } catch (error) {
          const text = acc.text;
          if (text) lastText = text;
          if (signal.aborted) {
            if (text || !acc.hasToolCalls) {
              if (text) newMessages.push({ role: "assistant", content: text });
            }
            const final = result("interrupted", "stop", { incompleteReason: "interrupted" });
            yield { type: "final", result: final };
            return final;
          }
          if (text) newMessages.push({ role: "assistant", content: text });
          const final = result("failed", "stop", { error: errorInfo(error) });
          yield { type: "final", result: final };
          return final;
        }

        if (acc.sawUsage) {
          addUsage(usage, acc.usage);
          yield { type: "usage", usage: acc.usage };
        }

        const { text, reasoning, finishReason: upstreamFinish } = acc;
        const toolCalls: ToolCall[] = acc.toolCalls();
        const assistant: AssistantMessage = {
          role: "assistant",
          content: text || (toolCalls.length ? null : ""),
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          ...(reasoning ? { reasoning_content: reasoning } : {}),
        };
        newMessages.push(assistant);
        if (text) lastText = text;

        if (toolCalls.length === 0) {
          const final = upstreamFinish === "length"
            ? result("incomplete", "length", { incompleteReason: "max_output_tokens" })
            : upstreamFinish === "content_filter"
            ? result("completed", "content_filter")
            : result("completed", "stop");
          yield { type: "final", result: final };
          return final;
        }

        for (const call of toolCalls) {
          yield { type: "tool_call_done", call, kind: kinds.get(call.id) ?? "server" };
        }
        if (text) yield { type: "segment_break" };

        const serverCalls = toolCalls.filter((c) => !clientNames.has(c.function.name));
        const clientCalls = toolCalls.filter((c) => clientNames.has(c.function.name));

        for await (
          const event of this.#runTools(
            serverCalls,
            turn,
            serverNames,
            { signal, resources },
            newMessages,
            gate,
          )
        ) {
          yield event;
        }
        if (signal.aborted) {
          closeDanglingCalls(newMessages, clientNames);
          const final = result("interrupted", "stop", { incompleteReason: "interrupted" });
          yield { type: "final", result: final };
          return final;
        }
        if (clientCalls.length > 0 || awaiting.length > 0) {
          // Calls waiting for an answer that comes with a later request end the turn, as calls
          // of the client's own tools do.
          const final = result("completed", clientCalls.length ? "tool_calls" : "stop", {
            clientToolCalls: clientCalls,
            ...(awaiting.length ? { pendingApprovals: [...awaiting] } : {}),
          });
          yield { type: "final", result: final };
          return final;
        }
      }

      const final = result("incomplete", "stop", { incompleteReason: "max_iterations" });
      yield { type: "final", result: final };
      return final;
    } finally {
      await resources.close();
    }
  }

  /** The approval a call needs under the turn's policy, or null when it may run. */
  async #approvalFor(
    call: ToolCall,
    origin: string,
    context: ToolContext,
    approvals: TurnApprovals,
  ): Promise<ApprovalRequest | null> {
    const { registry } = this.options;
    const name = call.function.name;
    // An MCP server configured with its own `approval` policy overrides the front door's.
    const mode = registry.get(name)?.mcp?.approval ?? approvals.mode;
    const client = approvals.clientRequirement?.(origin, name) ?? null;
    if (mode === "never" && client !== "always") return null;
    const risk = await registry.classify(name, call.function.arguments, context);
    const granted = client !== "always" && (await approvals.isGranted?.(name) ?? false);
    const needed = approvalNeeded({
      mode,
      readOnly: registry.get(name)?.readOnly ?? false,
      risk,
      client,
      granted,
    });
    if (!needed) return null;
    const reason = client === "always" || !risk.dangerous
      ? policyReason(mode, client)
      : risk.reason ?? "the tool marks this call as dangerous";
    return { id: newApprovalId(), call, origin, reason };
  }

  /** Core system prompt (with memory) plus the client's leading system messages, then the rest. */
  async #prepare(turn: AgentTurn, serverNames: string[]): Promise<ChatMessage[]> {
    const { registry } = this.options;
    const source = this.options.memory?.forActor?.(turn.actor) ?? this.options.memory;
    const memory = serverNames.includes("memory") || source ? await source?.render() ?? "" : "";
    // The prompt shows the time to the second, so a prompt built within the same second, for
    // the same platform, tools and memory, is the same text.
    const second = Math.floor(Date.now() / 1000);
    const key = `${turn.platform}\0${serverNames.join("\0")}`;
    let cached = this.#prompts.get(key);
    if (!cached || cached.second !== second || cached.memory !== memory) {
      const text = buildSystemPrompt({
        platform: turn.platform,
        workspace: this.options.workspace,
        tools: serverNames.map((n) => ({ name: n, description: registry.get(n)!.description })),
        memory,
        extra: this.options.extraSystemPrompt,
        now: new Date(second * 1000),
      });
      cached = { second, memory, text };
      if (this.#prompts.size >= 64) this.#prompts.clear();
      this.#prompts.set(key, cached);
    }
    const core = cached.text;
    // Layer the client's instructions and leading system messages on top of the core prompt in
    // one system message: several local model templates accept only one, at the start.
    const layers = [core];
    if (turn.instructions) layers.push(turn.instructions);
    let i = 0;
    while (
      i < turn.messages.length &&
      (turn.messages[i].role === "system" || turn.messages[i].role === "developer")
    ) {
      const text = textOf(turn.messages[i].content as string);
      if (text) layers.push(text);
      i++;
    }
    return [{ role: "system", content: layers.join("\n\n") }, ...turn.messages.slice(i)];
  }

  /**
   * Runs server tool calls: first each call's approval (in order; a denied call gets its denial
   * as result, a deferred one none), then consecutive read-only calls together, everything else
   * in order.
   */
  async *#runTools(
    allCalls: ToolCall[],
    turn: AgentTurn,
    offered: readonly string[],
    scope: { signal: AbortSignal; resources: TurnResources },
    out: ChatMessage[],
    gate: { approvals?: TurnApprovals; pending: ApprovalRequest[] },
    resume?: { decisions: Record<string, ApprovalDecision> },
  ): AsyncGenerator<AgentEvent> {
    const { registry } = this.options;
    const { signal } = scope;
    const context = {
      signal,
      turn: scope.resources,
      workspace: this.options.workspace,
      platform: turn.platform,
      sessionKey: turn.sessionKey,
      actor: turn.actor,
    };
    const approvedIds = new Map<string, string>();
    const calls: ToolCall[] = [];
    for (const call of allCalls) {
      if (signal.aborted) return;
      const origin = registry.originOf(call.function.name);
      let request: ApprovalRequest | null = null;
      let decision: ApprovalDecision | "defer" | undefined = resume?.decisions[call.id];
      if (decision) {
        request = { id: decision.approvalId ?? call.id, call, origin, reason: "" };
      } else if (offered.includes(call.function.name) && gate.approvals) {
        request = await this.#approvalFor(call, origin, context, gate.approvals);
        if (request) {
          yield { type: "approval_requested", approval: request };
          try {
            decision = await gate.approvals.ask(request, signal);
          } catch (error) {
            decision = {
              approved: false,
              reason: `the approval could not be asked (${(error as Error)?.message ?? error})`,
            };
          }
          if (decision === "defer") {
            gate.pending.push(request);
            continue;
          }
        }
      }
      if (!request || !decision) {
        calls.push(call);
        continue;
      }
      yield { type: "approval_resolved", approval: request, decision };
      if (decision.approved) {
        approvedIds.set(call.id, request.id);
        calls.push(call);
        continue;
      }
      const output = signal.aborted ? "error: interrupted" : deniedResult(decision.reason);
      out.push({ role: "tool", tool_call_id: call.id, content: output });
      yield {
        type: "tool_completed",
        call,
        origin,
        output,
        isError: true,
        durationMs: 0,
        approvalId: request.id,
      };
    }
    let i = 0;
    while (i < calls.length) {
      if (signal.aborted) return;
      const batch = [calls[i]];
      if (registry.get(calls[i].function.name)?.readOnly) {
        while (
          i + batch.length < calls.length &&
          registry.get(calls[i + batch.length].function.name)?.readOnly
        ) batch.push(calls[i + batch.length]);
      }
      i += batch.length;
      for (const call of batch) {
        yield {
          type: "tool_started",
          call,
          origin: registry.originOf(call.function.name),
          ...(approvedIds.has(call.id) ? { approvalId: approvedIds.get(call.id) } : {}),
        };
      }
      if (signal.aborted) return;
      const started = performance.now();
      const outcomes = await Promise.all(
        batch.map((call) =>
          // A model may name a tool it was not offered (made up, or steered by injected text):
          // the platform's toolset is a boundary, so such a call is refused, never run.
          (offered.includes(call.function.name)
            ? registry.call(call.function.name, call.function.arguments, {
              ...context,
              ...(approvedIds.has(call.id) ? { approved: true } : {}),
            })
            : Promise.resolve({
              output: `error: unknown tool "${call.function.name}". Available tools: ${
                offered.join(", ") || "none"
              }.`,
              isError: true,
            })).then((o) => ({ ...o, durationMs: performance.now() - started }))
        ),
      );
      for (let k = 0; k < batch.length; k++) {
        const call = batch[k];
        const outcome = outcomes[k];
        const message: ToolMessage = {
          role: "tool",
          tool_call_id: call.id,
          content: outcome.output,
        };
        out.push(message);
        yield {
          type: "tool_completed",
          call,
          origin: registry.originOf(call.function.name),
          output: outcome.output,
          isError: outcome.isError,
          durationMs: Math.round(outcome.durationMs),
          ...(approvedIds.has(call.id) ? { approvalId: approvedIds.get(call.id) } : {}),
        };
      }
    }
  }
}

/**
 * The calls of `history` that wait for one of `decisions` (no result yet), and where their
 * results go: after the tool results that follow the last such call's assistant message.
 */
function waitingCalls(
  history: ChatMessage[],
  decisions: Record<string, ApprovalDecision>,
): { waiting: ToolCall[]; undecided: ToolCall[]; insertAt: number } {
  const answered = new Set(
    history.filter((m): m is ToolMessage => m.role === "tool").map((m) => m.tool_call_id),
  );
  const waiting: ToolCall[] = [];
  const undecided: ToolCall[] = [];
  let insertAt = history.length;
  for (const [i, m] of history.entries()) {
    if (m.role !== "assistant") continue;
    const open = (m.tool_calls ?? []).filter((c) => !answered.has(c.id));
    const found = open.filter((c) => decisions[c.id]);
    if (found.length === 0) continue;
    waiting.push(...found);
    undecided.push(...open.filter((c) => !decisions[c.id]));
    insertAt = i + 1;
    while (insertAt < history.length && history[insertAt].role === "tool") insertAt++;
  }
  return { waiting, undecided, insertAt };
}

/**
 * Gives every server tool call without a result an "interrupted" result, so the stored history
 * stays valid for the next request (upstreams reject tool calls left unanswered).
 */
function closeDanglingCalls(messages: ChatMessage[], clientNames: Set<string>): void {
  const answered = new Set(
    messages.filter((m): m is ToolMessage => m.role === "tool").map((m) => m.tool_call_id),
  );
  for (const m of [...messages]) {
    if (m.role !== "assistant") continue;
    for (const call of m.tool_calls ?? []) {
      if (answered.has(call.id) || clientNames.has(call.function.name)) continue;
      messages.push({ role: "tool", tool_call_id: call.id, content: "error: interrupted" });
    }
  }
}

/** The turn's extra upstream parameters for one call; `parallel_tool_calls` only with tools. */
function upstreamParamsFor(turn: AgentTurn, offersTools: boolean): Partial<LlmRequest> {
  const { parallel_tool_calls, ...rest } = turn.upstreamParams ?? {};
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) params[key] = value;
  if (offersTools && parallel_tool_calls !== undefined) {
    params.parallel_tool_calls = parallel_tool_calls;
  }
  return params as Partial<LlmRequest>;
}

function errorInfo(error: unknown): NonNullable<TurnResult["error"]> {
  if (error instanceof AgentError) {
    return {
      message: error.message,
      code: error.code,
      ...(error.request ? { request: error.request } : {}),
    };
  }
  return {
    message: `The agent failed: ${describeError(error)}`,
    code: "agent_error",
  };
}
