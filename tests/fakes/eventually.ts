/**
 * Waiting for a state the code reaches on its own schedule (a slot released, a log line
 * written, a socket noticed closed) by polling it. The bound only turns a hang into a clear
 * failure: it is minutes, never a claim about speed.
 * @module
 */

/** The default bound: long enough for the slowest shared CI machine, short of a hang. */
export const EVENTUALLY_MS = 120_000;

/**
 * Polls `check` (every 10 ms) until it returns a truthy value, and returns that value; fails
 * after `limitMs` with `what` in the message.
 *
 * @example
 * ```ts
 * await eventually(() => limit.inFlight === 0, "the slot to be released");
 * ```
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string,
  limitMs = EVENTUALLY_MS,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Gave up after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
