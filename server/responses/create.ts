/**
 * `POST /v1/responses`: resolve the chain (previous_response_id or conversation name), rebuild
 * the history from stored turns, run the agent, and answer as JSON, as an SSE stream, or in the
 * background — storing only this turn's items.
 * @module
 */
import type { AgentEvent, AgentTurn, TurnResult } from "../../agent/events.ts";
import { type HeraldError, InvalidRequestError } from "../../agent/errors.ts";
import type { ChatMessage } from "../../agent/messages.ts";
import { HERALD_ORIGIN } from "../../agent/tools/registry.ts";
import type {
  ChainPosition,
  ConversationHead,
  ResponseItem,
  ResponseObject,
  ResponseStore,
  StoredResponse,
} from "../../store/responses.ts";
import { parseBody, readJsonBody } from "../body.ts";
import { shuttingDownError, startTurn as startStreamedTurn, turnError } from "../turns.ts";
import type { AgentRunner } from "../chat_completions.ts";
import { errorResponse, jsonResponse } from "../error_envelope.ts";
import type { Run, RunTracker } from "../runs.ts";
import { sseResponse, type SseWriter } from "../sse.ts";
import { type FinalStatus, ResponseEmitter, type ResponseStreamEvent } from "./emitter.ts";
import {
  answerDanglingCalls,
  itemsToMessages,
  itemsToRawMessages,
  newId,
  normaliseInput,
  withoutKnownItems,
} from "./items.ts";
import { DEFAULT_CONTEXT_TOKENS, truncateHistory } from "./truncate.ts";
import { isApiConversation } from "./conversations.ts";
import { LiveRun, type LiveRuns } from "./live_runs.ts";
import {
  conversationName,
  functionTools,
  mcpServers,
  type ResponseRequest,
  ResponseRequestSchema,
} from "./request.ts";
import { baseResponse } from "./response_object.ts";
import type { Summariser } from "./compact.ts";

/** What the Responses endpoints need. */
export interface ResponsesDeps {
  agent: AgentRunner;
  runs: RunTracker;
  store: ResponseStore;
  maxBodyBytes: number;
  /** The model id echoed when the request names none. */
  modelName?: string;
  /** Milliseconds of silence before a keep-alive comment; default 15 000. */
  keepAliveMs?: number;
  /** Text delta coalescing window; default 50 ms. */
  coalesceMs?: number;
  /** Running responses; one registry per app. */
  live: LiveRuns;
  /**
   * The context budget `truncation: "auto"` fits history into, in estimated tokens
   * (characters / 4); default 100 000.
   */
  contextTokens?: number;
  /**
   * The tool sources (`server_label`s) a request may declare as `{type: "mcp"}` tools: `herald`
   * and the configured MCP servers; default `["herald"]`.
   */
  toolOrigins?: readonly string[];
  /** The LLM `/v1/responses/compact` summarises with; default: the agent's own, if it has one. */
  summariser?: Summariser;
}

/** Handles `POST /v1/responses`. */
export async function createResponse(req: Request, deps: ResponsesDeps): Promise<Response> {
  const request = parseBody(ResponseRequestSchema, await readJsonBody(req, deps.maxBodyBytes));
  const name = conversationName(request);
  if (name !== null && request.previous_response_id) {
    throw new InvalidRequestError(
      "Send either 'previous_response_id' or 'conversation', not both.",
      { code: "invalid_value", param: "conversation" },
    );
  }
  const store = request.store !== false;
  if (request.background && !store) {
    throw new InvalidRequestError("Background responses must be stored; drop 'store: false'.", {
      code: "invalid_value",
      param: "background",
    });
  }
  if (deps.runs.shuttingDown) throw shuttingDownError();
  if (name === null) return await startTurn(req, request, deps, null);

  // Turns on one conversation run one after another; the name is held until the turn is
  // stored, which for streams and background runs is after the HTTP response was handed over.
  return await new Promise<Response>((resolve, reject) => {
    deps.store.withConversation(name, async () => {
      let finished!: () => void;
      const turnDone = new Promise<void>((r) => finished = r);
      try {
        resolve(await startTurn(req, request, deps, { name, onStored: finished }));
      } catch (error) {
        reject(error);
        return;
      }
      await turnDone;
    }).catch(reject);
  });
}

