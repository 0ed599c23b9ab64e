/**
 * Random identifiers as lowercase hex, from a pool of random bytes filled by the system's
 * cryptographic generator a few kilobytes at a time: one `getRandomValues` call serves hundreds
 * of identifiers (a `crypto.randomUUID()` per identifier, trimmed to shape, cost several times
 * more per request).
 * @module
 */

const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * `bytes` cryptographically random bytes as `2 × bytes` lowercase hex digits. Each byte of the
 * pool is handed out once.
 *
 * @example
 * ```ts
 * randomHex(12); // "3f9a0c…" (24 digits)
 * ```
 */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError(`randomHex: at most ${POOL_BYTES} bytes`);
  if (used + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let out = "";
  for (let i = used; i < used + bytes; i++) out += HEX[pool[i]];
  used += bytes;
  return out;
}
