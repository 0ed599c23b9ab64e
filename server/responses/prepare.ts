/**
 * Resolves a `POST /v1/responses` request into a turn: the chain it continues (previous response
 * id or conversation name), the history rebuilt from stored turns, the input items, and the
 * agent turn to run.
 * @module
 */
import type { AgentTurn, ApprovalDecision, TurnApprovals } from "../../agent/mod.ts";
import { decisionsFor, deferredApprovals, takeAnswer, textContinuation } from "../approvals.ts";
import { HERALD_ORIGIN } from "../../agent/mod.ts";
import { InvalidRequestError } from "../errors.ts";
import type { ChatMessage } from "../../agent/mod.ts";
import type { ConversationStore } from "../../store/mod.ts";
import type {
  ChainPosition,
  ConversationHead,
  ResponseItem,
  ResponseObject,
  StoredResponse,
} from "../../store/mod.ts";
import type { ResponsesDeps } from "./deps.ts";
import {
  answerDanglingCalls,
  itemsToMessages,
  itemsToRawMessages,
  newId,
  normaliseInput,
  withoutKnownItems,
} from "./items.ts";
import {
  customToolAsFunction,
  customTools,
  functionTools,
  mcpServers,
  type ResponseRequest,
  unservedToolTypes,
  upstreamParams,
  upstreamToolChoice,
} from "./request.ts";
import { baseResponse } from "./response_object.ts";
import { DEFAULT_CONTEXT_TOKENS, truncateHistory } from "./truncate.ts";

export interface ConversationTurn {
  name: string;
  /** Called once the turn is stored (or abandoned), releasing the name. */
  onStored: () => void;
}

/** Everything a running turn needs after the request was resolved. */
export interface PreparedTurn {
  request: ResponseRequest;
  id: string;
  input: ResponseItem[];
  /** The items before this turn's input (the rebuilt chain), oldest first. */
  history: ResponseItem[];
  /**
   * Set when the previous response came from a connection-local chain (WebSocket mode) rather
   * than the store: a stored turn then keeps the whole history as its input.
   */
  localParent: boolean;
  parent: ChainPosition | null;
  conversation: { name: string; expected: ConversationHead } | null;
  /** A Conversations API id whose item log this turn reads and, once done, extends. */
  log: string | null;
  store: boolean;
  base: ResponseObject;
  turn: AgentTurn;
  /** How the turn asks for approvals (deferred to a later request), when approvals are on. */
  approvals?: TurnApprovals;
  /**
   * True when pending approvals are reported as `mcp_approval_request` items (the client
   * declared Herald's `mcp` tool); otherwise they are asked in words.
   */
  approvalItems: boolean;
  /** Who may answer this turn's approvals. */
  scope: string;
}

/** A response a connection keeps in memory (WebSocket mode), so `store: false` chains work. */
export interface LocalResponse {
  id: string;
  /** The whole chain up to and including the response's output. */
  items: ResponseItem[];
  instructions: string | null;
}

/**
 * Resolves the request into a turn ready to run; throws a 400 for a chain or input that cannot
 * run. `local` finds responses a connection holds (WebSocket mode) before the store is asked.
 */
