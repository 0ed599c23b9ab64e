/**
 * Byte encodings used across Herald: SHA-256 as hex, and base64 that works for large buffers.
 * @module
 */

import { createHash } from "node:crypto";

const encoder = new TextEncoder();

/**
 * Up to this many bytes are hashed at once on the calling thread: `crypto.subtle.digest` hands
 * the work to another thread, which costs about 0.2 ms a call however small the input (it was
 * the largest single cost of an API request, hashing the caller's key for its approval scope).
 */
const INLINE_HASH_BYTES = 64 * 1024;

/**
 * The SHA-256 digest of a string (as UTF-8) or bytes, as lowercase hex. Small inputs are hashed
 * at once; large ones off the main thread.
 *
 * @example
 * ```ts
 * await sha256Hex("abc"); // "ba7816bf…"
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  // A string's UTF-8 is at most 3 bytes per UTF-16 unit.
  const size = typeof data === "string" ? data.length * 3 : data.byteLength;
  if (size <= INLINE_HASH_BYTES) return createHash("sha256").update(data).digest("hex");
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Bytes as base64 (or base64url without padding). Converted in 32 KB slices: spreading a large
 * buffer into one `String.fromCharCode` call overflows the call stack.
 *
 * @example
 * ```ts
 * bytesToBase64(new Uint8Array([255, 254])); // "//4="
 * bytesToBase64(new Uint8Array([255, 254]), { url: true }); // "__4"
 * ```
 */
export function bytesToBase64(bytes: Uint8Array, options: { url?: boolean } = {}): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const base64 = btoa(binary);
  return options.url ? base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "") : base64;
}

/**
 * Joins byte chunks into one array (the one chunk itself when there is only one).
 *
 * @example
 * ```ts
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
