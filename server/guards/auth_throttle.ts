/**
 * Throttles repeated failed authentication per client address, so a key cannot be guessed at
 * network speed. Memory stays bounded: entries expire with their window and the table is capped
 * (the oldest entry goes first).
 * @module
 */
import { RateLimitError } from "../errors.ts";
import { toHeraldError } from "../error_envelope.ts";
import type { Middleware } from "../router.ts";

/** Options for {@link authThrottle}. */
export interface AuthThrottleOptions {
  /** Failures allowed per address per window; the next request gets 429. Default 10. */
  maxFailures?: number;
  /** The window, in milliseconds. Default 60 000. */
  windowMs?: number;
  /** Most addresses remembered at once. Default 10 000. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Window {
  start: number;
  failures: number;
}

/**
 * Builds the throttle. It counts 401 answers per `ctx.remoteAddr`; once an address has had
 * `maxFailures` in the window, its requests to authenticated routes get 429 with Retry-After
 * until the window ends. Routes with `auth: false` (`/health`) are never throttled.
 *
 * @example
 * ```ts
 * authThrottle({ maxFailures: 10, windowMs: 60_000 });
 * ```
 */
export function authThrottle(options: AuthThrottleOptions = {}): Middleware {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const table = new Map<string, Window>();

  const current = (addr: string, t: number): Window | undefined => {
    const w = table.get(addr);
    if (w && t - w.start >= windowMs) {
      table.delete(addr);
      return undefined;
    }
    return w;
  };

  const recordFailure = (addr: string, t: number) => {
    const w = current(addr, t);
    if (w) {
      w.failures++;
      return;
    }
    if (table.size >= maxEntries) sweep(t);
    // Still full of live entries: forget the oldest rather than grow.
    while (table.size >= maxEntries) table.delete(table.keys().next().value!);
    table.set(addr, { start: t, failures: 1 });
  };

  const sweep = (t: number) => {
    for (const [addr, w] of table) if (t - w.start >= windowMs) table.delete(addr);
  };

  return async (_req, ctx, next) => {
    if (ctx.route?.auth === false) return await next();
    const addr = ctx.remoteAddr;
    const t = now();
    const w = current(addr, t);
    if (w && w.failures >= maxFailures) {
      throw new RateLimitError(
        "Too many failed authentication attempts from this address; try again later.",
        (w.start + windowMs - t) / 1000,
      );
    }
    try {
      const res = await next();
      if (res.status === 401) recordFailure(addr, t);
      return res;
    } catch (error) {
      if (toHeraldError(error).status === 401) recordFailure(addr, t);
      throw error;
    }
  };
}
