/**
 * One structured log line per request, written when the response body has ended (so a stream's
 * duration is its whole life). Only metadata: no bodies, no headers, no query strings, since
 * those can carry keys or prompts.
 * @module
 */
import type { Middleware } from "../router.ts";
import { settle } from "./settle.ts";
import { type BodyOutcome, trackBody } from "./track_body.ts";

/** The fields of one request log line. */
export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  request_id: string;
  client: string;
  /** Present when the body did not end normally: the client left or the stream failed. */
  outcome?: Exclude<BodyOutcome, "complete">;
}

/** Options for {@link requestLog}. */
export interface RequestLogOptions {
  /** Receives one JSON line per request. Default: `console.log`. */
  log?: (line: string) => void;
  /** The clock, for tests. */
  now?: () => number;
}

const MAX_PATH = 256;

/**
 * Builds the request logger.
 *
 * @example
 * ```ts
 * requestLog({ log: (line) => console.error(line) });
 * // {"time":"…","method":"POST","path":"/v1/responses","status":200,"duration_ms":812,…}
 * ```
 */
export function requestLog(options: RequestLogOptions = {}): Middleware {
  const log = options.log ?? ((line: string) => console.log(line));
  const now = options.now ?? performance.now.bind(performance);
  return async (req, ctx, next) => {
    const start = now();
    const res = await settle(next, ctx);
    return trackBody(res, (outcome) => {
      const entry: RequestLogEntry = {
        time: new Date().toISOString(),
        method: req.method.slice(0, 16),
        path: ctx.url.pathname.slice(0, MAX_PATH),
        status: res.status,
        duration_ms: Math.round(now() - start),
        request_id: ctx.requestId,
        client: ctx.remoteAddr,
      };
      if (outcome !== "complete") entry.outcome = outcome;
      try {
        log(JSON.stringify(entry));
      } catch { /* a failing log sink must not break the response */ }
    });
  };
}
