/**
 * `background: true`: the turn is stored as queued, runs detached from the request, keeps its
 * events for replay, and can be followed live or cancelled.
 * @module
 */
import { driveTurn, turnEvents } from "../../agent/mod.ts";
import { jsonResponse } from "../error_envelope.ts";
import type { Run } from "../runs.ts";
import type { ResponsesDeps } from "./deps.ts";
import { ResponseEmitter } from "./emitter.ts";
import { LiveRun } from "./live_runs.ts";
import { finalStatus, save, turnRunner } from "./outcome.ts";
import type { PreparedTurn } from "./prepare.ts";
import { streamLive } from "./replay.ts";

/**
 * Starts a background turn; answers with the queued response (or its live stream). `stored` is
 * called once the turn has ended and is stored, or at once when it could not be started.
 */
export async function runBackground(
  prepared: PreparedTurn,
  deps: ResponsesDeps,
  stored: () => void,
): Promise<Response> {
  const run = deps.runs.begin();
  try {
    return await startBackground(prepared, deps, run, stored);
  } catch (error) {
    run.finish();
    stored();
    throw error;
  }
}

async function startBackground(
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
    approvalItems: prepared.approvalItems,
  });
  emitter.start(true);
  const accepted = emitter.snapshot();
  await save(prepared, deps, accepted, true);
  await persist();
  deps.live.add(prepared.id, live);
  const timer = setInterval(() => persist().catch(() => {}), 250);
  (async () => {
    try {
      const events = turnEvents(turnRunner(prepared, deps), prepared.turn, {
        signal: run.signal,
        streamText: deps.streamTokens,
      });
      const result = await driveTurn(events, (event) => {
        if (event.type !== "final") emitter.handle(event);
      });
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
