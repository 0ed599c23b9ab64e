/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the model names clients select (the default and
 * the routes of `models:`).
 * @module
 */
import { NotFoundError } from "./errors.ts";
import { jsonResponse } from "./error_envelope.ts";
import { ModelCatalog } from "./model_catalog.ts";
import type { RequestContext, Route } from "./router.ts";

const CREATED = Math.floor(Date.now() / 1000);

/** The model object clients list. */
export function modelObject(id: string) {
  return { id, object: "model", created: CREATED, owned_by: "herald" };
}

/** Routes for the model list: the default name and every model route. */
export function modelRoutes(models: string | ModelCatalog): Route[] {
  const catalog = typeof models === "string" ? new ModelCatalog({ defaultName: models }) : models;
  return [
    {
      method: "GET",
      path: "/v1/models",
      handler: () =>
        jsonResponse({ object: "list", data: catalog.names.map((name) => modelObject(name)) }),
    },
    {
      method: "GET",
      path: "/v1/models/:id",
      handler: (_req, ctx) => {
        if (!catalog.has(ctx.params.id)) {
          throw new NotFoundError(
            `Model '${ctx.params.id}' does not exist. This gateway serves: ` +
              `${catalog.names.join(", ")}.`,
            { code: "model_not_found", param: "model" },
          );
        }
        return jsonResponse(modelObject(ctx.params.id));
      },
    },
  ];
}

/**
 * `GET /health` and `/v1/health`, without auth. `info` adds fields to `{status: "ok"}`; it gets
 * the request and its context (`ctx.key` is set for callers with a valid key), so it can keep
 * details from callers without one.
 */
export function healthRoutes(
  info: (req: Request, ctx: RequestContext) => Record<string, unknown>,
): Route[] {
  const handler = (req: Request, ctx: RequestContext) =>
    jsonResponse({ status: "ok", ...info(req, ctx) });
  return [
    { method: "GET", path: "/health", handler, auth: false },
    { method: "GET", path: "/v1/health", handler, auth: false },
  ];
}