interface ConversationTurn {
  name: string;
  /** Called once the turn is stored (or abandoned), releasing the name. */
  onStored: () => void;
}

/** Everything a running turn needs after the request was resolved. */
interface PreparedTurn {
  request: ResponseRequest;
  id: string;
  input: ResponseItem[];
  parent: ChainPosition | null;
  conversation: { name: string; expected: ConversationHead } | null;
  /** A Conversations API id whose item log this turn reads and, once done, extends. */
  log: string | null;
  store: boolean;
  base: ResponseObject;
  turn: AgentTurn;
}

async function startTurn(
  req: Request,
  request: ResponseRequest,
  deps: ResponsesDeps,
  conversation: ConversationTurn | null,
): Promise<Response> {
  let handedOver = false;
  try {
    const prepared = await prepare(request, deps, conversation?.name ?? null);
    const run = deps.runs.begin();
    const stored = () => conversation?.onStored();
    handedOver = true;
    if (request.background) return await runBackground(prepared, deps, run, stored);
    if (request.stream) return await runStream(req, prepared, deps, run, stored);
    return await runPlain(req, prepared, deps, run, stored);
  } finally {
    if (!handedOver) conversation?.onStored();
  }
}

async function prepare(
  request: ResponseRequest,
  deps: ResponsesDeps,
  name: string | null,
): Promise<PreparedTurn> {
  const { store } = deps;
  let parentMeta: StoredResponse | null = null;
  let expected: ConversationHead | null = null;
  if (request.previous_response_id) {
    parentMeta = await store.meta(request.previous_response_id);
    if (!parentMeta) {
      throw new InvalidRequestError(
        `Previous response with id '${request.previous_response_id}' not found.`,
        { code: "previous_response_not_found", param: "previous_response_id" },
      );
    }
  }
  // A `conv_…` made with the Conversations API keeps an item log; any other name chains
  // responses, its head moving to each new one.
  const log = name !== null && await isApiConversation(store.conversations, name) ? name : null;
  if (name !== null && log === null && !request.previous_response_id) {
    expected = await store.conversationHead(name);
    if (expected.responseId) parentMeta = await store.meta(expected.responseId);
  }
  const history = parentMeta ? await store.history(parentMeta.id) : [];
  const sent = await normaliseInput(
    request.input as string | Record<string, unknown>[],
    (id) => store.findItem(id),
  );
  // Herald carries instructions forward along a chain (OpenAI does not): a client that set a
  // persona once keeps it without resending it every turn.
  const instructions = request.instructions ??
    (parentMeta?.response.instructions as string | null | undefined) ?? null;
  const historyItems = log
    ? await store.conversations.items(log)
    : history.flatMap((t) => [...t.input, ...t.output]);
  const input = withoutKnownItems(sent, historyItems);
  // Converted together: a client tool call in the history is answered by this input.
  const messages: ChatMessage[] = request.truncation === "auto"
    ? answerDanglingCalls(
      truncateHistory(itemsToRawMessages(historyItems), itemsToRawMessages(input), {
        budget: deps.contextTokens ?? DEFAULT_CONTEXT_TOKENS,
        reserved: Math.ceil((instructions?.length ?? 0) / 4),
      }),
    )
    : itemsToMessages([...historyItems, ...input]);
  if (!messages.some((m) => m.role === "user" || m.role === "tool")) {
    throw new InvalidRequestError("input must contain a user message or a function_call_output.", {
      code: "invalid_value",
      param: "input",
    });
  }
  const id = newId("resp");
  const tools = functionTools(request);
  const servers = mcpServers(request, deps.toolOrigins ?? [HERALD_ORIGIN]);
  const allowedTools: Record<string, string[]> = {};
  for (const s of servers) if (s.allowedTools) allowedTools[s.serverLabel] = s.allowedTools;
  const parent: ChainPosition | null = parentMeta
    ? { id: parentMeta.id, root: parentMeta.root, depth: parentMeta.depth }
    : null;
  return {
    request,
    id,
    input,
    parent,
    conversation: name !== null && log === null ? { name, expected: expected! } : null,
    log,
    store: request.store !== false,
    base: baseResponse(request, {
      id,
      createdAt: Math.floor(Date.now() / 1000),
      model: request.model ?? deps.modelName ?? "herald",
      instructions,
      previousResponseId: parentMeta?.id ?? null,
      conversation: name,
      store: request.store !== false,
      hostedTools: servers.map((s) => s.echo),
    }, request.background ? "queued" : "in_progress"),
    turn: {
      platform: "api_server",
      messages,
      instructions: instructions ?? undefined,
      clientTools: tools.map((t) => ({
        name: t.name,
        description: t.description ?? undefined,
        parameters: t.parameters ?? undefined,
        ...(t.strict != null ? { strict: t.strict } : {}),
      })),
      toolChoice: tools.length ? request.tool_choice : undefined,
      ...(Object.keys(allowedTools).length ? { allowedTools } : {}),
      sessionKey: name ?? parent?.root ?? id,
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      maxOutputTokens: request.max_output_tokens ?? undefined,
    },
  };
}

