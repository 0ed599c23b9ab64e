/**
 * Turns AgentEvents into Responses stream events and output items: `sequence_number` from 0,
 * `output_index` in append order, every `item_id` the id of its item, one item open at a time,
 * text (and reasoning) deltas sent as they arrive and joined only while the client is not
 * keeping up (or held per item when streaming is off), upstream reasoning sent as a reasoning
 * item's summary. Streams, background logs and plain JSON
 * answers are all built from the same emitter, so they always agree.
 * @module
 */
import type { AgentEvent, TurnResult } from "../../agent/mod.ts";
import type { ApprovalRequest, ToolCall } from "../../agent/mod.ts";
import type { ResponseItem, ResponseObject } from "../../store/mod.ts";
import { newId } from "./items.ts";
import { responseUsage } from "./response_object.ts";

/** One Responses stream event. */
export type ResponseStreamEvent = Record<string, unknown> & {
  type: string;
  sequence_number: number;
};

/** Options for a {@link ResponseEmitter}. */
export interface EmitterOptions {
  /**
   * Longest time text deltas are held to be sent together; default 0: each delta goes out as it
   * arrives (joined with the next ones only while `backlogged()` says the client lags).
   */
  coalesceMs?: number;
  /**
   * True while the transport still holds unsent data (a slow reader): text deltas are then
   * joined into one until it has caught up, instead of queueing one event per token.
   */
  backlogged?: () => boolean;
  /**
   * Report calls waiting for approval as `mcp_approval_request` items (for clients that declared
   * Herald's `mcp` tool); otherwise they are not items (the question comes as text).
   */
  approvalItems?: boolean;
}

/** How often held text is checked against the transport's backlog, in ms. */
const BACKLOG_POLL_MS = 5;

/** How the turn ended, as the Response says it. */
export type FinalStatus = "completed" | "incomplete" | "failed" | "cancelled";

interface OpenMessage {
  kind: "message";
  index: number;
  item: ResponseItem & {
    content: { type: string; text: string; annotations: unknown[]; logprobs: unknown[] }[];
  };
}

interface OpenCall {
  kind: "call";
  index: number;
  item: ResponseItem;
  /** A client `custom` tool: a `custom_tool_call` item whose `input` is the raw text. */
  custom: boolean;
  /** The JSON arguments so far. */
  args: string;
}

interface OpenReasoning {
  kind: "reasoning";
  index: number;
  item: ResponseItem & { summary: { type: "summary_text"; text: string }[] };
}

/** A call Herald runs itself, reported as an `mcp_call` item while it runs. */
interface OpenHostedCall {
  index: number;
  item: ResponseItem & { arguments: string; status: string };
}

/**
 * Builds a response's events and output from its agent events.
 *
 * @example
 * ```ts
 * const emitter = new ResponseEmitter(base, (e) => writer.send(e, e.type));
 * emitter.start(false);
 * for await (const event of agent.run(turn)) if (event.type !== "final") emitter.handle(event);
 * ```
 */
