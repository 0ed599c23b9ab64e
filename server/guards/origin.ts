/**
 * CORS, off by default. Any web page the user opens can send requests to localhost; if Herald
 * answered them, the page could drive an agent with a shell. So a request carrying an Origin that
 * is not on `api_server.cors_origins` is refused with 403 before it reaches anything (preflights
 * included), and only listed origins get CORS headers. The one exception is Herald's own origin —
 * the built-in web chat's requests, which browsers mark with `Origin` like any other POST: an
 * Origin whose authority is exactly the request's Host, when that Host is a name Herald answers to
 * (loopback or `api_server.allowed_hosts`), is same-origin and passes without CORS headers.
 * @module
 */
import { HeraldError } from "../errors.ts";
import type { Middleware, RequestContext } from "../router.ts";
import { setHeaders, settle } from "./settle.ts";
import { hostAcceptor } from "./host.ts";

type Next = Parameters<Middleware>[2];

/** Options for {@link originGuard}. */
export interface OriginGuardOptions {
  /** Allowed origins, exact match (`https://chat.example.com`); `*` allows every origin. */
  origins: readonly string[];
  /**
   * Extra Host names Herald answers to (`api_server.allowed_hosts`): a page served under one of
   * them, or under a loopback name, may call the API from its own origin.
   */
  allowedHosts?: readonly string[];
}

/** Request headers a browser client may send: the openai SDK's set plus Herald's own. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "idempotency-key",
  "x-request-id",
  "openai-organization",
  "openai-project",
];
const ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS";
const MAX_AGE = "600";
const EXPOSED_HEADERS = "X-Request-Id, Retry-After";

function allowedHeader(name: string): boolean {
  return ALLOWED_HEADERS.includes(name) || /^x-stainless-[a-z0-9-]+$/.test(name);
}

/**
 * The Access-Control-Allow-Headers value for a preflight: the requested headers that are in the
 * allow-set (so the openai SDK's changing `x-stainless-*` names keep working), or the base list.
 */
function allowHeadersFor(requested: string | null): string {
  if (!requested) return ALLOWED_HEADERS.join(", ");
  const names = requested.split(",").map((h) => h.trim().toLowerCase()).filter(allowedHeader);
  return [...new Set([...ALLOWED_HEADERS, ...names])].join(", ");
}

/** Normalises an origin for comparison: lower case, no trailing slash. */
function normalise(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, "");
}

/**
 * True when `origin` is the page's own: http(s), its authority (name and port) exactly the Host
 * header, and that Host one Herald answers to. A DNS-rebinding page has a foreign Host (refused
 * by the Host guard, and here); a page elsewhere has a foreign Origin.
 */
function isOwnOrigin(
  origin: string,
  host: string | null,
  accepts: (host: string) => boolean,
): boolean {
  if (host === null || !accepts(host)) return false;
  const match = /^(https?):\/\/([^/?#@]+)$/i.exec(origin.trim());
  return match !== null && match[2].toLowerCase() === host.trim().toLowerCase();
}

/**
 * Builds the origin guard. Requests without an Origin header (curl, SDKs, server-side apps) pass
 * untouched. A preflight from an allowed origin is answered 204 without auth.
 *
 * @example
 * ```ts
 * originGuard({ origins: ["https://chat.example.com"] });
 * ```
 */
export function originGuard(options: OriginGuardOptions): Middleware {
  const origins = new Set(options.origins.map(normalise).filter((o) => o !== ""));
  const any = origins.has("*");

  const ownHost = hostAcceptor(options.allowedHosts ?? []);

  const guard = async (req: Request, ctx: RequestContext, next: Next, origin: string) => {
    if (isOwnOrigin(origin, req.headers.get("host"), ownHost)) return await next();
    if (!any && !origins.has(normalise(origin))) {
      throw new HeraldError(
        `Origin '${origin.slice(0, 200)}' is not allowed to call this gateway. ` +
          "Add it to api_server.cors_origins (API_SERVER_CORS_ORIGINS) to allow it.",
        { status: 403, type: "invalid_request_error", code: "origin_not_allowed" },
      );
    }
    const cors: Record<string, string> = {
      "Access-Control-Allow-Origin": origin,
      "Vary": "Origin",
    };
    if (req.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          ...cors,
          "Access-Control-Allow-Methods": ALLOWED_METHODS,
          "Access-Control-Allow-Headers": allowHeadersFor(
            req.headers.get("access-control-request-headers"),
          ),
          "Access-Control-Max-Age": MAX_AGE,
          "Vary": "Origin, Access-Control-Request-Headers",
        },
      });
    }
    const res = await settle(next, ctx);
    return setHeaders(res, { ...cors, "Access-Control-Expose-Headers": EXPOSED_HEADERS });
  };
  // Most requests (SDKs, curl) carry no Origin: they pass without an async call of their own.
  return (req, ctx, next) => {
    const origin = req.headers.get("origin");
    return origin === null ? next() : guard(req, ctx, next, origin);
  };
}