/**
 * Maps how the agent's turn ended to the Response status. An aborted run is never
 * `completed`: the SDK the agent streams through can end an aborted stream quietly.
 */
function finalStatus(result: TurnResult, cancelled: boolean, aborted: boolean): FinalStatus {
  if (cancelled) return "cancelled";
  if (result.status === "failed") return "failed";
  if (result.status === "completed" && !aborted) return "completed";
  if (result.status === "completed") result.incompleteReason ??= "interrupted";
  return "incomplete";
}

/** Drives the agent through an emitter; returns the final result. */
async function drive(
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  run: Run,
  emitter: ResponseEmitter,
  events?: AsyncGenerator<AgentEvent, unknown>,
): Promise<TurnResult> {
  const stream = events ?? deps.agent.run(prepared.turn, { signal: run.signal });
  let final: TurnResult | undefined;
  const consume = (event: AgentEvent) => {
    if (event.type === "final") final = event.result;
    else emitter.handle(event);
  };
  for await (const event of stream) consume(event);
  return final ?? {
    status: "failed",
    text: "",
    messages: [],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    finishReason: "stop",
    clientToolCalls: [],
    error: { message: "The agent ended without a result.", code: "agent_error" },
  };
}

/** Stores the final state (unless `store: false`). */
async function save(
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  response: ResponseObject,
  active = false,
): Promise<void> {
  if (prepared.log && !active && response.status !== "failed") {
    const output = (response.output as ResponseItem[] | undefined) ?? [];
    await deps.store.conversations.append(prepared.log, [...prepared.input, ...output]);
  }
  if (!prepared.store) return;
  await deps.store.save({
    response,
    input: prepared.input,
    parent: prepared.parent,
    conversation: active ? null : prepared.conversation,
    active,
  });
  // After a conversation turn is stored, the next one must check against the new head.
  if (prepared.conversation && !active) {
    prepared.conversation.expected = await deps.store.conversationHead(prepared.conversation.name);
  }
}

async function runPlain(
  req: Request,
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  run: Run,
  stored: () => void,
): Promise<Response> {
  const onAbort = () => run.abort("client disconnected");
  req.signal.addEventListener("abort", onAbort, { once: true });
  const emitter = new ResponseEmitter(prepared.base, () => {}, { coalesceMs: 0 });
  try {
    emitter.start(false);
    const result = await drive(prepared, deps, run, emitter);
    const final = emitter.finish(result, finalStatus(result, false, run.signal.aborted));
    await save(prepared, deps, final);
    if (result.status === "failed") return errorResponse(turnError(result));
    return jsonResponse(final);
  } finally {
    emitter.dispose();
    req.signal.removeEventListener("abort", onAbort);
    run.finish();
    stored();
  }
}

