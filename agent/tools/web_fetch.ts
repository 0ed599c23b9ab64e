/**
 * The `web_fetch` tool: GETs a web page and returns readable text. Only public addresses are
 * reached: the host is resolved and every address checked before each hop, redirects are
 * followed by hand and re-checked, and plain-http requests connect to the checked address itself
 * so a second DNS answer cannot swap in a private one (for https, certificate checks stop that).
 * @module
 */
import { z } from "zod";
import type { ToolSettings } from "./tool_sandbox.ts";
import type { Tool, ToolInfo, ToolOutput } from "./registry.ts";
import { checkUrlTarget, isIpLiteral, type Resolver, SsrfError } from "./ssrf.ts";

/** Redirects followed at most. */
export const MAX_REDIRECTS = 5;
/** Characters of page text returned at most. */
export const MAX_TEXT_CHARS = 100_000;

/** Options for {@link webFetchTool} besides its settings; test seams. */
export interface WebFetchToolOptions {
  /** Resolves host names; default Deno.resolveDns (A and AAAA). */
  resolve?: Resolver;
  /** Host names exempt from the address check. For tests only; never from user config. */
  trustedHosts?: readonly string[];
}

const parameters = z.object({
  url: z.string().min(1).describe("The http:// or https:// URL to fetch."),
});

/** What the CLI and docs need about the `web_fetch` tool. */
export const WEB_FETCH_INFO: ToolInfo = {
  name: "web_fetch",
  summaryArgs: ["url"],
};

/**
 * Creates the web_fetch tool.
 *
 * @example
 * ```ts
 * registry.register(webFetchTool(config.tools.web_fetch));
 * ```
 */
export function webFetchTool(
  settings: ToolSettings["web_fetch"],
  options: WebFetchToolOptions = {},
): Tool<typeof parameters> {
  return {
    ...WEB_FETCH_INFO,
    description: "Fetch a web page or text document by URL (GET) and return its text; HTML is " +
      "turned into Markdown-like text with headings, links and lists. Only http(s) URLs on " +
      `public addresses. Pages over ${settings.max_bytes} bytes are cut; binary content is ` +
      "refused.",
    parameters,
    readOnly: true,
    async execute({ url }, context): Promise<ToolOutput> {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return {
          output: `"${url}" is not a valid URL; give an absolute http(s) URL.`,
          isError: true,
        };
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), settings.timeout * 1000);
      const onAbort = () => controller.abort();
      context.signal.addEventListener("abort", onAbort, { once: true });
      try {
        return await fetchFollowing(target, controller.signal, {
          allowPrivate: settings.allow_private,
          maxBytes: settings.max_bytes,
          ...options,
        });
      } catch (e) {
        if (e instanceof SsrfError) return { output: e.message, isError: true };
        if (controller.signal.aborted && !context.signal.aborted) {
          return {
            output: `Fetching ${url} took longer than ${settings.timeout} s and was stopped.`,
            isError: true,
          };
        }
        throw e;
      } finally {
        clearTimeout(timer);
        context.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}

interface FetchOptions extends WebFetchToolOptions {
  allowPrivate: boolean;
  maxBytes: number;
}

async function fetchFollowing(
  start: URL,
  signal: AbortSignal,
  options: FetchOptions,
): Promise<ToolOutput> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new SsrfError(
        `Refusing to fetch ${url.href}: only http and https URLs are allowed` +
          (hop > 0 ? " (a redirect led there)." : "."),
      );
    }
    const response = await fetchOnce(url, signal, options);
    if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
      await response.body?.cancel();
      const location = response.headers.get("location")!;
      try {
        url = new URL(location, url);
      } catch {
        return { output: `${url.href} redirected to an invalid URL: ${location}`, isError: true };
      }
      continue;
    }
    return await readResponse(url, response, options.maxBytes);
  }
  throw new SsrfError(`Stopped after ${MAX_REDIRECTS} redirects; the last one pointed to ${url}.`);
}

