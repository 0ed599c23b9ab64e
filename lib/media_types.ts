/**
 * Recognising media types and locations the same way everywhere.
 * @module
 */

const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;

/**
 * True for a JSON `Content-Type`: `application/json` or `application/<something>+json`, with or
 * without parameters (`; charset=utf-8`), in any case.
 *
 * @example
 * ```ts
 * isJsonContentType("Application/JSON; charset=utf-8"); // true
 * isJsonContentType("application/json-patch"); // false
 * ```
 */
export function isJsonContentType(value: string | null | undefined): boolean {
  return JSON_TYPE.test((value ?? "").trim());
}

/**
 * True when a Deno KV location is a KV Connect URL (`http://` or `https://`, in any case) rather
 * than a file path or `:memory:`.
 *
 * @example
 * ```ts
 * isRemoteKvPath("HTTPS://api.deno.com/databases/x/connect"); // true
 * isRemoteKvPath("./herald.kv"); // false
 * ```
 */
export function isRemoteKvPath(path: string | null | undefined): boolean {
  return /^https?:\/\//i.test(path ?? "");
}
