/**
 * The three ways a benchmark reaches the fake upstream, measured side by side in one run: directly,
 * through the bare Deno proxy (the baseline every gateway figure is a ratio to), and through Herald.
 * @module
 */
import type { Target } from "./client.ts";

/** The three targets of one run. */
export interface Targets {
  /** The fake upstream itself. */
  direct: Target;
  /** bench/bare_proxy_server.ts in front of the same upstream. */
  proxy: Target;
  /** Herald in front of the same upstream. */
  gateway: Target;
}

/** The targets' names, in the order the first round visits them. */
export const TARGET_NAMES = ["direct", "proxy", "gateway"] as const;

/** One of {@link TARGET_NAMES}. */
export type TargetName = typeof TARGET_NAMES[number];

/** The visiting order of round `r`: rotated each round so no target always goes first. */
export function roundOrder(r: number): TargetName[] {
  const n = TARGET_NAMES.length;
  return TARGET_NAMES.map((_, i) => TARGET_NAMES[(i + r) % n]);
}