async function runStream(
  req: Request,
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  run: Run,
  stored: () => void,
): Promise<Response> {
  const onEarlyAbort = () => run.abort("client disconnected");
  req.signal.addEventListener("abort", onEarlyAbort, { once: true });
  const events = deps.agent.run(prepared.turn, { signal: run.signal });
  let handedOver = false;
  try {
    const started = await startStreamedTurn(events);
    if ("failed" in started) return errorResponse(turnError(started.failed));
    req.signal.removeEventListener("abort", onEarlyAbort);
    handedOver = true;
    return sseResponse({
      keepAliveMs: deps.keepAliveMs,
      onCancel: () => run.abort("client disconnected"),
      produce: async (writer: SseWriter) => {
        const emitter = new ResponseEmitter(
          prepared.base,
          (e) => writer.send(e, e.type),
          { coalesceMs: deps.coalesceMs },
        );
        try {
          emitter.start(false);
          const result = await drive(prepared, deps, run, emitter, started.events);
          const final = emitter.finish(result, finalStatus(result, false, run.signal.aborted));
          // Stored before the terminal event, so what the client saw finish is durable.
          await save(prepared, deps, final).catch((e) => {
            if (!writer.closed) throw e;
          });
          emitter.emitTerminal(final);
          writer.sendRaw("[DONE]");
        } finally {
          emitter.dispose();
          run.finish();
          stored();
        }
      },
    });
  } finally {
    req.signal.removeEventListener("abort", onEarlyAbort);
    if (!handedOver) {
      run.finish();
      stored();
    }
  }
}

async function runBackground(
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  run: Run,
  stored: () => void,
): Promise<Response> {
  const live = new LiveRun(true, (reason) => run.abort(reason));
  let persisted = 0;
  const persist = async () => {
    const pending = live.events.slice(persisted);
    persisted = live.events.length;
    await deps.store.appendEvents(prepared.id, pending);
  };
  const emitter = new ResponseEmitter(prepared.base, (e) => live.push(e), {
    coalesceMs: deps.coalesceMs,
  });
  emitter.start(true);
  const accepted = emitter.snapshot();
  await save(prepared, deps, accepted, true);
  await persist();
  deps.live.add(prepared.id, live);
  const timer = setInterval(() => persist().catch(() => {}), 250);
  (async () => {
    try {
      const result = await drive(prepared, deps, run, emitter);
      const final = emitter.finish(result, finalStatus(result, live.cancelled, run.signal.aborted));
      await save(prepared, deps, final);
      emitter.emitTerminal(final);
    } catch (error) {
      console.error(`Background response ${prepared.id} failed to finish:`, error);
    } finally {
      clearInterval(timer);
      emitter.dispose();
      await persist().catch(() => {});
      run.finish();
      live.end();
      stored();
    }
  })();
  if (prepared.request.stream) return streamLive(live, prepared.id, -1, deps);
  return jsonResponse(accepted);
}

/** Streams a running response's events after `after`, following it to the end. */
export function streamLive(
  live: LiveRun,
  _id: string,
  after: number,
  deps: Pick<ResponsesDeps, "keepAliveMs">,
): Response {
  const stop = new AbortController();
  return sseResponse({
    keepAliveMs: deps.keepAliveMs,
    onCancel: () => stop.abort(),
    produce: async (writer) => {
      for await (const event of live.follow(after, stop.signal)) writer.send(event, event.type);
      if (!stop.signal.aborted) writer.sendRaw("[DONE]");
    },
  });
}

/** Streams stored events after `after` (a response that is no longer running here). */
export function streamStored(events: ResponseStreamEvent[], after: number): Response {
  return sseResponse({
    produce: (writer) => {
      for (const event of events) if (event.sequence_number > after) writer.send(event, event.type);
      writer.sendRaw("[DONE]");
      return Promise.resolve();
    },
  });
}

/** A 400 for cancelling a response that did not run in the background. */
export function notBackgroundError(id: string): HeraldError {
  return new InvalidRequestError(
    `Response '${id}' was not created with background: true; only background responses can be cancelled.`,
    { code: "invalid_value", param: "response_id" },
  );
}
