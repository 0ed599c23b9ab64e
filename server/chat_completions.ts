/**
 * `POST /v1/chat/completions`: parse and authorise, run the agent, render its events as a
 * Chat Completions object or SSE stream.
 * @module
 */
import type { TurnResult, TurnRunner } from "../agent/mod.ts";
import { parseBody, readJsonBody } from "./body.ts";
import { randomHex } from "../lib/mod.ts";
import { ChatCompletionRequestSchema, toAgentTurn } from "./chat_request.ts";
import {
  endChatStreamWithError,
  finishReasonOf,
  renderChatCompletionStream,
  usageObject,
} from "./chat_stream.ts";
import { errorResponse, jsonResponse } from "./error_envelope.ts";
import type { ModelCatalog } from "./model_catalog.ts";
import type { RequestContext, Route } from "./router.ts";
import type { RunTracker } from "./runs.ts";
import { answerPlain, answerStream } from "./turn_driver.ts";
import { shuttingDownError } from "./errors.ts";
import { turnError } from "./error_envelope.ts";
import {
  approvingRunner,
  callerScope,
  deferredApprovals,
  type HttpApprovals,
  textContinuation,
} from "./approvals.ts";

/** Anything that runs agent turns: the turn contract (kept under its old name for callers). */
export type AgentRunner = TurnRunner;

/** What the endpoint needs. */
export interface ChatCompletionsDeps {
  agent: AgentRunner;
  runs: RunTracker;
  maxBodyBytes: number;
  /** Milliseconds of silence before a keep-alive comment; default 15 000. */
  keepAliveMs?: number;
  /**
   * `streaming.api_server`: when false, a streamed request still gets SSE, but the answer's text
   * arrives as one delta at the end of each segment instead of token by token.
   */
  streamTokens?: boolean;
  /**
   * Approvals: pending calls are asked in words, answered by a later user message
   * (`approve mcpr_…`); none asked without it.
   */
  approvals?: HttpApprovals;
  /** The model names and routes; without it every name runs on the default upstream. */
  models?: ModelCatalog;
}

function completionId(): string {
  return `chatcmpl-${randomHex(12)}`;
}

/** The Chat Completions route. */
export function chatCompletionRoutes(deps: ChatCompletionsDeps): Route[] {
  return [{
    method: "POST",
    path: "/v1/chat/completions",
    runsAgent: true,
    handler: (req, ctx) => handleChatCompletion(req, ctx, deps),
  }];
}

async function handleChatCompletion(
  req: Request,
  ctx: RequestContext,
  deps: ChatCompletionsDeps,
): Promise<Response> {
  const body = await readJsonBody(req, deps.maxBodyBytes);
  const request = parseBody(ChatCompletionRequestSchema, body);
  const turn = toAgentTurn(request);
  const route = deps.models?.resolve(request.model).route;
  if (route) turn.route = route;
  if (deps.runs.shuttingDown) throw shuttingDownError();
  const approvals = deps.approvals;
  const scope = approvals ? await callerScope(req, ctx) : "";
  if (approvals) {
    // The person's answer to a question asked in an earlier reply: the paused turn goes on.
    const answered = await textContinuation(turn.messages, approvals.store, scope);
    if (answered) {
      turn.messages = answered.messages;
      turn.approvalDecisions = answered.decisions;
    }
  }

  const identity = {
    id: completionId(),
    created: Math.floor(Date.now() / 1000),
    model: request.model ?? "herald",
  };
  const runner = approvals
    ? approvingRunner(deps.agent, deferredApprovals(approvals.mode), {
      store: approvals.store,
      scope,
      text: true,
    })
    : deps.agent;
  const call = { req, ctx, runs: deps.runs, runner, turn, streamText: deps.streamTokens };
  if (!request.stream) {
    return await answerPlain(call, {
      respond: (final) => {
        if (final.status === "failed") return errorResponse(turnError(final));
        // Aborted by shutdown (a client that left reads nothing): a 503 to retry, not a cut answer.
        if (final.status === "interrupted") return errorResponse(shuttingDownError());
        return jsonResponse(completionObject(final, identity));
      },
    });
  }
  // Not the parsed request: the renderer lives as long as the stream.
  const streamOptions = {
    ...identity,
    includeUsage: request.stream_options?.include_usage === true,
  };
  return await answerStream(call, {
    keepAliveMs: deps.keepAliveMs,
    render: async (events, writer) => {
      await renderChatCompletionStream(events, writer, streamOptions);
    },
    fail: endChatStreamWithError,
  });
}

/** The non-streamed `chat.completion` object. */
export function completionObject(
  result: TurnResult,
  identity: { id: string; created: number; model: string },
) {
  const text = result.messages
    .filter((m) => m.role === "assistant" && typeof m.content === "string" && m.content)
    .map((m) => m.content as string)
    .join("\n\n");
  const calls = result.clientToolCalls;
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: text || (calls.length ? null : ""),
        refusal: null,
        ...(calls.length ? { tool_calls: calls } : {}),
      },
      logprobs: null,
      finish_reason: finishReasonOf(result),
    }],
    usage: usageObject(result.usage),
  };
}