/** One request, checked against the SSRF rules, without following redirects. */
async function fetchOnce(url: URL, signal: AbortSignal, options: FetchOptions): Promise<Response> {
  const init: RequestInit = {
    redirect: "manual",
    signal,
    headers: { "user-agent": "Herald web_fetch", accept: "text/html, text/*;q=0.9, */*;q=0.5" },
  };
  if (options.allowPrivate) return await fetch(url, init);
  const addresses = await checkUrlTarget(url, options);
  if (url.protocol !== "http:" || isIpLiteral(url.hostname.replace(/^\[|\]$/g, ""))) {
    return await fetch(url, init);
  }
  // Plain http to a name: connect to the address just checked and send the name as Host.
  const pinned = new URL(url);
  const address = addresses[0];
  pinned.hostname = address.includes(":") ? `[${address}]` : address;
  const client = Deno.createHttpClient({ allowHost: true });
  try {
    const response = await fetch(pinned, {
      ...init,
      client,
      headers: { ...init.headers as Record<string, string>, host: url.host },
    });
    // Read the body now so the client can be closed; the size cap still applies below.
    const body = await readCapped(response.body, options.maxBytes);
    const nullBody = [101, 103, 204, 205, 304].includes(response.status);
    return new Response(nullBody ? null : body.bytes, {
      status: response.status,
      statusText: response.statusText,
      headers: withTruncation(response.headers, body),
    });
  } finally {
    client.close();
  }
}

function withTruncation(headers: Headers, body: CappedBody): Headers {
  const copy = new Headers(headers);
  if (body.truncated) copy.set("x-herald-truncated", "1");
  return copy;
}

/** A response body read up to the size cap. */
interface CappedBody {
  bytes: Uint8Array<ArrayBuffer>;
  truncated: boolean;
}

async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<CappedBody> {
  if (!body) return { bytes: new Uint8Array(), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > maxBytes) {
        chunks.push(value.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        await reader.cancel();
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return { bytes, truncated };
}

async function readResponse(url: URL, response: Response, maxBytes: number): Promise<ToolOutput> {
  const type = response.headers.get("content-type") ?? "";
  const mime = type.split(";")[0].trim().toLowerCase();
  if (mime && !isTextual(mime)) {
    await response.body?.cancel();
    return {
      output: `${url.href} returned ${mime} content, which is not text; web_fetch only reads ` +
        "text and HTML. Use terminal (curl -o) to download files.",
      isError: true,
    };
  }
  const body = await readCapped(response.body, maxBytes);
  const truncated = body.truncated || response.headers.has("x-herald-truncated");
  if (!mime && body.bytes.subarray(0, 8192).includes(0)) {
    return { output: `${url.href} returned binary content, which is not text.`, isError: true };
  }
  const charset = /charset="?([\w-]+)/i.exec(type)?.[1];
  let text = decode(body.bytes, charset);
  const html = mime === "text/html" || mime === "application/xhtml+xml" ||
    (!mime && /^\s*<(!doctype html|html)/i.test(text));
  if (html) {
    // linkedom is loaded on the first HTML page, not at start-up: most turns never fetch one.
    const { htmlToText } = await import("./html_to_text.ts");
    text = htmlToText(text, { baseUrl: url.href });
  }
  const notes: string[] = [];
  if (truncated) {
    notes.push(`[the page was larger than ${maxBytes} bytes; only the start was read]`);
  }
  if (text.length > MAX_TEXT_CHARS) {
    notes.push(`[text cut at ${MAX_TEXT_CHARS} of ${text.length} chars]`);
    text = text.slice(0, MAX_TEXT_CHARS);
  }
  const header = [
    `URL: ${url.href}`,
    `Status: ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
    ...(mime ? [`Content-Type: ${mime}`] : []),
  ];
  return {
    output: [header.join("\n"), text || "(empty body)", ...notes].join("\n\n"),
    isError: response.status >= 400,
  };
}

function isTextual(mime: string): boolean {
  return mime.startsWith("text/") || /[/+](json|xml|javascript|ecmascript|yaml|csv)$/.test(mime) ||
    mime === "application/x-www-form-urlencoded";
}

function decode(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(bytes);
  } catch {
    return new TextDecoder().decode(bytes);
  }
}
