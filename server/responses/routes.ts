/**
 * The Responses API routes: create (over HTTP and WebSocket), compact, retrieve (with stream replay), delete, input items
 * and cancel; and the Conversations API beside them.
 * @module
 */
import { InvalidRequestError, NotFoundError } from "../errors.ts";
import { jsonResponse } from "../error_envelope.ts";
import type { RequestContext, Route } from "../router.ts";
import { createResponse } from "./create.ts";
import type { ResponsesDeps } from "./deps.ts";
import { streamLive, streamStored } from "./replay.ts";
import type { ResponseStreamEvent } from "./emitter.ts";
import { compactResponse } from "./compact.ts";
import { conversationRoutes } from "./conversations.ts";
import { paginate } from "./pagination.ts";
import { responsesWebSocketRoute } from "./websocket.ts";

export type { ResponsesDeps } from "./deps.ts";

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Response with id '${id}' not found.`, { param: "response_id" });
}

/**
 * The Responses API route entries, ready for the router.
 *
 * @example
 * ```ts
 * const routes = responsesRoutes({ agent, runs, store, maxBodyBytes, live: new LiveRuns() });
 * ```
 */
export function responsesRoutes(deps: ResponsesDeps): Route[] {
  return [
    {
      method: "POST",
      path: "/v1/responses",
      runsAgent: true,
      handler: (req, ctx) => createResponse(req, ctx, deps),
    },
    responsesWebSocketRoute(deps),
    {
      method: "POST",
      path: "/v1/responses/compact",
      runsAgent: true,
      handler: (req) => compactResponse(req, deps),
    },
    { method: "GET", path: "/v1/responses/:id", handler: (_req, ctx) => retrieve(ctx, deps) },
    { method: "DELETE", path: "/v1/responses/:id", handler: (_req, ctx) => remove(ctx, deps) },
    {
      method: "GET",
      path: "/v1/responses/:id/input_items",
      handler: (_req, ctx) => inputItems(ctx, deps),
    },
    {
      method: "POST",
      path: "/v1/responses/:id/cancel",
      handler: (_req, ctx) => cancel(ctx, deps),
    },
    ...conversationRoutes(deps),
  ];
}

async function retrieve(ctx: RequestContext, deps: ResponsesDeps): Promise<Response> {
  const id = ctx.params.id;
  const response = await deps.store.get(id);
  if (!response) throw notFound(id);
  if (ctx.url.searchParams.get("stream") !== "true") return jsonResponse(response);
  const afterParam = ctx.url.searchParams.get("starting_after");
  const after = afterParam === null ? -1 : Number(afterParam);
  if (!Number.isInteger(after) || after < -1) {
    throw new InvalidRequestError("starting_after must be an integer sequence number.", {
      param: "starting_after",
    });
  }
  if (!response.background) {
    throw new InvalidRequestError(
      `Response '${id}' was not created with background: true; only background responses can be streamed again.`,
      { param: "stream" },
    );
  }
  const live = deps.live.get(id);
  if (live) return streamLive(live, id, after, deps);
  return streamStored(await deps.store.events<ResponseStreamEvent>(id, after), after);
}

async function remove(ctx: RequestContext, deps: ResponsesDeps): Promise<Response> {
  const id = ctx.params.id;
  if (!(await deps.store.delete(id))) throw notFound(id);
  return jsonResponse({ id, object: "response.deleted", deleted: true });
}

async function inputItems(ctx: RequestContext, deps: ResponsesDeps): Promise<Response> {
  const id = ctx.params.id;
  const items = await deps.store.inputItems(id);
  if (!items) throw notFound(id);
  return jsonResponse(paginate(items, ctx.url.searchParams));
}

async function cancel(ctx: RequestContext, deps: ResponsesDeps): Promise<Response> {
  const id = ctx.params.id;
  const response = await deps.store.get(id);
  if (!response) throw notFound(id);
  if (!response.background) throw notBackgroundError(id);
  const live = deps.live.get(id);
  if (live && !live.ended) {
    live.cancel();
    await live.done;
  }
  const after = await deps.store.get(id);
  if (!after) throw notFound(id);
  return jsonResponse(after);
}

/** A 400 for cancelling a response that did not run in the background. */
function notBackgroundError(id: string): InvalidRequestError {
  return new InvalidRequestError(
    `Response '${id}' was not created with background: true; only background responses can be cancelled.`,
    { code: "invalid_value", param: "response_id" },
  );
}
