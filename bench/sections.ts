/**
 * The sections bench/results.json holds, in order (shared by bench/run.ts and its smoke test).
 * @module
 */

/** Every section the results hold, in order. */
export const SECTIONS = [
  "startup",
  "mcp_startup",
  "memory",
  "latency",
  "token_lag",
  "throughput",
  "streaming",
  "responses_store",
  "telegram",
  "discord",
  "slack",
  "sandbox",
] as const;
