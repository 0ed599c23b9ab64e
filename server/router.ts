/**
 * A small route table: method + path pattern (`/v1/responses/:id`) → handler.
 * Unknown paths are 404 and known paths with the wrong method 405, both in the error envelope.
 * @module
 */

import type { HeraldError } from "./errors.ts";
import type { KeyIdentity } from "./keyring.ts";

/** What every handler and middleware gets besides the request. */
export interface RequestContext {
  /** Echoed as `X-Request-Id`. */
  requestId: string;
  /**
   * The client's address, for logs and throttling: the peer, or, when the peer is one of
   * `api_server.trusted_proxies`, the address its `X-Forwarded-For` names.
   */
  remoteAddr: string;
  /** The address the connection came from (the proxy, behind one). */
  peerAddr?: string;
  /**
   * Who the request is, when it carries an accepted key (or auth is off): the key's name and
   * scope, never the key. Undefined without a valid key. Handlers keep each key's stored
   * objects apart by `key.name`; the request log and the audit trail name it.
   */
  key?: KeyIdentity;
  /**
   * Set when the request line or Host cannot be served (a malformed authority, no Host): the
   * pipeline answers it with this 400 instead of routing.
   */
  malformed?: HeraldError;
  /**
   * Resolves once the response has been sent (`"sent"`) or could not be (`"failed"`: the client
   * left, or the connection broke, e.g. on malformed chunked framing). Never rejects.
   */
  completed?: Promise<"sent" | "failed">;
  /** The parsed request URL. */
  url: URL;
  /** Path parameters, e.g. `{ id: "resp_1" }` for `/v1/responses/:id`. */
  params: Record<string, string>;
  /** The matched route, once routing has happened. */
  route?: Route;
  /**
   * Records an unexpected error (a bug, not a HeraldError) once, with its cause and this
   * request's id. Set by the app; guards that turn errors into responses call it first.
   */
  reportUnexpected?: (error: unknown) => void;
  /**
   * The SHA-256 (hex) of the request's bearer token, when auth is on and it carries one: the
   * key lookup's, kept so that the approvals' caller fingerprint need not hash the token again.
   */
  tokenDigest?: string;
  /** The name of the API key the request authenticated with, for the log and the audit trail. */
  keyName?: string;
  /** How the agent turn behind the request ended; set by the turn driver for the request log. */
  outcome?: RequestOutcome;
}

/** How the turn behind a request really ended (a 200 stream can still have failed). */
export interface RequestOutcome {
  status: "completed" | "incomplete" | "cancelled" | "failed";
  /** The error code (`upstream_unreachable`…) or the incomplete reason (`max_iterations`…). */
  code?: string;
  /** What went wrong, in words. */
  cause?: string;
}

/** Handles one request. */
export type Handler = (req: Request, ctx: RequestContext) => Response | Promise<Response>;

/**
 * Wraps the rest of the pipeline; call `next()` to go on, or `next(request)` to hand a replacement
 * request downstream (e.g. one whose body was already read and buffered).
 */
export type Middleware = (
  req: Request,
  ctx: RequestContext,
  next: (req?: Request) => Promise<Response>,
) => Promise<Response>;

/** One route. */
export interface Route {
  method: "GET" | "POST" | "DELETE" | "PUT" | "PATCH";
  /** A path with `:name` segments. */
  path: string;
  handler: Handler;
  /** Whether the bearer key is required; default true. */
  auth?: boolean;
  /** Whether the route starts an agent run (counted against the concurrency limit). */
  runsAgent?: boolean;
  /**
   * For a route with a credential of its own (a webhook's secret or signature): whether the
   * request carries it. The route's 401 and 403 answers count against the failed-auth throttle
   * like wrong API keys; once its source is throttled, the throttle asks `verify` and lets a
   * request that passes through, so the platform itself is never refused. `verify` must not
   * consume the request's body (read a clone).
   */
  verify?: (req: Request) => boolean | Promise<boolean>;
}

/** The outcome of matching a request against the table. */
export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

interface CompiledRoute {
  route: Route;
  segments: string[];
}

/**
 * Matches requests to routes.
 *
 * @example
 * ```ts
 * const router = new Router().add({ method: "GET", path: "/health", handler: () => new Response("ok") });
 * router.match("GET", "/health").kind; // "found"
 * ```
 */
export class Router {
  #routes: CompiledRoute[] = [];
  /**
   * Routes without parameters found before, by method and exact path (at most two entries per
   * route: its method and HEAD), so the common request skips the scan.
   */
  readonly #fixed = new Map<string, Route>();

  /** Adds routes; returns the router for chaining. */
  add(...routes: Route[]): this {
    for (const route of routes) {
      this.#routes.push({ route, segments: route.path.split("/").filter(Boolean) });
    }
    this.#fixed.clear();
    return this;
  }

  /** Finds the route for a method and path. */
  match(method: string, pathname: string): RouteMatch {
    const key = `${method} ${pathname}`;
    const known = this.#fixed.get(key);
    if (known) return { kind: "found", route: known, params: {} };
    const found = this.#scan(method, pathname);
    if (found.kind === "found" && found.route.path === pathname && !pathname.includes("/:")) {
      this.#fixed.set(key, found.route);
    }
    return found;
  }

  #scan(method: string, pathname: string): RouteMatch {
    const parts = pathname.split("/").filter(Boolean);
    const allow = new Set<string>();
    for (const { route, segments } of this.#routes) {
      const params = matchSegments(segments, parts);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { kind: "found", route, params };
      }
      allow.add(route.method);
    }
    if (allow.size > 0) return { kind: "method_not_allowed", allow: [...allow] };
    return { kind: "not_found" };
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | null {
  if (segments.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.startsWith(":")) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return null;
      }
      params[seg.slice(1)] = value;
    } else if (seg !== parts[i]) {
      return null;
    }
  }
  return params;
}
