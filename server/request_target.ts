/**
 * Reads where a request is aimed (its URL and Host) without trusting either to be well formed.
 * Deno.serve builds `req.url` from the Host header (HTTP/1.1) or `:authority` (HTTP/2) as sent,
 * so `Host: localhost:abc` gives a URL that `new URL` refuses; such a request is answered 400,
 * never allowed to throw its way to a 500.
 * @module
 */
import { HeraldError } from "./errors.ts";

/** What {@link readRequestTarget} found. */
export interface RequestTarget {
  /** The request URL; a placeholder on `http://invalid.invalid` when the real one is malformed. */
  url: URL;
  /** The 400 to answer with, when the request cannot be served. */
  malformed?: HeraldError;
}

// reg-name (letters, digits, '.', '-', '_', '~'), an IPv4 address or an [IPv6] literal, then an
// optional port. Userinfo ("a@b"), spaces, commas and empty names are refused.
const AUTHORITY = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._~-]+)(?::\d{1,5})?$/i;

// The last value found well formed: a server sees the same Host on nearly every request, and
// checking it (a URL parse among others) was a sizeable share of routing a request.
let lastValid = "";

/** Whether a Host header value (or an `:authority`) is well formed, port in range included. */
export function isValidAuthority(value: string): boolean {
  if (value === lastValid) return true;
  if (!wellFormedAuthority(value)) return false;
  lastValid = value;
  return true;
}

function wellFormedAuthority(value: string): boolean {
  if (!AUTHORITY.test(value)) return false;
  const port = /:(\d{1,5})$/.exec(value.startsWith("[") ? value.slice(value.indexOf("]")) : value);
  if (port && Number(port[1]) > 65535) return false;
  return URL.canParse(`http://${value}/`);
}

function badRequest(message: string, code: string): HeraldError {
  return new HeraldError(message, { status: 400, type: "invalid_request_error", code });
}

/**
 * Parses the request's URL and checks its Host. A request without a Host header whose URL names
 * Deno's stand-in authority (`localhost`) named no host at all: HTTP/1.1 requires one (RFC 9112
 * §3.2). Deno.serve does not tell the handler the HTTP version, so an HTTP/2 request whose
 * `:authority` is exactly `localhost:<port>` looks the same and is refused too (HTTP/2 clients
 * can use 127.0.0.1).
 *
 * @example
 * ```ts
 * const { url, malformed } = readRequestTarget(req);
 * if (malformed) return errorResponse(malformed);
 * ```
 */
export function readRequestTarget(req: Request): RequestTarget {
  const raw = req.url;
  const host = req.headers.get("host");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      url: placeholderUrl(raw),
      malformed: badRequest(
        `The request names a malformed host ('${
          (host ?? authorityOf(raw)).slice(0, 100)
        }'): send a Host header such as 'localhost:8642'.`,
        "invalid_host",
      ),
    };
  }
  if (host !== null) {
    if (host.trim() === "") {
      return { url, malformed: badRequest("The Host header is empty.", "missing_host") };
    }
    if (!isValidAuthority(host.trim())) {
      return {
        url,
        malformed: badRequest(
          `The Host header '${host.slice(0, 100)}' is malformed: send a name or address and ` +
            "an optional port, such as 'localhost:8642'.",
          "invalid_host",
        ),
      };
    }
    return { url };
  }
  const authority = authorityOf(raw);
  if (!isValidAuthority(authority)) {
    return {
      url,
      malformed: badRequest(
        `The request's authority '${authority.slice(0, 100)}' is malformed.`,
        "invalid_host",
      ),
    };
  }
  if (url.hostname === "localhost") {
    return {
      url,
      malformed: badRequest(
        "The request has no Host header; HTTP/1.1 requires one (e.g. 'Host: localhost:8642').",
        "missing_host",
      ),
    };
  }
  return { url };
}

function authorityOf(raw: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(raw);
  return match ? match[1] : "";
}

// The path on a placeholder origin, so logs and routing still see it; "/" when even that fails.
function placeholderUrl(raw: string): URL {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(raw);
  const path = (match?.[1] ?? "").replace(/^[/\\]+/, "/");
  try {
    const url = new URL(path.startsWith("/") ? path : "/", "http://invalid.invalid");
    if (url.host === "invalid.invalid") return url;
  } catch { /* fall through */ }
  return new URL("http://invalid.invalid/");
}
