/**
 * The Response object (`object: "response"`) with every field OpenAI clients and the Open
 * Responses schema require.
 * @module
 */
import type { Usage } from "../../agent/mod.ts";
import type { ResponseObject } from "../../store/mod.ts";
import { customTools, functionTools, type ResponseRequest } from "./request.ts";

/** Who a response is and where it sits, beside the request's own fields. */
export interface ResponseIdentity {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  model: string;
  /** The effective instructions (this request's, or carried forward from the previous one). */
  instructions: string | null;
  previousResponseId: string | null;
  conversation: string | null;
  store: boolean;
  /** The request's `mcp` tools as echoed (see `DeclaredMcpServer.echo`). */
  hostedTools?: Record<string, unknown>[];
}

/** A fresh Response object in the given status, with empty output and no usage. */
export function baseResponse(
  request: ResponseRequest,
  identity: ResponseIdentity,
  status: "queued" | "in_progress",
): ResponseObject {
  return {
    id: identity.id,
    object: "response",
    created_at: identity.createdAt,
    completed_at: null,
    status,
    error: null,
    incomplete_details: null,
    instructions: identity.instructions,
    model: identity.model,
    output: [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    temperature: request.temperature ?? 1,
    top_p: request.top_p ?? 1,
    presence_penalty: request.presence_penalty ?? 0,
    frequency_penalty: request.frequency_penalty ?? 0,
    top_logprobs: request.top_logprobs ?? 0,
    tool_choice: request.tool_choice ?? "auto",
    tools: [...functionTools(request), ...customTools(request), ...identity.hostedTools ?? []],
    truncation: request.truncation ?? "disabled",
    text: request.text ?? { format: { type: "text" } },
    reasoning: request.reasoning ?? null,
    usage: null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    previous_response_id: identity.previousResponseId,
    store: identity.store,
    background: request.background ?? false,
    service_tier: request.service_tier ?? "default",
    metadata: request.metadata ?? {},
    safety_identifier: request.safety_identifier ?? null,
    prompt_cache_key: request.prompt_cache_key ?? null,
    // Not a field of the Open Responses object: echoed only when the client sent it.
    ...(request.user != null ? { user: request.user } : {}),
    ...(identity.conversation ? { conversation: { id: identity.conversation } } : {}),
  };
}

/** The Responses `usage` object for a turn's usage. */
export function responseUsage(u: Usage) {
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens,
  };
}
