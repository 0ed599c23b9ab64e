/**
 * Telegram's message size and the shared splitter at that size.
 * @module
 */
import { splitMessage } from "../split_message.ts";

export { truncateUtf16 } from "../split_message.ts";

/** Telegram's message length limit, in UTF-16 code units. */
export const TELEGRAM_MESSAGE_LIMIT = 4096;

/**
 * Splits `text` into Telegram messages of at most `limit` UTF-16 code units each, code fences
 * closed and reopened at cuts.
 *
 * @example
 * ```ts
 * const chunks = splitForTelegram(longReply);
 * ```
 */
export function splitForTelegram(text: string, limit = TELEGRAM_MESSAGE_LIMIT): string[] {
  return splitMessage(text, limit);
}
