import { bytesToBase64 } from "../../lib/mod.ts";
/**
 * The `encrypted_content` of a compaction item. OpenAI's is opaque and encrypted; Herald's is a
 * summary it wrote itself, so it is only *encoded* — a prefix, then base64url JSON — which keeps
 * it self-contained (any Herald sharing nothing but this format can expand it) and lets a client
 * that cares decode and read what the model will be told.
 * @module
 */

/** What every Herald compaction blob starts with. */
export const COMPACTION_PREFIX = "herald.compaction.v1.";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a conversation summary as a compaction item's `encrypted_content`.
 *
 * @example
 * ```ts
 * const blob = sealCompaction("The user is planning a trip to Oslo.");
 * openCompaction(blob); // "The user is planning a trip to Oslo."
 * ```
 */
export function sealCompaction(summary: string): string {
  const bytes = encoder.encode(JSON.stringify({ summary }));
  return COMPACTION_PREFIX + bytesToBase64(bytes, { url: true });
}

/** The summary inside a compaction blob, or null when it is not one of Herald's. */
export function openCompaction(blob: unknown): string | null {
  if (typeof blob !== "string" || !blob.startsWith(COMPACTION_PREFIX)) return null;
  try {
    const base64 = blob.slice(COMPACTION_PREFIX.length).replaceAll("-", "+").replaceAll("_", "/");
    const binary = atob(base64);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const value = JSON.parse(decoder.decode(bytes));
    return typeof value?.summary === "string" ? value.summary : null;
  } catch {
    return null;
  }
}
