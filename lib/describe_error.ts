/**
 * One way to put anything thrown into a log line or a message.
 * @module
 */

/**
 * A short description of anything thrown: its message, or its string form.
 *
 * @example
 * ```ts
 * describeError(new Error("disk full")); // "disk full"
 * describeError("boom"); // "boom"
 * ```
 */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
