/**
 * One namespace per API key: each key's stored responses, conversations (ids and names), input
 * items and background runs live under their own store, so another key's ids and names are
 * simply not there (404, never 403: no existence oracle). The `default` key (and every request
 * when auth is off) uses the store given in `deps`, which also holds what was stored before keys
 * had names.
 * @module
 */
import type { ResponseStore } from "../../store/mod.ts";
import type { RequestContext, Route } from "../router.ts";
import type { ResponsesDeps } from "./deps.ts";
import { responsesRoutes } from "./routes.ts";

/** The namespace every request without a named key uses. */
export const DEFAULT_NAMESPACE = "default";

/**
 * The Responses and Conversations routes, each request served from its key's own store.
 * `storeFor(name)` gives the store of a key other than `default` (called once per key name).
 *
 * @example
 * ```ts
 * const routes = namespacedResponsesRoutes(deps, (name) =>
 *   new ResponseStore(kv, { prefix: ["keys", name, "responses"] }));
 * ```
 */
export function namespacedResponsesRoutes(
  deps: ResponsesDeps,
  storeFor: (name: string) => ResponseStore,
): Route[] {
  const base = responsesRoutes(deps);
  const sets = new Map<string, Route[]>();
  const routesFor = (ctx: RequestContext): Route[] => {
    const name = ctx.key?.name ?? DEFAULT_NAMESPACE;
    if (name === DEFAULT_NAMESPACE) return base;
    let set = sets.get(name);
    if (!set) {
      // Built once per key: every route closes over that key's store and nothing else.
      set = responsesRoutes({ ...deps, store: storeFor(name) });
      sets.set(name, set);
    }
    return set;
  };
  return base.map((route, index) => ({
    ...route,
    handler: (req, ctx) => routesFor(ctx)[index].handler(req, ctx),
  }));
}
