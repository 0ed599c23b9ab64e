/**
 * Waiting without blocking shutdown: a sleep that an AbortSignal ends early, and a bounded wait
 * for a promise.
 * @module
 */

/**
 * Waits `ms` milliseconds, or less when `signal` aborts. Never rejects.
 * @returns true when the full time passed, false when the signal ended the wait.
 *
 * @example
 * ```ts
 * if (!await abortableSleep(1000, signal)) throw signal.reason;
 * ```
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => finish(true), ms);
    const onAbort = () => finish(false);
    signal?.addEventListener("abort", onAbort, { once: true });
    function finish(slept: boolean) {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(slept);
    }
  });
}

/**
 * Waits for `promise` to settle (fulfil or reject), at most `ms` milliseconds.
 * @returns true when it settled in time, false otherwise.
 *
 * @example
 * ```ts
 * if (!await settlesWithin(worker.stopped, 5_000)) worker.terminate();
 * ```
 */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
