/**
 * The HTTP guards: what stands between the network and an agent with a shell.
 * `defaultGuards` gives the middleware list in the right order for `createApp`.
 * @module
 */
import type { Config } from "../../config/mod.ts";
import type { Middleware } from "../router.ts";
import type { RunTracker } from "../runs.ts";
import { authThrottle } from "./auth_throttle.ts";
import { bodyDeadline } from "./body_deadline.ts";
import { concurrencyLimit } from "./concurrency.ts";
import { hostGuard } from "./host.ts";
import { idempotency } from "./idempotency.ts";
import { jsonOnly } from "./json_only.ts";
import { originGuard } from "./origin.ts";
import { type LogFormat, type LogLevel, requestLog } from "./request_log.ts";
import { securityHeaders } from "./security_headers.ts";
import { wellFormed } from "./well_formed.ts";

// Commonly used
export { checkExposure, type ExposureConfig } from "./startup_checks.ts";

// Each guard, for custom pipelines and tests
export { SECURITY_HEADERS, securityHeaders } from "./security_headers.ts";
export {
  formatText,
  type LogFormat,
  type LogLevel,
  requestLog,
  type RequestLogEntry,
  type RequestLogOptions,
} from "./request_log.ts";
export { wellFormed } from "./well_formed.ts";
export {
  bodyDeadline,
  type BodyDeadlineOptions,
  bodyTimeoutError,
  malformedBodyError,
} from "./body_deadline.ts";
export {
  hostAcceptor,
  hostGuard,
  type HostGuardOptions,
  isLoopback,
  parseHostHeader,
} from "./host.ts";
export { originGuard, type OriginGuardOptions } from "./origin.ts";
export { jsonOnly } from "./json_only.ts";
export { authThrottle, type AuthThrottleOptions, GUESS_PREFIX_LENGTH } from "./auth_throttle.ts";
export { idempotency, type IdempotencyOptions } from "./idempotency.ts";
export { type ConcurrencyLimit, concurrencyLimit, type ConcurrencyOptions } from "./concurrency.ts";

// Advanced
export { type BodyOutcome, selfTrackedResponse, trackBody } from "./track_body.ts";

/** The API-server settings the guards read. */
export type GuardConfig =
  & Pick<
    Config["api_server"],
    | "host"
    | "auth"
    | "cors_origins"
    | "allowed_hosts"
    | "max_concurrent_runs"
    | "max_body_bytes"
  >
  & Partial<Pick<Config["api_server"], "body_timeout">>;

/** Options for {@link defaultGuards}. */
export interface DefaultGuardOptions {
  /** `config.api_server`. */
  config: GuardConfig;
  /** @deprecated Unused: `createApp` identifies keys (its `keys` option) for every guard. */
  apiKeys?: () => readonly string[];
  /** When given, new agent runs get 503 once shutdown has begun. */
  runs?: RunTracker;
  /** Receives the per-request log lines. Default: `console.log`. */
  log?: (line: string) => void;
  /** How the request log is written and which lines (see `requestLog`). */
  logFormat?: LogFormat;
  logColor?: boolean;
  logLevel?: LogLevel;
}

/**
 * The guard list for `createApp`, outermost first: security headers (so every response gets them,
 * rejections included), the request log, the well-formed check (malformed Host → 400), the body
 * deadline (stalled body → 408, broken framing → 400), the Host check, the Origin check, the
 * JSON-only body check (CSRF), the failed-auth throttle, idempotency (before the run limit, so a
 * replay takes no slot) and the run limit.
 *
 * @example
 * ```ts
 * const app = createApp({
 *   routes,
 *   keys: keyring,
 *   auth: config.api_server.auth,
 *   middleware: defaultGuards({ config: config.api_server, runs }),
 * });
 * ```
 */
export function defaultGuards(options: DefaultGuardOptions): Middleware[] {
  const { config } = options;
  return [
    securityHeaders(),
    requestLog({
      log: options.log,
      format: options.logFormat,
      color: options.logColor,
      level: options.logLevel,
    }),
    wellFormed(),
    bodyDeadline({ idleMs: (config.body_timeout ?? 30) * 1000 }),
    hostGuard({ bindHost: config.host, allowedHosts: config.allowed_hosts }),
    originGuard({ origins: config.cors_origins, allowedHosts: config.allowed_hosts }),
    jsonOnly(),
    authThrottle(),
    idempotency({ maxBodyBytes: config.max_body_bytes }),
    concurrencyLimit({
      maxRuns: config.max_concurrent_runs,
      draining: options.runs ? () => options.runs!.shuttingDown : undefined,
    }),
  ];
}
