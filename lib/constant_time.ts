/**
 * Comparing secrets without telling an attacker how close they got.
 * @module
 */

const encoder = new TextEncoder();

/**
 * Compares two strings in time independent of where, and whether in length, they differ: every
 * byte of the longer one is visited, and a length difference counts like any other.
 *
 * @example
 * ```ts
 * constantTimeEqual(givenKey, configuredKey); // true only when identical
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const len = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < len; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
