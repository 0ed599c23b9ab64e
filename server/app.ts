/**
 * The request pipeline: request id → middleware (guards) → routing → auth → handler, with every
 * failure turned into the error envelope in one place.
 * @module
 */
import { AuthenticationError, HeraldError } from "./errors.ts";
import { bearerToken } from "./auth.ts";
import { type AddressRange, clientAddress, parseRange } from "./client_address.ts";
import { errorResponse, knownHttpError } from "./error_envelope.ts";
import {
  ANONYMOUS,
  type KeyIdentity,
  type KeyLookup,
  listKeyLookup,
  tokenDigest,
} from "./keyring.ts";
import { readRequestTarget } from "./request_target.ts";
import type { Middleware, RequestContext, Route } from "./router.ts";
import { Router } from "./router.ts";

/** What the app is built from. */
export interface AppOptions {
  routes: Route[];
  /** The accepted keys and who each is (a `Keyring`); takes precedence over `apiKeys`. */
  keys?: KeyLookup;
  /**
   * The accepted bearer keys as a plain list (read on every request so rotation takes effect):
   * the first is named `default`, the others by their hash. Ignored when `keys` is given.
   */
  apiKeys?: () => readonly string[];
  /** Addresses or CIDR ranges whose `X-Forwarded-For` is believed (`api_server.trusted_proxies`). */
  trustedProxies?: readonly string[];
  /** Run before routing, outermost first (origin, host and size guards, logging…). */
  middleware?: Middleware[];
  /**
   * Whether routes require the bearer key (default true). Only `api_server.auth: false` turns it
   * off, and startup refuses that on a non-loopback bind (server/guards/startup_checks.ts).
   */
  auth?: boolean;
  /**
   * Told about failures Herald does not know (bugs: not an HTTP, agent or store error): the client gets a generic 500, so this
   * is where their cause is recorded. Default: stderr.
   */
  onUnexpectedError?: (error: unknown, ctx: RequestContext) => void;
}

