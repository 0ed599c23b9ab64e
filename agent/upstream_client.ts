/**
 * The `openai` SDK client Herald sends its Chat Completions requests through: the SDK's own
 * client (its request loop, error classes and status mapping stay), with the per-request steps
 * that cost the most and mean the same for every request done once per client instead. This
 * module imports the whole SDK, so agent/llm_client.ts loads it on the first request.
 * @module
 */
import OpenAI from "openai";
import { OpenAIError } from "openai/core/error";
import { VERSION } from "openai/version";
import { JsonBody } from "./request_body.ts";

/** What {@link UpstreamClient} is built from: one upstream, one key. */
export interface UpstreamClientOptions {
  baseURL: string;
  apiKey: string;
  maxRetries: number;
}

/** The SDK's request options and its built request, as {@link OpenAI.buildRequest} takes and gives them. */
type RequestOptions = Parameters<OpenAI["buildRequest"]>[0];
type BuiltRequest = Awaited<ReturnType<OpenAI["buildRequest"]>>;

/**
 * The SDK's `X-Stainless-*` headers (its language, version, OS, architecture, runtime, retry
 * count and timeout), left out (a null default header is the SDK's way to leave one out): they
 * are the SDK's telemetry for OpenAI, not part of the API. The retry count and timeout are also
 * the only headers that changed from one request to the next.
 */
const NO_PLATFORM_HEADERS: Record<string, null> = Object.fromEntries(
  ["Lang", "Package-Version", "OS", "Arch", "Runtime", "Runtime-Version", "Retry-Count", "Timeout"]
    .map((name) => [`X-Stainless-${name}`, null]),
);

/** The User-Agent the SDK's own client sends (it names the class, and this one is a subclass). */
const USER_AGENT = `OpenAI/JS ${VERSION}`;

/** Headers built by the SDK for one set of caller headers, kept while the credentials are the same. */
interface HeaderSnapshot {
  callerHeaders: unknown;
  apiKey: string | null;
  organization: string | null;
  project: string | null;
  headers: Readonly<Record<string, string>>;
}

/**
 * An SDK client for Herald's upstream requests (`client.request` with a prebuilt JSON body, read
 * with `.asResponse()`). The SDK still runs each request (retries, status errors as `APIError`,
 * connection failures as `APIConnectionError`, aborts as `APIUserAbortError`); three of its hooks
 * are overridden:
 *
 * - `buildRequest`: the request headers are what the SDK itself builds (Accept, User-Agent,
 *   Authorization, OpenAI-Organization and -Project when set, `OPENAI_CUSTOM_HEADERS`, then the
 *   caller's), built by the SDK once per caller-headers object and reused as a frozen record
 *   while the key, organization and project stay the same; the URL is built once per path. The
 *   body is sent as given: requests with anything else (a query, an object body, a custom base
 *   URL per request, fetch options) go through the SDK's own `buildRequest`.
 * - `fetchWithTimeout` and `fetchWithAuth`: `fetch` under the caller's signal, as it is. The
 *   SDK's `timeout` is not armed: the caller bounds every request with its signal (Herald's
 *   stream watchdog covers waiting for the headers of a stream, `llm.connect_timeout`, and a
 *   whole answer runs under `llm.request_timeout`), which spares a second abort controller, a
 *   listener and a timer per request. A request without a signal is not bounded.
 */
export class UpstreamClient extends OpenAI {
  #headers?: HeaderSnapshot;
  #url?: { baseURL: string; path: string; url: string };

  constructor(options: UpstreamClientOptions) {
    super({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      maxRetries: options.maxRetries,
      defaultHeaders: { ...NO_PLATFORM_HEADERS, "User-Agent": USER_AGENT },
    });
  }

  override async buildRequest(
    options: RequestOptions,
    context: { retryCount?: number } = {},
  ): Promise<BuiltRequest> {
    const { body, headers } = options;
    if (
      !isOwnBody(body) || options.query != null ||
      options.defaultBaseURL !== undefined || options.fetchOptions !== undefined ||
      this.fetchOptions !== undefined || options.__metadata !== undefined ||
      options.idempotencyKey !== undefined || headers == null
    ) {
      return await super.buildRequest(options, context);
    }
    const timeout = "timeout" in options ? positiveInteger(options.timeout) : this.timeout;
    const snapshot = this.#headers;
    const sameHeaders = snapshot !== undefined && snapshot.callerHeaders === headers &&
      snapshot.apiKey === this.apiKey && snapshot.organization === this.organization &&
      snapshot.project === this.project;
    const url = this.buildURL(options.path, undefined);
    if (!sameHeaders) {
      // The SDK builds this request (and validates its headers); its headers are kept.
      const built = await super.buildRequest(
        body instanceof JsonBody ? { ...options, body: asText(body) } : options,
        context,
      );
      this.#headers = {
        callerHeaders: headers,
        apiKey: this.apiKey,
        organization: this.organization,
        project: this.project,
        headers: Object.freeze(Object.fromEntries(built.req.headers)),
      };
      return built;
    }
    const req = {
      method: options.method.toUpperCase(),
      headers: snapshot.headers,
      // The SDK's debug log shows a string body as its length, anything else as it is.
      body: body instanceof JsonBody && this.logLevel === "debug" ? asText(body) : body,
      ...(options.signal && { signal: options.signal }),
    };
    // The SDK types its headers as a Headers object; it only hands them on to fetch.
    return { req: req as unknown as BuiltRequest["req"], url, timeout };
  }

  override buildURL(
    path: string,
    query: Record<string, unknown> | null | undefined,
    defaultBaseURL?: string | undefined,
  ): string {
    if (query != null || defaultBaseURL !== undefined) {
      return super.buildURL(path, query, defaultBaseURL);
    }
    const cached = this.#url;
    if (cached && cached.path === path && cached.baseURL === this.baseURL) return cached.url;
    const url = super.buildURL(path, query, defaultBaseURL);
    this.#url = { baseURL: this.baseURL, path, url };
    return url;
  }

  protected override fetchWithAuth(
    url: string | URL | Request,
    init: RequestInit,
    timeout: number,
    controller: AbortController,
  ): Promise<Response> {
    // No workload identity here (the constructor takes a key), so nothing to add to the headers.
    return this.fetchWithTimeout(url, init, timeout, controller);
  }

  /** `fetch` under the caller's signal; the SDK's timeout is not armed (see the class doc). */
  override fetchWithTimeout(
    url: string | URL | Request,
    init: RequestInit | undefined,
    _ms: number,
    _controller: AbortController,
  ): Promise<Response> {
    const method = init?.method?.toUpperCase() ?? "GET";
    const body: unknown = init?.body;
    // Encoded now, into a shared buffer, which fetch copies before it returns.
    if (body instanceof JsonBody) {
      return fetch(url, { ...init, method, body: body.encodeTransient() });
    }
    // Custom methods such as PATCH must be sent upper-case (fetch leaves them as they are).
    return fetch(url, init?.method === method ? init : { ...init, method });
  }
}

const decoder = new TextDecoder();

/** The body as a JSON string. */
function asText(body: JsonBody): string {
  return decoder.decode(body.encode());
}

/** A body {@link UpstreamClient.buildRequest} sends as it is. */
function isOwnBody(body: unknown): boolean {
  return typeof body === "string" || body instanceof Uint8Array || body instanceof JsonBody;
}

/** The SDK's check of a request's `timeout`. */
function positiveInteger(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new OpenAIError("timeout must be an integer");
  }
  if (n < 0) throw new OpenAIError("timeout must be a positive integer");
  return n;
}
