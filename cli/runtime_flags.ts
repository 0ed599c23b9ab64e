/**
 * The Deno flags Herald runs with, in one place: `deno task start`, the compiled binaries, the
 * installed command, the tests' gateway processes and the benchmarks all pass these (deno.json's
 * tasks spell them out too).
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

/**
 * Memory: V8's young generation capped at two 16 MB halves (its default grows to two 32 MB halves
 * under many open streams, which a gateway pays in resident memory for little speed), and its old
 * generation let grow by 20 % of what a full collection left before the next one (by default V8
 * lets it grow up to four-fold when its collections are fast, so what a burst of streams promotes
 * and leaves dead stays resident). Measured in docs/performance.md ("The flags Herald runs with").
 */
export const HERALD_MEMORY_FLAGS: readonly string[] = [
  "--v8-flags=--max-semi-space-size=16,--heap-growing-percent=20",
];

/** Every flag `herald serve` runs with besides its permissions. */
export const HERALD_RUN_FLAGS: readonly string[] = [
  ...HERALD_UNSTABLE_FLAGS,
  ...HERALD_MEMORY_FLAGS,
];
