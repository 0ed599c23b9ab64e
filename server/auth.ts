/**
 * Bearer-key authentication with a constant-time comparison. `/health` is the only route
 * without it (routes opt out with `auth: false`).
 * @module
 */
import { AuthenticationError } from "./errors.ts";
import { constantTimeEqual } from "../lib/mod.ts";

/** The bearer token of a request, or null. */
export function bearerToken(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1].trim() : null;
}

/** Throws AuthenticationError unless the request carries one of the keys. */
export function requireKey(req: Request, keys: readonly string[]): void {
  const token = bearerToken(req);
  if (token === null) {
    throw new AuthenticationError(
      "Missing API key. Send it as 'Authorization: Bearer <key>' (see `herald key`).",
    );
  }
  // Compare against every key so the time does not reveal which one matched.
  let ok = false;
  for (const key of keys) ok = constantTimeEqual(token, key) || ok;
  if (!ok) throw new AuthenticationError("Invalid API key (see `herald key`).");
}
