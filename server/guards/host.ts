/**
 * DNS-rebinding guard. A web page on evil.example can make its own name resolve to 127.0.0.1 and
 * then talk to a loopback service as "same origin"; the one thing it cannot fake is the Host
 * header, which still says evil.example. So while Herald listens on loopback, only loopback names
 * and names the user listed are accepted.
 * @module
 */
import { HeraldError } from "../errors.ts";
import type { Middleware } from "../router.ts";

/** Options for {@link hostGuard}. */
export interface HostGuardOptions {
  /** The address the server binds (`api_server.host`). */
  bindHost: string;
  /** Extra accepted names (`api_server.allowed_hosts`); an entry with a port matches only it. */
  allowedHosts?: readonly string[];
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when `host` (a bind address or a name) is a loopback address. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "[::1]") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Splits a Host header into its name (lower case, IPv6 in brackets) and port. */
export function parseHostHeader(value: string): { name: string; port: string | null } {
  const v = value.trim().toLowerCase();
  const ipv6 = /^(\[[^\]]*\])(?::(\d*))?$/.exec(v);
  if (ipv6) return { name: ipv6[1], port: ipv6[2] || null };
  const colon = v.lastIndexOf(":");
  if (colon >= 0 && /^\d*$/.test(v.slice(colon + 1))) {
    return { name: v.slice(0, colon).replace(/\.$/, ""), port: v.slice(colon + 1) || null };
  }
  return { name: v.replace(/\.$/, ""), port: null };
}

/**
 * Builds the Host check: on a loopback bind, Host must be localhost, 127.0.0.1 or [::1] (any port)
 * or listed in `allowedHosts`, else 421. On any other bind the check applies only when
 * `allowedHosts` is set (then loopback names and the listed names pass).
 *
 * @example
 * ```ts
 * hostGuard({ bindHost: "127.0.0.1", allowedHosts: ["herald.lan"] });
 * ```
 */
export function hostGuard(options: HostGuardOptions): Middleware {
  const allowed = options.allowedHosts ?? [];
  const enforce = isLoopback(options.bindHost) || allowed.length > 0;
  const accepts = hostAcceptor(allowed);
  // Not an async function: passing a request on costs no promise of its own.
  return (req, ctx, next) => {
    if (!enforce) return next();
    const host = req.headers.get("host") ?? ctx.url.host;
    if (accepts(host)) return next();
    return Promise.reject(
      new HeraldError(
        `Host '${host.slice(0, 200)}' is not served here. Herald accepts localhost, 127.0.0.1 ` +
          "and [::1]; add other names to api_server.allowed_hosts (API_SERVER_ALLOWED_HOSTS).",
        { status: 421, type: "invalid_request_error", code: "host_not_allowed" },
      ),
    );
  };
}

/**
 * The names Herald answers to: a predicate true for a Host header value that is localhost,
 * 127.0.0.1 or [::1] (any port), or one of `allowedHosts` (an entry with a port matches only it).
 */
export function hostAcceptor(allowedHosts: readonly string[]): (host: string) => boolean {
  const allowed = allowedHosts.map((h) => parseHostHeader(h));
  // The last value accepted: nearly every request carries the same Host.
  let lastAccepted: string | undefined;
  return (host) => {
    if (host === lastAccepted) return true;
    const { name, port } = parseHostHeader(host);
    const ok = LOOPBACK_NAMES.has(name) ||
      allowed.some((a) => a.name === name && (a.port === null || a.port === port));
    if (ok) lastAccepted = host;
    return ok;
  };
}
