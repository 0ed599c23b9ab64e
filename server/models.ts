/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the one model id clients select.
 * @module
 */
import { NotFoundError } from "./errors.ts";
import { jsonResponse } from "./error_envelope.ts";
import type { Route } from "./router.ts";

const CREATED = Math.floor(Date.now() / 1000);

/** The model object clients list. */
export function modelObject(id: string) {
  return { id, object: "model", created: CREATED, owned_by: "herald" };
}

/** Routes for the model list. */
export function modelRoutes(modelName: string): Route[] {
  return [
    {
      method: "GET",
      path: "/v1/models",
      handler: () => jsonResponse({ object: "list", data: [modelObject(modelName)] }),
    },
    {
      method: "GET",
      path: "/v1/models/:id",
      handler: (_req, ctx) => {
        if (ctx.params.id !== modelName) {
          throw new NotFoundError(
            `Model '${ctx.params.id}' does not exist. This gateway serves '${modelName}'.`,
            { code: "model_not_found", param: "model" },
          );
        }
        return jsonResponse(modelObject(modelName));
      },
    },
  ];
}

/**
 * `GET /health` and `/v1/health`, without auth. `info` adds fields to `{status: "ok"}`; it gets
 * the request so it can keep details from callers without a key.
 */
export function healthRoutes(info: (req: Request) => Record<string, unknown>): Route[] {
  const handler = (req: Request) => jsonResponse({ status: "ok", ...info(req) });
  return [
    { method: "GET", path: "/health", handler, auth: false },
    { method: "GET", path: "/v1/health", handler, auth: false },
  ];
}
