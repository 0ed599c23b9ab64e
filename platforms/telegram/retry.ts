/**
 * Retries Bot API calls the way Telegram asks: after a 429 wait `retry_after` seconds, after a
 * 5xx or a network failure back off exponentially, at most a few times. Written here instead of
 * `@grammyjs/auto-retry`, which loads grammY's Node build (node-fetch, and through it the
 * deprecated `punycode` module, warned about on every start) and so never recognised the web
 * build's network errors.
 * @module
 */
import { HttpError, type Transformer } from "grammy/web";

/** Options for {@link retryTransformer}. */
export interface RetryOptions {
  /** Retries per call. Default 3. */
  maxRetryAttempts?: number;
  /** A `retry_after` longer than this (seconds) is not waited for. Default 60. */
  maxDelaySeconds?: number;
  /** The first back-off after a 5xx or network error, in seconds; doubles each time. Default 3. */
  initialDelaySeconds?: number;
}

/**
 * An API transformer that retries rate-limited and failed calls.
 *
 * @example
 * ```ts
 * bot.api.config.use(retryTransformer({ maxRetryAttempts: 3 }));
 * ```
 */
export function retryTransformer(options: RetryOptions = {}): Transformer {
  const maxRetries = options.maxRetryAttempts ?? 3;
  const maxDelay = options.maxDelaySeconds ?? 60;
  const initialDelay = options.initialDelaySeconds ?? 3;
  return async (prev, method, payload, signal) => {
    let delay = initialDelay;
    for (let attempt = 0;; attempt++) {
      const last = attempt >= maxRetries;
      let result;
      try {
        result = await prev(method, payload, signal);
      } catch (error) {
        if (last || signal?.aborted || !(error instanceof HttpError)) throw error;
        await pause(delay, signal);
        delay *= 2;
        continue;
      }
      if (result.ok || last) return result;
      const retryAfter = result.parameters?.retry_after;
      if (typeof retryAfter === "number") {
        if (retryAfter > maxDelay) return result;
        await pause(retryAfter, signal);
      } else if (result.error_code >= 500) {
        await pause(delay, signal);
        delay *= 2;
      } else {
        return result;
      }
    }
  };
}

// grammY types the signal with the abort-controller polyfill's shape; only these two parts are used.
type SignalLike = Pick<AbortSignal, "aborted" | "addEventListener" | "removeEventListener">;

function pause(seconds: number, signal?: SignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("Request aborted while waiting to retry"));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, seconds * 1000);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error("Request aborted while waiting to retry"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