export async function prepare(
  request: ResponseRequest,
  deps: ResponsesDeps,
  name: string | null,
  local?: (id: string) => LocalResponse | null,
  scope = "",
): Promise<PreparedTurn> {
  const { store } = deps;
  // First: an unknown model is refused before anything is looked up.
  const route = deps.models?.resolve(request.model).route;
  let parentMeta: StoredResponse | null = null;
  let expected: ConversationHead | null = null;
  const localParent = request.previous_response_id
    ? local?.(request.previous_response_id) ?? null
    : null;
  if (request.previous_response_id && !localParent) {
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
  const instructions = request.instructions ?? localParent?.instructions ??
    (parentMeta?.response.instructions as string | null | undefined) ?? null;
  const historyItems = localParent
    ? localParent.items
    : log
    ? await store.conversations.items(log)
    : history.flatMap((t) => [...t.input, ...t.output]);
  const input = withoutKnownItems(sent, historyItems);
  checkToolOutputs(historyItems, input);
  // Answers to approvals (mcp_approval_response items); echoes of answers whose call already
  // ran (the Agents SDK resends the whole history) are history, not answers.
  const ran = new Set(
    [...historyItems, ...input].filter((i) => i.type === "mcp_call" && i.approval_request_id)
      .map((i) => String(i.approval_request_id)),
  );
  const answers = input.flatMap((item, index) => {
    if (item.type !== "mcp_approval_response") return [];
    const id = typeof item.approval_request_id === "string" ? item.approval_request_id : "";
    if (ran.has(id)) return [];
    if (!deps.approvals) {
      throw new InvalidRequestError("Approvals are not enabled on this gateway.", {
        code: "invalid_value",
        param: `input[${index}]`,
      });
    }
    const reason = typeof item.reason === "string" && item.reason ? item.reason : undefined;
    return [{
      id,
      index,
      decision: { approved: item.approve === true, ...(reason ? { reason } : {}) },
    }];
  });
  const waiting = new Set(answers.map((a) => a.id));
  // Converted together: a client tool call in the history is answered by this input.
  let messages: ChatMessage[] = request.truncation === "auto"
    ? answerDanglingCalls(
      truncateHistory(itemsToRawMessages(historyItems), itemsToRawMessages(input), {
        budget: deps.contextTokens ?? DEFAULT_CONTEXT_TOKENS,
        reserved: Math.ceil((instructions?.length ?? 0) / 4),
      }),
      waiting,
    )
    : itemsToMessages([...historyItems, ...input], waiting);
  let approvalDecisions: Record<string, ApprovalDecision> | undefined;
  if (deps.approvals && answers.length > 0) {
    approvalDecisions = {};
    for (const answer of answers) {
      const approval = await takeAnswer(
        deps.approvals.store,
        answer.id,
        scope,
        answer.decision,
        `input[${answer.index}].approval_request_id`,
      );
      Object.assign(approvalDecisions, decisionsFor(approval, answer.decision));
      // A client may send nothing but the answer: the paused turn comes from the gateway.
      const present = messages.some((m) =>
        m.role === "assistant" &&
        m.tool_calls?.some((c) => c.id === approval.id || c.id === approval.call.id)
      );
      if (!present) {
        messages.push(...await deps.approvals.store.turn<ChatMessage[]>(approval.id) ?? []);
      }
    }
  } else if (deps.approvals) {
    const text = await textContinuation(messages, deps.approvals.store, scope);
    if (text) {
      messages = text.messages;
      approvalDecisions = text.decisions;
    }
  }
  if (!approvalDecisions && !messages.some((m) => m.role === "user" || m.role === "tool")) {
    throw new InvalidRequestError("input must contain a user message or a function_call_output.", {
      code: "invalid_value",
      param: "input",
    });
  }
  const id = newId("resp");
  const tools = [
    ...functionTools(request).map((t) => ({
      name: t.name,
      description: t.description ?? undefined,
      parameters: t.parameters ?? undefined,
      ...(t.strict != null ? { strict: t.strict } : {}),
    })),
    ...customTools(request).map(customToolAsFunction),
  ];
  const unserved = unservedToolTypes(request);
  if (unserved.length) {
    console.warn(
      `Responses request ${id}: ignoring tool type(s) Herald cannot serve: ${unserved.join(", ")}.`,
    );
  }
  const servers = mcpServers(request, deps.toolOrigins?.() ?? [HERALD_ORIGIN]);
  const allowedTools: Record<string, string[]> = {};
  for (const s of servers) if (s.allowedTools) allowedTools[s.serverLabel] = s.allowedTools;
  const approvals = deps.approvals
    ? deferredApprovals(
      deps.approvals.mode,
      (origin, tool) =>
        servers.find((s) => s.serverLabel === origin)?.requireApproval(tool) ?? null,
    )
    : undefined;
  const parent: ChainPosition | null = parentMeta
    ? { id: parentMeta.id, root: parentMeta.root, depth: parentMeta.depth }
    : null;
  return {
    request,
    id,
    input,
    history: historyItems,
    localParent: localParent !== null,
    parent,
    conversation: name !== null && log === null ? { name, expected: expected! } : null,
    log,
    store: request.store !== false,
    ...(approvals ? { approvals } : {}),
    approvalItems: servers.some((s) => s.serverLabel === HERALD_ORIGIN),
    scope,
    base: baseResponse(request, {
      id,
      createdAt: Math.floor(Date.now() / 1000),
      model: request.model ?? deps.modelName ?? "herald",
      instructions,
      previousResponseId: parentMeta?.id ?? localParent?.id ?? null,
      conversation: name,
      store: request.store !== false,
      hostedTools: servers.map((s) => s.echo),
    }, request.background ? "queued" : "in_progress"),
    turn: {
      platform: "api_server",
      messages,
      instructions: instructions ?? undefined,
      clientTools: tools,
      toolChoice: tools.length ? upstreamToolChoice(request.tool_choice) : undefined,
      ...(Object.keys(allowedTools).length ? { allowedTools } : {}),
      ...(approvalDecisions ? { approvalDecisions } : {}),
      sessionKey: name ?? parent?.root ?? id,
      temperature: request.temperature ?? undefined,
      topP: request.top_p ?? undefined,
      maxOutputTokens: request.max_output_tokens ?? undefined,
      upstreamParams: upstreamParams(request),
      ...(route ? { route } : {}),
    },
  };
}

/**
 * A `function_call_output` must answer a call in the history or earlier in the input; sending
 * the model a result for a call it never made is broken history, so it is refused here.
 */
function checkToolOutputs(history: ResponseItem[], input: ResponseItem[]): void {
  const calls = new Set<string>();
  for (const item of history) {
    if (item.type === "function_call" || item.type === "custom_tool_call") {
      calls.add(String(item.call_id));
    }
  }
  input.forEach((item, index) => {
    if (item.type === "function_call" || item.type === "custom_tool_call") {
      calls.add(String(item.call_id));
    }
    if (
      (item.type === "function_call_output" || item.type === "custom_tool_call_output") &&
      !calls.has(String(item.call_id))
    ) {
      throw new InvalidRequestError(
        `No tool call found for ${item.type} with call_id '${item.call_id}' (input[${index}]).`,
        { code: "invalid_value", param: `input[${index}].call_id` },
      );
    }
  });
}

/** True when `name` is a `conv_…` id made with the Conversations API (not a plain name). */
export async function isApiConversation(
  store: ConversationStore,
  name: string,
): Promise<boolean> {
  if (!name.startsWith("conv_")) return false;
  return (await store.get(name)) !== null;
}
