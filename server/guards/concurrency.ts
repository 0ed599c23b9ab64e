/**
 * Caps the agent runs in flight (`api_server.max_concurrent_runs`). Each run holds a slot until
 * its response body has been sent or the client left, so a long stream counts for its whole life.
 * @module
 */
import { RateLimitError, shuttingDownError } from "../errors.ts";
import type { Middleware } from "../router.ts";
import { trackBody } from "./track_body.ts";

/** Options for {@link concurrencyLimit}. */
export interface ConcurrencyOptions {
  /** Most agent runs at once; more get 429 with Retry-After. */
  maxRuns: number;
  /** True once the gateway is shutting down: new runs get 503 with Retry-After. */
  draining?: () => boolean;
}

/** The middleware, plus how many slots are taken (for tests and status). */
export interface ConcurrencyLimit extends Middleware {
  /** Slots taken now. */
  readonly inFlight: number;
}

/**
 * Builds the limiter. Only routes marked `runsAgent: true` count.
 *
 * @example
 * ```ts
 * const limit = concurrencyLimit({ maxRuns: 16, draining: () => runs.shuttingDown });
 * ```
 */
export function concurrencyLimit(options: ConcurrencyOptions): ConcurrencyLimit {
  let inFlight = 0;
  const middleware: Middleware = async (_req, ctx, next) => {
    if (!ctx.route?.runsAgent) return await next();
    if (options.draining?.()) throw shuttingDownError();
    if (inFlight >= options.maxRuns) {
      throw new RateLimitError(
        `Too many agent runs at once (the limit is ${options.maxRuns}, ` +
          "api_server.max_concurrent_runs); retry shortly.",
        1,
      );
    }
    inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight--;
    };
    try {
      return trackBody(await next(), release, ctx.completed);
    } catch (error) {
      release();
      throw error;
    }
  };
  return Object.defineProperty(middleware, "inFlight", { get: () => inFlight }) as ConcurrencyLimit;
}