/** A Deno.serve handler. */
export type ServeHandler = (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;

/**
 * Builds the HTTP handler.
 *
 * @example
 * ```ts
 * const handler = createApp({ routes: healthRoutes(() => ({})), apiKeys: () => [key] });
 * Deno.serve({ port: 0 }, handler);
 * ```
 */
export function createApp(options: AppOptions): ServeHandler {
  const router = new Router().add(...options.routes);
  const middleware = options.middleware ?? [];
  const keys = options.keys ?? listKeyLookup(options.apiKeys ?? (() => []));
  const trusted: AddressRange[] = (options.trustedProxies ?? []).map(parseRange);
  const authOn = options.auth !== false;
  // Each unexpected error is logged once, whichever guard or handler meets it first.
  const reported = new WeakSet<object>();

  return async (req, info) => {
    const { url, malformed } = readRequestTarget(req);
    const peer = remoteAddress(info);
    const token = bearerToken(req);
    const ctx: RequestContext = {
      requestId: validRequestId(req.headers.get("x-request-id")) ?? crypto.randomUUID(),
      remoteAddr: clientAddress(peer, req.headers.get("x-forwarded-for"), trusted),
      peerAddr: peer,
      url,
      params: {},
      malformed,
      completed: completion(info),
    };
    if (!authOn) ctx.key = ANONYMOUS;
    else if (token !== null) {
      if (keys.identifyDigest) {
        ctx.tokenDigest = tokenDigest(token);
        ctx.key = keys.identifyDigest(ctx.tokenDigest) ?? undefined;
      } else ctx.key = keys.identify(token) ?? undefined;
    }
    // The log and the audit trail name the key (never the key itself); none with auth off.
    if (authOn && ctx.key) ctx.keyName = ctx.key.name;
    ctx.reportUnexpected = unexpectedReporter(ctx, reported, options.onUnexpectedError);
    const match = router.match(req.method, url.pathname);
    if (match.kind === "found") {
      ctx.route = match.route;
      ctx.params = match.params;
    }

    const dispatch = async (req: Request): Promise<Response> => {
      if (ctx.malformed) throw ctx.malformed;
      if (match.kind === "not_found") {
        throw new HeraldError(`Unknown route: ${req.method} ${url.pathname}`, {
          status: 404,
          type: "invalid_request_error",
          code: "unknown_route",
        });
      }
      if (match.kind === "method_not_allowed") {
        throw new HeraldError(
          `Method ${req.method} is not allowed on ${url.pathname}; use ${match.allow.join(", ")}.`,
          {
            status: 405,
            type: "invalid_request_error",
            code: "method_not_allowed",
            headers: { Allow: match.allow.join(", ") },
          },
        );
      }
      if (authOn && match.route.auth !== false) requireScope(req, ctx.key, token);
      return await match.route.handler(req, ctx);
    };

    let index = 0;
    let current = req;
    // Not an async function: each guard's call is one promise, not two. (A guard that throws
    // instead of rejecting is still caught: every caller awaits `next()` inside a try.)
    const next = (replacement?: Request): Promise<Response> => {
      if (replacement) current = replacement;
      const mw = middleware[index++];
      return mw ? mw(current, ctx, next) : dispatch(current);
    };

    let response: Response;
    try {
      response = await next();
    } catch (error) {
      ctx.reportUnexpected(error);
      response = errorResponse(error);
    }
    try {
      response.headers.set("X-Request-Id", ctx.requestId);
    } catch { /* immutable headers (a proxied response): leave them */ }
    return response;
  };
}

/**
 * How the server's sending of the response ended. Made outside the handler for the reason given
 * at {@link unexpectedReporter}: its callbacks wait until the response is sent.
 */
function completion(info: Deno.ServeHandlerInfo): Promise<"sent" | "failed"> | undefined {
  return info?.completed?.then(() => "sent" as const, () => "failed" as const);
}

/**
 * The request's `reportUnexpected`, made outside the handler: a closure made inside it would keep
 * the handler's whole scope (the request and the guards' copies of it) for as long as a streamed
 * response that may still report holds on to it.
 */
function unexpectedReporter(
  ctx: RequestContext,
  reported: WeakSet<object>,
  onUnexpectedError: AppOptions["onUnexpectedError"],
): (error: unknown) => void {
  return (error) => {
    if (knownHttpError(error)) return;
    if (typeof error === "object" && error !== null) {
      if (reported.has(error)) return;
      reported.add(error);
    }
    try {
      (onUnexpectedError ?? logUnexpected)(error, ctx);
    } catch { /* a failing log sink must not change the response */ }
  };
}

/**
 * Refuses a request without an accepted key (401) or whose key's scope does not cover it (403):
 * a `read` key may only read (GET and HEAD).
 */
function requireScope(req: Request, key: KeyIdentity | undefined, token: string | null): void {
  if (!key) {
    throw new AuthenticationError(
      token === null
        ? "Missing API key. Send it as 'Authorization: Bearer <key>' (see `herald key`)."
        : "Invalid API key (see `herald key`).",
    );
  }
  if (key.scope === "read" && req.method !== "GET" && req.method !== "HEAD") {
    throw new HeraldError(
      `The API key '${key.name}' has the read scope: it may list and retrieve, not ` +
        `${req.method}. Use a key with the full or chat scope.`,
      { status: 403, type: "permission_error", code: "insufficient_scope" },
    );
  }
}

function logUnexpected(error: unknown, ctx: RequestContext): void {
  console.error(
    `Internal error (request ${ctx.requestId} ${ctx.url.pathname}): ${causeChain(error)}`,
  );
}

/** An error's stack, followed by the stacks of its causes. */
export function causeChain(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = error; e !== undefined && !seen.has(e); e = (e as Error)?.cause) {
    seen.add(e);
    const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    lines.push(lines.length ? `Caused by: ${text}` : text);
    if (!(e instanceof Error)) break;
  }
  return lines.join("\n");
}

function validRequestId(value: string | null): string | null {
  return value && /^[\w.:-]{1,128}$/.test(value) ? value : null;
}

function remoteAddress(info: Deno.ServeHandlerInfo): string {
  const addr = info?.remoteAddr as Deno.NetAddr | undefined;
  return addr?.hostname ?? "unknown";
}
