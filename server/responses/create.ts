/**
 * `POST /v1/responses`: resolve the chain (previous_response_id or conversation name), rebuild
 * the history from stored turns, run the agent, and answer as JSON, as an SSE stream, or in the
 * background — storing only this turn's items.
 * @module
 */
import { driveTurn, failedResult } from "../../agent/mod.ts";
import { InvalidRequestError } from "../errors.ts";
import { parseBody, readJsonBody } from "../body.ts";
import { errorBody, errorResponse, jsonResponse } from "../error_envelope.ts";
import type { RequestContext } from "../router.ts";
import type { SseWriter } from "../sse.ts";
import { answerPlain, answerStream, type TurnCall } from "../turn_driver.ts";
import { shuttingDownError } from "../errors.ts";
import { turnError } from "../error_envelope.ts";
import { runBackground } from "./background.ts";
import type { ResponsesDeps } from "./deps.ts";
import { ResponseEmitter } from "./emitter.ts";
import { finalStatus, save, turnRunner } from "./outcome.ts";
import { callerScope } from "../approvals.ts";
import { type ConversationTurn, prepare, type PreparedTurn } from "./prepare.ts";
import { conversationName, type ResponseRequest, ResponseRequestSchema } from "./request.ts";

/** Handles `POST /v1/responses`. */
export async function createResponse(
  req: Request,
  ctx: RequestContext,
  deps: ResponsesDeps,
): Promise<Response> {
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
  if (name === null) return await startTurn(req, ctx, request, deps, null);

  // Turns on one conversation run one after another; the name is held until the turn is
  // stored, which for streams and background runs is after the HTTP response was handed over.
  return await new Promise<Response>((resolve, reject) => {
    deps.store.withConversation(name, async () => {
      let finished!: () => void;
      const turnDone = new Promise<void>((r) => finished = r);
      try {
        resolve(await startTurn(req, ctx, request, deps, { name, onStored: finished }));
      } catch (error) {
        reject(error);
        return;
      }
      await turnDone;
    }).catch(reject);
  });
}

async function startTurn(
  req: Request,
  ctx: RequestContext,
  request: ResponseRequest,
  deps: ResponsesDeps,
  conversation: ConversationTurn | null,
): Promise<Response> {
  const stored = () => conversation?.onStored();
  let handedOver = false;
  try {
    const scope = deps.approvals ? await callerScope(req, ctx) : "";
    const prepared = await prepare(request, deps, conversation?.name ?? null, undefined, scope);
    handedOver = true;
    if (request.background) return await runBackground(prepared, deps, stored);
    const call: TurnCall = {
      req,
      ctx,
      runs: deps.runs,
      runner: turnRunner(prepared, deps),
      turn: prepared.turn,
      onFinished: stored,
      streamText: deps.streamTokens,
    };
    if (request.stream) return await answerStreamed(call, prepared, deps);
    return await answerJson(call, prepared, deps);
  } finally {
    if (!handedOver) stored();
  }
}

/** Runs the turn, stores it, and answers with the Response object (or the error envelope). */
async function answerJson(
  call: TurnCall,
  prepared: PreparedTurn,
  deps: ResponsesDeps,
): Promise<Response> {
  const emitter = new ResponseEmitter(prepared.base, () => {}, {
    coalesceMs: 0,
    approvalItems: prepared.approvalItems,
  });
  try {
    emitter.start(false);
    return await answerPlain(call, {
      onEvent: (event) => {
        if (event.type !== "final") emitter.handle(event);
      },
      respond: async (result, run) => {
        const final = emitter.finish(result, finalStatus(result, false, run.signal.aborted));
        await save(prepared, deps, final);
        if (result.status === "failed") return errorResponse(turnError(result));
        return jsonResponse(final);
      },
    });
  } finally {
    emitter.dispose();
  }
}

/**
 * Streams the turn as Responses events. The final state is stored before the terminal event,
 * so what the client saw finish is durable; a failure after the hand-over (a failed save, say)
 * ends the stream with `error`, `response.failed` and `[DONE]`.
 */
function answerStreamed(
  call: TurnCall,
  prepared: PreparedTurn,
  deps: ResponsesDeps,
): Promise<Response> {
  let out: SseWriter | undefined;
  const emitter = new ResponseEmitter(prepared.base, (e) => out?.send(e, e.type), {
    coalesceMs: deps.coalesceMs,
    backlogged: () => out?.backlogged ?? false,
    approvalItems: prepared.approvalItems,
  });
  return answerStream(call, {
    keepAliveMs: deps.keepAliveMs,
    render: async (events, writer, run) => {
      out = writer;
      try {
        emitter.start(false);
        const result = await driveTurn(events, (event) => {
          if (event.type !== "final") emitter.handle(event);
        });
        const final = emitter.finish(result, finalStatus(result, false, run.signal.aborted));
        await save(prepared, deps, final);
        emitter.emitTerminal(final);
        writer.sendRaw("[DONE]");
      } finally {
        emitter.dispose();
      }
    },
    fail: (error, writer) => {
      out = writer;
      const { message, code } = errorBody(error);
      const failed = emitter.finish(
        failedResult({ message, code: code ?? "internal_error" }),
        "failed",
      );
      emitter.emitTerminal(failed);
      emitter.dispose();
      writer.sendRaw("[DONE]");
    },
  });
}