export class ResponseEmitter {
  readonly #sink: (event: ResponseStreamEvent) => void;
  readonly #coalesceMs: number;
  readonly #approvalItems: boolean;
  readonly #backlogged: () => boolean;
  readonly #response: ResponseObject;
  readonly #output: ResponseItem[] = [];
  #sequence = 0;
  #open: OpenMessage | OpenCall | OpenReasoning | null = null;
  #calls = new Map<string, OpenCall>();
  /** Herald's own calls that are running, by call id. */
  #hosted = new Map<string, OpenHostedCall>();
  #pendingText = "";
  /** Which item the pending text belongs to. */
  #pendingKind: "text" | "reasoning" = "text";
  #lastTextFlush = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    response: ResponseObject,
    sink: (event: ResponseStreamEvent) => void,
    options: EmitterOptions = {},
  ) {
    this.#response = response;
    this.#sink = sink;
    this.#coalesceMs = options.coalesceMs ?? 0;
    this.#backlogged = options.backlogged ?? (() => false);
    this.#approvalItems = options.approvalItems ?? false;
  }

  /** The output items so far. */
  get output(): ResponseItem[] {
    return this.#output;
  }

  /** A copy of the response as it stands. */
  snapshot(): ResponseObject {
    return structuredClone({ ...this.#response, output: this.#output });
  }

  /** Emits the opening lifecycle events (`created`, `queued` for background, `in_progress`). */
  start(queued: boolean): void {
    this.#response.status = queued ? "queued" : "in_progress";
    this.#emit({ type: "response.created", response: this.snapshot() });
    if (queued) {
      this.#emit({ type: "response.queued", response: this.snapshot() });
      this.#response.status = "in_progress";
    }
    this.#emit({ type: "response.in_progress", response: this.snapshot() });
  }

  /** Handles one agent event (not `final`: see {@link finish}). */
  handle(event: AgentEvent): void {
    if (event.type === "text_delta") {
      this.#text(event.delta, "text");
      return;
    }
    if (event.type === "reasoning_delta") {
      this.#text(event.delta, "reasoning");
      return;
    }
    this.#flushText();
    switch (event.type) {
      case "segment_break":
        this.#closeOpen("completed");
        break;
      case "tool_call_started":
        // Only calls the client runs are function calls; Herald's own become mcp_call items
        // once they run (see tool_started).
        if (event.kind === "client") this.#startCall(event.callId, event.name);
        break;
      case "tool_call_arguments_delta": {
        const call = this.#calls.get(event.callId);
        if (!call || this.#open !== call) break;
        call.args += event.delta;
        // A custom tool's input is known only once its JSON wrapper is complete.
        if (call.custom) break;
        call.item.arguments = call.args;
        this.#emit({
          type: "response.function_call_arguments.delta",
          item_id: call.item.id,
          output_index: call.index,
          delta: event.delta,
        });
        break;
      }
      case "tool_call_done":
        if (event.kind === "client") this.#finishCall(event.call);
        break;
      case "tool_started":
        this.#startHostedCall(event.call, event.origin, event.approvalId);
        break;
      case "tool_completed":
        // A denied call never started: its item opens and closes here.
        if (!this.#hosted.has(event.call.id)) {
          this.#startHostedCall(event.call, event.origin, event.approvalId);
        }
        this.#finishHostedCall(event.call.id, event.output, event.isError);
        break;
      case "approval_requested":
        if (this.#approvalItems) this.#approvalRequest(event.approval);
        break;
    }
  }

  /**
   * Closes any open item and returns the terminal Response (not yet emitted, so the caller can
   * store it before the client hears about it).
   */
  finish(result: TurnResult, status: FinalStatus): ResponseObject {
    this.#flushText();
    this.#closeOpen(status === "completed" ? "completed" : "incomplete");
    for (const callId of [...this.#hosted.keys()]) {
      this.#finishHostedCall(callId, "error: interrupted", true, "incomplete");
    }
    const r = this.#response;
    r.status = status;
    r.completed_at = Math.floor(Date.now() / 1000);
    r.usage = responseUsage(result.usage);
    if (status === "incomplete") {
      r.incomplete_details = { reason: result.incompleteReason ?? "interrupted" };
    }
    if (status === "failed") {
      r.error = {
        code: result.error?.code ?? "agent_error",
        message: result.error?.message ?? "The agent failed.",
        type: "server_error",
      };
    }
    return this.snapshot();
  }

  /** Emits the terminal events for the response {@link finish} returned. */
  emitTerminal(final: ResponseObject): void {
    if (final.status === "failed") {
      const error = final.error as { code: string; message: string; type: string };
      this.#emit({
        type: "error",
        code: error.code,
        message: error.message,
        param: null,
        error: { type: error.type, code: error.code, message: error.message, param: null },
      });
      this.#emit({ type: "response.failed", response: final });
    } else if (final.status === "completed") {
      this.#emit({ type: "response.completed", response: final });
    } else {
      // There is no `response.cancelled` event; a cancelled run ends like an incomplete one.
      this.#emit({ type: "response.incomplete", response: final });
    }
  }

  /** Stops the coalescing timer; call when abandoning the emitter. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #emit(event: Omit<ResponseStreamEvent, "sequence_number">): void {
    const { type, ...rest } = event;
    this.#sink({ type, sequence_number: this.#sequence++, ...rest } as ResponseStreamEvent);
  }

  #text(delta: string, kind: "text" | "reasoning"): void {
    if (kind !== this.#pendingKind) {
      this.#flushText();
      this.#pendingKind = kind;
    }
    this.#pendingText += delta;
    if (this.#timer !== undefined) return;
    if (this.#coalesceMs <= 0) {
      if (!this.#backlogged()) {
        this.#flushText();
        return;
      }
      this.#timer = setTimeout(() => this.#retryHeldText(), BACKLOG_POLL_MS);
      return;
    }
    const wait = this.#coalesceMs - (performance.now() - this.#lastTextFlush);
    if (wait <= 0) {
      this.#flushText();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushText();
    }, wait);
  }

  /** Sends held text once the transport caught up; checks again shortly otherwise. */
  #retryHeldText(): void {
    this.#timer = undefined;
    if (this.#backlogged()) {
      this.#timer = setTimeout(() => this.#retryHeldText(), BACKLOG_POLL_MS);
      return;
    }
    this.#flushText();
  }

  #flushText(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#pendingText) return;
    const delta = this.#pendingText;
    this.#pendingText = "";
    this.#lastTextFlush = performance.now();
    if (this.#pendingKind === "reasoning") {
      const reasoning = this.#openReasoning();
      reasoning.item.summary[0].text += delta;
      // Deltas are built in their final shape here rather than through #emit's copy: they are
      // most of a stream's events.
      this.#sink({
        type: "response.reasoning_summary_text.delta",
        sequence_number: this.#sequence++,
        item_id: reasoning.item.id,
        output_index: reasoning.index,
        summary_index: 0,
        delta,
      });
      return;
    }
    const message = this.#openMessage();
    message.item.content[0].text += delta;
    this.#sink({
      type: "response.output_text.delta",
      sequence_number: this.#sequence++,
      item_id: message.item.id,
      output_index: message.index,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  #openMessage(): OpenMessage {
    if (this.#open?.kind === "message") return this.#open;
    this.#closeOpen("completed");
    const item = {
      id: newId("msg"),
      type: "message",
      role: "assistant",
      status: "in_progress",
      content: [] as { type: string; text: string; annotations: unknown[]; logprobs: unknown[] }[],
    };
    const index = this.#output.push(item) - 1;
    this.#emit({ type: "response.output_item.added", output_index: index, item: clone(item) });
    // The part carries the same (empty: upstreams' logprobs are not relayed) logprobs as every
    // delta and done event, so the final item agrees with the stream.
    const part = { type: "output_text", text: "", annotations: [], logprobs: [] };
    item.content.push(part);
    this.#emit({
      type: "response.content_part.added",
      item_id: item.id,
      output_index: index,
      content_index: 0,
      part: { ...part },
    });
    this.#open = { kind: "message", index, item };
    return this.#open;
  }

  /**
   * Reasoning is sent as a reasoning item's summary: the summary events are the only reasoning
   * events both openai-node and the Open Responses schema accept.
   */
  #openReasoning(): OpenReasoning {
    if (this.#open?.kind === "reasoning") return this.#open;
    this.#closeOpen("completed");
    const item = {
      id: newId("rs"),
      type: "reasoning",
      summary: [] as { type: "summary_text"; text: string }[],
    };
    const index = this.#output.push(item) - 1;
    this.#emit({ type: "response.output_item.added", output_index: index, item: clone(item) });
    const part = { type: "summary_text" as const, text: "" };
    item.summary.push(part);
    this.#emit({
      type: "response.reasoning_summary_part.added",
      item_id: item.id,
      output_index: index,
      summary_index: 0,
      part: { ...part },
    });
    this.#open = { kind: "reasoning", index, item };
    return this.#open;
  }

  #startCall(callId: string, name: string): void {
    this.#closeOpen("completed");
    const custom = this.#isCustomTool(name);
    const item: ResponseItem = custom
      ? { id: newId("ctc"), type: "custom_tool_call", status: "in_progress", call_id: callId, name }
      : {
        id: newId("fc"),
        type: "function_call",
        status: "in_progress",
        arguments: "",
        call_id: callId,
        name,
      };
    const index = this.#output.push(item) - 1;
    this.#emit({ type: "response.output_item.added", output_index: index, item: clone(item) });
    const open: OpenCall = { kind: "call", index, item, custom, args: "" };
    this.#calls.set(callId, open);
    this.#open = open;
  }

  /**
   * Opens the `mcp_call` item of a call Herald is about to run: `output_item.added`, the
   * arguments (one delta, then done) and `mcp_call.in_progress`. Several read-only calls may run,
   * and so be open, at once.
   */
  #startHostedCall(call: ToolCall, origin: string, approvalId?: string): void {
    this.#closeOpen("completed");
    const item = {
      id: newId("mcp"),
      type: "mcp_call",
      status: "in_progress",
      server_label: origin,
      name: call.function.name,
      arguments: "",
      ...(approvalId ? { approval_request_id: approvalId } : {}),
    };
    const index = this.#output.push(item) - 1;
    this.#emit({ type: "response.output_item.added", output_index: index, item: clone(item) });
    const args = call.function.arguments;
    item.arguments = args;
    const at = { item_id: item.id, output_index: index };
    if (args) this.#emit({ type: "response.mcp_call_arguments.delta", ...at, delta: args });
    this.#emit({ type: "response.mcp_call_arguments.done", ...at, arguments: args });
    this.#emit({ type: "response.mcp_call.in_progress", ...at });
    this.#hosted.set(call.id, { index, item });
  }

  /**
   * Closes a running call's `mcp_call` item with the tool's output: `mcp_call.completed` (or
   * `.failed`, with `error` set) and `output_item.done`. `error` is left out, never null,
   * when there is none: the AI SDK rejects a whole response over an `error: null`.
   */
  #finishHostedCall(
    callId: string,
    output: string,
    isError: boolean,
    status: "completed" | "incomplete" = "completed",
  ): void {
    const open = this.#hosted.get(callId);
    if (!open) return;
    this.#hosted.delete(callId);
    const { item, index } = open;
    const failed = isError || status === "incomplete";
    item.status = status === "incomplete" ? "incomplete" : isError ? "failed" : "completed";
    item.output = output;
    if (failed) item.error = output;
    const at = { item_id: item.id, output_index: index };
    this.#emit({
      type: failed ? "response.mcp_call.failed" : "response.mcp_call.completed",
      ...at,
    });
    this.#emit({ type: "response.output_item.done", output_index: index, item: clone(item) });
  }

  /** An `mcp_approval_request` item: the call waits for the client's `mcp_approval_response`. */
  #approvalRequest(approval: ApprovalRequest): void {
    this.#closeOpen("completed");
    const item = {
      id: approval.id,
      type: "mcp_approval_request",
      server_label: approval.origin,
      name: approval.call.function.name,
      arguments: approval.call.function.arguments,
    };
    const index = this.#output.push(item) - 1;
    this.#emit({ type: "response.output_item.added", output_index: index, item: clone(item) });
    this.#emit({ type: "response.output_item.done", output_index: index, item: clone(item) });
  }

  #finishCall(call: ToolCall): void {
    let open = this.#calls.get(call.id);
    if (!open) {
      this.#startCall(call.id, call.function.name);
      open = this.#calls.get(call.id)!;
    }
    if (open.item.status !== "in_progress") return;
    if (this.#open !== open) {
      // Closed early because the next call started; its arguments were complete by then.
      return;
    }
    open.args = call.function.arguments;
    if (!open.custom) open.item.arguments = call.function.arguments;
    open.item.name = call.function.name;
    this.#closeOpen("completed");
  }

  /** Whether `name` is a `custom` tool the client declared (the echoed tools say). */
  #isCustomTool(name: string): boolean {
    const tools = (this.#response.tools ?? []) as { type?: string; name?: string }[];
    return tools.some((t) => t.type === "custom" && t.name === name);
  }

  #closeOpen(status: "completed" | "incomplete"): void {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    const { item, index } = open;
    if (open.kind === "reasoning") {
      const part = open.item.summary[0];
      this.#emit({
        type: "response.reasoning_summary_text.done",
        item_id: item.id,
        output_index: index,
        summary_index: 0,
        text: part.text,
      });
      this.#emit({
        type: "response.reasoning_summary_part.done",
        item_id: item.id,
        output_index: index,
        summary_index: 0,
        part: { ...part },
      });
      this.#emit({ type: "response.output_item.done", output_index: index, item: clone(item) });
      return;
    }
    item.status = status;
    if (open.kind === "message") {
      const part = open.item.content[0];
      this.#emit({
        type: "response.output_text.done",
        item_id: item.id,
        output_index: index,
        content_index: 0,
        text: part.text,
        logprobs: [],
      });
      this.#emit({
        type: "response.content_part.done",
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { ...part },
      });
    } else if (open.custom) {
      item.input = customInput(open.args);
    } else {
      this.#emit({
        type: "response.function_call_arguments.done",
        item_id: item.id,
        output_index: index,
        arguments: open.args,
        name: item.name,
      });
    }
    this.#emit({ type: "response.output_item.done", output_index: index, item: clone(item) });
  }
}

/** The raw input of a custom tool call from the `{"input": …}` arguments it was offered with. */
function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args);
    if (typeof parsed?.input === "string") return parsed.input;
  } catch { /* a model that sent the raw text itself */ }
  return args;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
