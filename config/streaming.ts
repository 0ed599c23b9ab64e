/**
 * Whether a front door streams token by token: its own `streaming.<front door>` setting, else
 * `streaming.enabled`. Every front door asks here, so the rule exists once.
 * @module
 */
import type { Config } from "./schema.ts";

/** The front doors with their own streaming switch. */
export type StreamingFrontDoor = "api_server" | "telegram" | "slack";

/**
 * True when `frontDoor` streams text as it arrives.
 *
 * @example
 * ```ts
 * streamingFor(config, "telegram"); // streaming.telegram ?? streaming.enabled
 * ```
 */
export function streamingFor(config: Config, frontDoor: StreamingFrontDoor): boolean {
  return config.streaming[frontDoor] ?? config.streaming.enabled;
}
