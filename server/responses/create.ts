/**
 * `POST /v1/responses`: resolve the chain (previous_response_id or conversation name), rebuild
 * the history from stored turns, run the agent, and answer as JSON, as an SSE stream, or in the
 * background — storing only this turn's items.
 * @module
 */
import { InvalidRequestError } from "../../agent/mod.ts";
import { parseBody, readJsonBody } from "../body.ts";
import { shuttingDownError, startTurn as startStreamedTurn, turnError } from "../turns.ts";
import { errorResponse, jsonResponse } from "../error_envelope.ts";
import type { Run } from "../runs.ts";
import { sseResponse, type SseWriter } from "../sse.ts";
import { runBackground } from "./background.ts";
import type { ResponsesDeps } from "./deps.ts";
import { ResponseEmitter } from "./emitter.ts";
import { drive, finalStatus, save } from "./outcome.ts";
import { type ConversationTurn, prepare, type PreparedTurn } from "./prepare.ts";
import { conversationName, type ResponseRequest, ResponseRequestSchema } from "./request.ts";

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
          { coalesceMs: deps.coalesceMs, backlogged: () => writer.backlogged },
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
