/**
 * Throttles guessing: failed authentication (a wrong API key, a wrong webhook secret) is counted
 * per client address, per network (a /24, a /64, or all of loopback, so rotating addresses does
 * not help), per key prefix guessed (so completing a key known in part is slow from anywhere),
 * and in total. A request with a valid credential is never refused here: throttling only ever
 * slows those who do not hold a key. Memory stays bounded: entries expire with their window and
 * the table is capped (the oldest entry goes first).
 * @module
 */
import { RateLimitError } from "../errors.ts";
import { bearerToken } from "../auth.ts";
import { networkOf } from "../client_address.ts";
import { toHeraldError } from "../error_envelope.ts";
import type { Middleware, RequestContext, Route } from "../router.ts";

/** Options for {@link authThrottle}. */
export interface AuthThrottleOptions {
  /** Failures allowed per client address per window; more get 429. Default 10. */
  maxFailures?: number;
  /** Failures allowed per network (/24, /64, loopback) per window. Default 30. */
  maxNetworkFailures?: number;
  /** Failures allowed per guessed key prefix (its first 12 characters) per window. Default 10. */
  maxPrefixFailures?: number;
  /** Failures allowed from everyone together per window. Default 300. */
  maxTotalFailures?: number;
  /** The window, in milliseconds. Default 60 000. */
  windowMs?: number;
  /** Most counters remembered at once. Default 10 000. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** How many leading characters of a guessed key are counted together. */
export const GUESS_PREFIX_LENGTH = 12;

interface Window {
  start: number;
  failures: number;
}

interface Bucket {
  id: string;
  limit: number;
  what: string;
}

/**
 * Builds the throttle. It runs on routes that need the API key and on routes with a credential
 * of their own (`verify`, a webhook); `/health` and other open routes are never throttled.
 *
 * @example
 * ```ts
 * authThrottle({ maxFailures: 10, windowMs: 60_000 });
 * ```
 */
export function authThrottle(options: AuthThrottleOptions = {}): Middleware {
  const windowMs = options.windowMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const limits = {
    address: options.maxFailures ?? 10,
    network: options.maxNetworkFailures ?? 30,
    prefix: options.maxPrefixFailures ?? 10,
    total: options.maxTotalFailures ?? 300,
  };
  const table = new Map<string, Window>();

  const current = (id: string, t: number): Window | undefined => {
    const w = table.get(id);
    if (w && t - w.start >= windowMs) {
      table.delete(id);
      return undefined;
    }
    return w;
  };

  const record = (buckets: Bucket[], t: number) => {
    for (const { id } of buckets) {
      const w = current(id, t);
      if (w) {
        w.failures++;
        continue;
      }
      if (table.size >= maxEntries) sweep(t);
      // Still full of live entries: forget the oldest rather than grow.
      while (table.size >= maxEntries) table.delete(table.keys().next().value!);
      table.set(id, { start: t, failures: 1 });
    }
  };

  const sweep = (t: number) => {
    for (const [id, w] of table) if (t - w.start >= windowMs) table.delete(id);
  };

  const bucketsFor = (req: Request, ctx: RequestContext): Bucket[] => {
    const buckets: Bucket[] = [
      { id: `address ${ctx.remoteAddr}`, limit: limits.address, what: "this address" },
      { id: `network ${networkOf(ctx.remoteAddr)}`, limit: limits.network, what: "this network" },
      { id: "total", limit: limits.total, what: "all clients" },
    ];
    const token = ctx.route?.verify ? null : bearerToken(req);
    if (token !== null && token.length >= GUESS_PREFIX_LENGTH) {
      buckets.push({
        id: `prefix ${token.slice(0, GUESS_PREFIX_LENGTH)}`,
        limit: limits.prefix,
        what: "keys starting like this one",
      });
    }
    return buckets;
  };

  const guard = async (
    req: Request,
    ctx: RequestContext,
    next: Parameters<Middleware>[2],
    route: Route,
  ) => {
    const t = now();
    const buckets = bucketsFor(req, ctx);
    const full = buckets.map((bucket) => ({ bucket, w: current(bucket.id, t) }))
      .find(({ bucket, w }) => w !== undefined && w.failures >= bucket.limit);
    // A route's own secret (a webhook) is checked only for throttled sources: the platform that
    // holds it is never refused either.
    if (full && !(route.verify && await route.verify(req))) {
      throw new RateLimitError(
        `Too many failed authentication attempts from ${full.bucket.what}; try again later.`,
        Math.max(1, Math.ceil((full.w!.start + windowMs - t) / 1000)),
      );
    }
    const failed = (status: number) =>
      status === 401 || (route.verify !== undefined && status === 403);
    try {
      const res = await next();
      if (failed(res.status)) record(buckets, t);
      return res;
    } catch (error) {
      if (failed(toHeraldError(error).status)) record(buckets, t);
      throw error;
    }
  };
  // Not an async function: a request it has nothing to count passes on without one.
  return (req, ctx, next) => {
    const route = ctx.route;
    if (!route || (route.auth === false && !route.verify)) return next();
    // Never refuse the holder of a valid key, whatever its address has been up to.
    if (!route.verify && ctx.key !== undefined) return next();
    return guard(req, ctx, next, route);
  };
}
