/**
 * The unstable Deno features Herald runs with, in one place: `deno task start`, the compiled
 * binaries, the tests and the benchmarks all pass these (deno.json's tasks spell them out too).
 * @module
 */

/**
 * KV storage, worker permissions, and `request.signal` firing only when a client really leaves.
 */
export const HERALD_UNSTABLE_FLAGS: readonly string[] = [
  "--unstable-kv",
  "--unstable-worker-options",
  "--unstable-no-legacy-abort",
];
