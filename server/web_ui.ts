/**
 * Serves the built-in web chat (docs/web.md): a page and its script and style sheet, held in
 * memory, each with a content-hash ETag (`Cache-Control: no-cache`: the browser revalidates and
 * gets a 304 while the file is unchanged). The page is a client of the public API like any other;
 * these routes need no key and serve nothing but the files.
 * @module
 */
import type { Route } from "./router.ts";

/** One file of the page: the URL path, its type, a content hash and the text. */
export interface WebUiFile {
  path: string;
  contentType: string;
  hash: string;
  body: string;
}

/**
 * The page's Content-Security-Policy: its own script and style sheet only (no inline script or
 * style, no eval), requests to its own origin only, images from attachments (`data:`/`blob:`)
 * only — so nothing in a model's answer can run, load, or send anything anywhere.
 */
export const WEB_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * A GET route for each file (HEAD too). `If-None-Match` with the file's ETag is a 304.
 *
 * @example
 * ```ts
 * const routes = webUiRoutes([
 *   { path: "/", contentType: "text/html; charset=utf-8", hash: "abc", body: "<!doctype html>" },
 * ]);
 * ```
 */
export function webUiRoutes(files: readonly WebUiFile[]): Route[] {
  return files.map((file) => {
    const etag = `"${file.hash}"`;
    const bytes = new TextEncoder().encode(file.body);
    const headers: Record<string, string> = {
      "Content-Type": file.contentType,
      "ETag": etag,
      "Cache-Control": "no-cache",
      "Content-Security-Policy": WEB_UI_CSP,
    };
    return {
      method: "GET" as const,
      path: file.path,
      auth: false,
      handler: (req: Request) => {
        if (matchesEtag(req.headers.get("if-none-match"), etag)) {
          return new Response(null, { status: 304, headers });
        }
        return new Response(req.method === "HEAD" ? null : bytes, { headers });
      },
    };
  });
}

/** True when an If-None-Match value names `etag` (weak or strong) or is `*`. */
function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t === etag || t === `W/${etag}`;
  });
}
