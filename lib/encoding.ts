/**
 * Byte encodings used across Herald: SHA-256 as hex, and base64 that works for large buffers.
 * @module
 */

const encoder = new TextEncoder();

/**
 * The SHA-256 digest of a string (as UTF-8) or bytes, as lowercase hex.
 *
 * @example
 * ```ts
 * await sha256Hex("abc"); // "ba7816bf…"
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
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
