/**
 * The upstream LLM client: OpenAI-compatible Chat Completions through the `openai` SDK, streamed.
 * Retries 429/5xx/connection failures with backoff and jitter honouring Retry-After (bounded),
 * retries a stream that fails before its first token once without streaming, guards against
 * first-token and stale-stream stalls (agent/stream_watchdog.ts), and moves on to fallback models when the primary keeps
 * failing. Errors name the upstream URL and status, never the key.
 * @module
 */
import type OpenAI from "openai";
// The error classes are a small module of their own; the client (with every API resource) is
// imported on the first request, which keeps about 100 ms and 20 MB out of start-up.
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai/core/error";
import type { ChatCompletionChunk, ChatCompletionCreateParams } from "openai/resources/chat";
import { UpstreamError } from "./errors.ts";
import { redactUrl, StreamWatchdog } from "./stream_watchdog.ts";
import { abortableSleep, describeError } from "../lib/mod.ts";

/** One model on one upstream. */
export interface LlmTarget {
  model: string;
  baseUrl: string;
  apiKey?: string;
}

/** Timeouts and retry budget, in seconds where they are times. */
export interface LlmClientOptions {
  /** The primary model, then fallbacks in order. */
  targets: LlmTarget[];
  connectTimeout: number;
  firstTokenTimeout: number;
  staleTimeout: number;
  /**
   * The longest a whole (non-streamed) answer may take, from sending the request to its last
   * byte (`llm.request_timeout`); default {@link DEFAULT_REQUEST_TIMEOUT}.
   */
  requestTimeout?: number;
  maxRetries: number;
}

/** Seconds a whole answer may take when `requestTimeout` is not set (the SDK's own default). */
export const DEFAULT_REQUEST_TIMEOUT = 600;

/** Options for one {@link LlmClient.streamBatches} call. */
export interface LlmCallOptions {
  /**
   * Ask for the whole completion in one answer (`stream: false`) and yield it as one batch:
   * for a caller that needs nothing before the answer is complete, it spares reading a stream
   * (the SSE parsing and the stream timeouts). Bounded by `requestTimeout` instead of the
   * first-token and stale timeouts.
   */
  whole?: boolean;
}

/** The body we send, without `model` and `stream` (the client sets those). */
export type LlmRequest = Omit<ChatCompletionCreateParams, "model" | "stream" | "stream_options">;

/** A streamed chunk, plus which target produced it. */
export type LlmChunk = ChatCompletionChunk;

interface Attempt {
  target: LlmTarget;
  /** The SDK client, created on first use. */
  client?: OpenAI;
  /** Whether this target has streamed an answer in this process (so it was reachable). */
  answered?: boolean;
}

let sdk: Promise<typeof import("openai")> | undefined;

/**
 * The SDK's `X-Stainless-*` headers (its language, version, OS, architecture, runtime, retry
 * count and timeout), dropped: they are the SDK's telemetry for OpenAI, not part of the API,
 * and every header costs on every request (built by the SDK, then copied and validated by
 * `fetch`); without these eight, the SDK's request path costs about 25 µs less
 * (`bench/sdk_overhead.ts`). A null default header is the SDK's way to leave one out. The
 * `User-Agent` stays.
 */
const NO_PLATFORM_HEADERS: Record<string, null> = Object.fromEntries(
  ["Lang", "Package-Version", "OS", "Arch", "Runtime", "Runtime-Version", "Retry-Count", "Timeout"]
    .map((name) => [`X-Stainless-${name}`, null]),
);

/** The attempt's SDK client, importing the SDK the first time one is needed. */
async function clientFor(attempt: Attempt, connectTimeout: number): Promise<OpenAI> {
  if (attempt.client) return attempt.client;
  const { default: OpenAIClient } = await (sdk ??= import("openai"));
  attempt.client ??= new OpenAIClient({
    baseURL: attempt.target.baseUrl,
    apiKey: attempt.target.apiKey || "not-needed",
    maxRetries: 0,
    // The SDK timeout covers waiting for response headers; streams are watched below.
    timeout: connectTimeout * 1000,
    defaultHeaders: NO_PLATFORM_HEADERS,
  });
  return attempt.client;
}

/** Each tool declaration's JSON, by the declaration object (see {@link serialiseBody}). */
const toolJson = new WeakMap<object, string>();

/**
 * The request body as JSON. The tool declarations are most of it (about 6 KB of the 7.5 KB a
 * default gateway sends) and are the same objects request after request (the registry makes one
 * per tool when it is registered and never changes it; a re-registered tool gets a new one), so
 * each one's JSON is kept and spliced in. `tools` comes last; nothing else changes.
 */
export function serialiseBody(body: { tools?: readonly object[]; [key: string]: unknown }): string {
  const tools = body.tools;
  if (!tools || tools.length === 0) return JSON.stringify(body);
  // Undefined members are left out by JSON.stringify.
  const head = JSON.stringify({ ...body, tools: undefined });
  let list = "";
  for (const tool of tools) {
    let json = toolJson.get(tool);
    if (json === undefined) {
      json = JSON.stringify(tool);
      toolJson.set(tool, json);
    }
    list = list ? `${list},${json}` : json;
  }
  return `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"tools":[${list}]}`;
}

/**
 * The SDK request options that send `body` as it is: handed an object, the SDK serialises it
 * with a replacer function that visits every key and value (it watches for `stream`), several
 * times slower than plain `JSON.stringify`. A string body with its content type is sent
 * unchanged; the SDK still takes `stream` from the parameters.
 */
function jsonBody(body: { tools?: readonly object[]; [key: string]: unknown }): {
  body: string;
  headers: Record<string, string>;
} {
  return { body: serialiseBody(body), headers: { "content-type": "application/json" } };
}

/** Whether an upstream failure is worth retrying. */
function isRetryable(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true;
  if (error instanceof APIError) {
    const s = error.status;
    return s === undefined || s === 408 || s === 409 || s === 429 || s >= 500;
  }
  return error instanceof UpstreamError && error.code === "upstream_timeout";
}

/** Seconds the upstream asked us to wait, if it said. */
function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof APIError) || !error.headers) return undefined;
  const h = error.headers as Headers;
  const ms = Number(h.get?.("retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = h.get?.("retry-after");
  if (!raw) return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return secs * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Turns an SDK failure into an UpstreamError with a message that says what to fix. */
export function describeUpstreamError(
  error: unknown,
  target: LlmTarget,
  history: { midStream?: boolean; answeredBefore?: boolean } = {},
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const where = displayUrl(target.baseUrl);
  // An upstream that was reached is not "unreachable": the URL is right, the server went away.
  if (error instanceof APIConnectionError && history.midStream) {
    return new UpstreamError(
      `LLM upstream ${where} broke off its answer (the connection was lost): check that it is still running`,
      { code: "upstream_error", cause: error },
    );
  }
  if (
    error instanceof APIConnectionError && !(error instanceof APIConnectionTimeoutError) &&
    history.answeredBefore
  ) {
    return new UpstreamError(
      `LLM upstream ${where} stopped answering (it answered earlier): check that it is still running`,
      { code: "upstream_unreachable", cause: error },
    );
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new UpstreamError(
      `LLM upstream ${where} did not answer in time: check that it is running and reachable`,
      { code: "upstream_timeout", cause: error },
    );
  }
  if (error instanceof APIConnectionError) {
    return new UpstreamError(`no LLM reachable at ${where}: set OPENAI_BASE_URL`, {
      code: "upstream_unreachable",
      cause: error,
    });
  }
  if (error instanceof APIError && (error.status === 400 || error.status === 422)) {
    return rejectedRequest(error, target);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const detail = (error.error as { message?: string } | undefined)?.message ?? error.message;
    const hint = error.status === 401 || error.status === 403
      ? ": check OPENAI_API_KEY"
      : error.status === 404 && !hasApiVersion(target.baseUrl)
      ? `: the base URL has no /v1; set OPENAI_BASE_URL to ${
        displayUrl(withV1(target.baseUrl))
      } (model.base_url)`
      : error.status === 404
      ? `: check that model '${target.model}' exists there (HERALD_MODEL)`
      : "";
    return new UpstreamError(
      `LLM upstream ${where} answered ${error.status}${hint} (${redact(detail, target)})`,
      {
        upstreamStatus: error.status,
        code: error.status === 429 ? "upstream_rate_limited" : "upstream_error",
        cause: error,
      },
    );
  }
  const message = describeError(error);
  return new UpstreamError(`LLM upstream ${where} failed: ${redact(message, target)}`, {
    cause: error,
  });
}

/**
 * Whether a base URL names an API version (`/v1`, `/api/v1`, `/v1beta/openai`): OpenAI-compatible
 * servers answer under one, and a base without it gets 404 for every call.
 */
export function hasApiVersion(baseUrl: string): boolean {
  try {
    return /\/v\d+[a-z0-9]*(\/|$)/i.test(new URL(baseUrl).pathname);
  } catch {
    return true;
  }
}

/** The base URL with `/v1` appended. */
export function withV1(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "") + "/v1";
}

/** Request parameters a client can set; an upstream refusal that names one is the client's. */
const CLIENT_PARAMETERS = [
  "response_format",
  "parallel_tool_calls",
  "reasoning_effort",
  "presence_penalty",
  "frequency_penalty",
  "service_tier",
  "logit_bias",
  "max_tokens",
  "temperature",
  "tool_choice",
  "top_p",
  "stop",
  "seed",
  "user",
  "tools",
];

/**
 * An upstream 400/422 refused what the client asked for (a parameter the model does not take, a
 * schema it cannot follow): passed on as a 400 naming the parameter, so the client can fix it.
 */
function rejectedRequest(error: APIError, target: LlmTarget): UpstreamError {
  const body = error.error as
    | { message?: string; param?: string | null; code?: string | null }
    | undefined;
  const detail = redact(body?.message ?? error.message, target);
  const param = body?.param ??
    CLIENT_PARAMETERS.find((name) => new RegExp(`\\b${name}\\b`).test(detail)) ?? null;
  return new UpstreamError(
    `The model upstream ${displayUrl(target.baseUrl)} refused the request` +
      (param ? ` because of parameter '${param}'` : "") + `: ${detail}`,
    {
      upstreamStatus: error.status,
      code: "upstream_rejected_request",
      request: { param, code: body?.code ?? null },
      cause: error,
    },
  );
}

/**
 * The base URL as error messages and banners may show it: unchanged, unless it carries
 * credentials or a query (where some providers put keys), which are dropped.
 */
export function displayUrl(url: string): string {
  return /^[^/]*\/\/[^/?#]*@|[?#]/.test(url) ? redactUrl(url) : url;
}

function redact(text: string, target: LlmTarget): string {
  return target.apiKey && target.apiKey.length >= 4
    ? text.split(target.apiKey).join("[redacted]")
    : text;
}

/** Converts a non-streamed completion into the chunks a stream would have carried. */
function completionToChunks(c: OpenAI.Chat.Completions.ChatCompletion): LlmChunk[] {
  const base = {
    id: c.id,
    object: "chat.completion.chunk" as const,
    created: c.created,
    model: c.model,
  };
  const choice = c.choices[0];
  const msg = choice?.message as
    | (OpenAI.Chat.Completions.ChatCompletionMessage & { reasoning_content?: string })
    | undefined;
  const delta: Record<string, unknown> = { role: "assistant", content: msg?.content ?? "" };
  if (msg?.reasoning_content) delta.reasoning_content = msg.reasoning_content;
  if (msg?.tool_calls?.length) {
    delta.tool_calls = msg.tool_calls
      .filter((t) => t.type === "function")
      .map((t, index) => ({ index, id: t.id, type: "function", function: t.function }));
  }
  return [
    {
      ...base,
      choices: [{
        index: 0,
        delta: delta as LlmChunk["choices"][0]["delta"],
        finish_reason: choice?.finish_reason ?? "stop",
        logprobs: null,
      }],
      usage: c.usage ?? null,
    } as LlmChunk,
  ];
}

/**
 * Streams chat completions from the configured upstream(s).
 *
 * @example
 * ```ts
 * const llm = new LlmClient({ targets: [{ model: "m", baseUrl: "http://127.0.0.1:11434/v1" }],
 *   connectTimeout: 10, firstTokenTimeout: 120, staleTimeout: 180, maxRetries: 3 });
 * for await (const chunk of llm.stream({ messages: [{ role: "user", content: "hi" }] }, signal)) {}
 * ```
 */
export class LlmClient {
  readonly options: LlmClientOptions;
  #attempts: Attempt[];

  constructor(options: LlmClientOptions) {
    if (options.targets.length === 0) throw new Error("LlmClient needs at least one target");
    this.options = options;
    this.#attempts = options.targets.map((target) => ({ target }));
  }

  /**
   * Streams one completion. Retries happen only before the first chunk is yielded; a failure
   * after that throws an UpstreamError.
   */
  async *stream(request: LlmRequest, signal: AbortSignal): AsyncGenerator<LlmChunk> {
    for await (const batch of this.streamBatches(request, signal)) yield* batch;
  }

  /**
   * Like {@link stream}, but yields the chunks that arrived together in one network read as one
   * array: on a fast stream that is one trip through the generators per read instead of per
   * token.
   */
  async *streamBatches(
    request: LlmRequest,
    signal: AbortSignal,
    options: LlmCallOptions = {},
  ): AsyncGenerator<LlmChunk[]> {
    let lastError: UpstreamError | undefined;
    const { connectTimeout } = this.options;
    const whole = options.whole === true;
    for (const attempt of this.#attempts) {
      // A whole answer is already the plain request a broken stream falls back to.
      let triedPlain = whole;
      for (let retry = 0; retry <= this.options.maxRetries; retry++) {
        let yielded = false;
        // One attempt, read here rather than through a generator of its own: every batch of
        // every stream passes through each generator on the way, at a few promises apiece.
        const local = new AbortController();
        const onAbort = () => local.abort(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        let timedOut = false;
        try {
          if (whole) {
            const batch = await this.#whole(attempt, request, local);
            yielded = true;
            attempt.answered = true;
            yield batch;
            return;
          }
          const send = async () => {
            const client = await clientFor(attempt, connectTimeout);
            // The SDK sends the request and turns HTTP errors into APIErrors; the body is read by
            // readChunks, which costs a fraction of the SDK's per-event decoding on long streams.
            const body = {
              ...request,
              model: attempt.target.model,
              stream: true,
              stream_options: { include_usage: true },
            };
            return await client.chat.completions.create(body, {
              signal: local.signal,
              ...jsonBody(body),
            }).asResponse();
          };
          let finished = false;
          // The first-token window covers connecting too: a silent upstream is a silent upstream.
          // A timeout aborts the request with its error, which the read then throws.
          const watchdog = new StreamWatchdog({
            firstItemMs: this.options.firstTokenTimeout * 1000,
            idleMs: this.options.staleTimeout * 1000,
            url: attempt.target.baseUrl,
            onTimeout: (error) => {
              timedOut = true;
              local.abort(error);
            },
          });
          const batches = readChunks(send, local);
          let ended = false;
          try {
            for (;;) {
              watchdog.waiting();
              const next = await batches.next();
              if (next.done) {
                ended = true;
                break;
              }
              watchdog.sawItem();
              const batch = next.value;
              if (!finished) {
                for (const chunk of batch) {
                  if (chunk.choices?.some((c) => c.finish_reason)) finished = true;
                }
              }
              yielded = true;
              attempt.answered = true;
              yield batch;
            }
          } finally {
            watchdog.stop();
            // Left early (the consumer stopped, or a failure): release the upstream connection.
            if (!ended) await batches.return(undefined).catch(() => {});
          }
          // An aborted or cut-off stream ends quietly: tell those cases apart here.
          if (signal.aborted) throw signal.reason;
          if (!finished && !timedOut) {
            throw new Error("the stream ended before the model finished its answer");
          }
          return;
        } catch (error) {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) throw signal.reason ?? error;
          if (yielded) throw describeUpstreamError(error, attempt.target, { midStream: true });
          lastError = describeUpstreamError(error, attempt.target, {
            answeredBefore: attempt.answered,
          });
          const isHttpError = error instanceof APIError && error.status !== undefined;
          // A stream that broke before its first token: once, ask for the whole answer instead.
          if (
            !isHttpError && !(error instanceof APIConnectionError) &&
            !(error instanceof UpstreamError) && !triedPlain
          ) {
            triedPlain = true;
            try {
              const client = await clientFor(attempt, connectTimeout);
              const body = { ...request, model: attempt.target.model, stream: false as const };
              const completion = await client.chat.completions.create(body, {
                signal,
                ...jsonBody(body),
              });
              yield completionToChunks(completion);
              return;
            } catch (plainError) {
              if (signal.aborted) throw signal.reason ?? plainError;
              lastError = describeUpstreamError(plainError, attempt.target);
              if (!isRetryable(plainError)) break;
              continue;
            }
          }
          if (!isRetryable(error) || retry === this.options.maxRetries) break;
          const backoff = Math.min(30_000, 500 * 2 ** retry) * (0.5 + Math.random() * 0.5);
          if (!await abortableSleep(Math.min(60_000, retryAfterMs(error) ?? backoff), signal)) {
            throw signal.reason;
          }
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      }
    }
    throw lastError ?? new UpstreamError("LLM upstream failed");
  }

  /**
   * One non-streamed call: the completion as the chunks a stream would have carried. The whole
   * call, headers and body, runs against `requestTimeout`; a timeout aborts it with an
   * `upstream_timeout` UpstreamError naming the setting, as the stream timeouts do.
   */
  async #whole(
    attempt: Attempt,
    request: LlmRequest,
    controller: AbortController,
  ): Promise<LlmChunk[]> {
    const ms = (this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT) * 1000;
    const url = attempt.target.baseUrl;
    const timer = setTimeout(() => controller.abort(wholeTimeoutError(ms, url)), ms);
    try {
      const client = await clientFor(attempt, this.options.connectTimeout);
      const body = { ...request, model: attempt.target.model, stream: false as const };
      // The SDK's own timeout would cover only the wait for headers, and a whole answer's
      // headers come when it is complete: ours above covers the call, so the SDK's comes later.
      const response = await client.chat.completions.create(body, {
        signal: controller.signal,
        timeout: ms + 1000,
        ...jsonBody(body),
      }).asResponse();
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (controller.signal.aborted) throw error;
        throw describeUpstreamError(
          new APIConnectionError({ message: describeError(error), cause: error as Error }),
          attempt.target,
          { midStream: true },
        );
      }
      const completion = JSON.parse(text);
      if (completion?.error) {
        throw new APIError(undefined, completion.error, undefined, response.headers);
      }
      if (!Array.isArray(completion?.choices)) {
        throw new Error("its answer is not a chat completion (it has no choices)");
      }
      return completionToChunks(completion);
    } catch (error) {
      // Aborted by the timeout or the caller: fail with their reason, not the SDK's abort error.
      if (controller.signal.aborted) throw controller.signal.reason ?? error;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A whole answer that took longer than `llm.request_timeout`. */
function wholeTimeoutError(ms: number, url: string): UpstreamError {
  const seconds = Math.round(ms / 100) / 10;
  return new UpstreamError(
    `The upstream at ${
      redactUrl(url)
    } sent no complete answer within ${seconds} s (llm.request_timeout).`,
    { code: "upstream_timeout" },
  );
}

/**
 * Bytes read from the upstream at a time. A default reader of a fetch body allocates a fresh
 * 64 KiB buffer for every read; with a BYOB reader one small buffer per stream is reused, which
 * cut the memory held per open stream and the garbage made per token several-fold. The buffer
 * starts small, since a paced stream (a model writing a few tokens at a time) never fills even
 * 4 KiB and each open stream holds its buffer while it waits; a read that fills it doubles it,
 * up to {@link MAX_READ_BUFFER_BYTES}, so a fast stream still moves in large reads.
 */
const READ_BUFFER_BYTES = 4 * 1024;
/** The most a stream's read buffer grows to. */
const MAX_READ_BUFFER_BYTES = 64 * 1024;

/**
 * Sends the request (`send`) and parses its Chat Completions SSE body into chunks, yielding the chunks of each network read
 * together: stops at `data: [DONE]`, throws an APIError for an error payload (as the SDK does),
 * and ends quietly when the connection breaks (the caller tells a cut-off stream from a
 * finished one by its finish_reason).
 */
async function* readChunks(
  send: () => Promise<Response>,
  controller: AbortController,
): AsyncGenerator<LlmChunk[]> {
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    // Aborted by a timeout or the caller: fail with their reason, not the SDK's abort error.
    if (controller.signal.aborted) throw controller.signal.reason ?? error;
    throw error;
  }
  if (!response.body) return;
  // One decoder per stream: `stream: true` keeps a split multi-byte character between reads.
  const decoder = new TextDecoder();
  let byob: ReadableStreamBYOBReader | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let scratch: Uint8Array | undefined;
  try {
    byob = response.body.getReader({ mode: "byob" });
    scratch = new Uint8Array(READ_BUFFER_BYTES);
  } catch {
    // Not a byte stream (a body built in JavaScript): read it the ordinary way.
    reader = response.body.getReader();
  }
  let buffer = "";
  let done = false;
  try {
    while (!done) {
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = byob ? await byob.read(scratch!) : await reader!.read();
      } catch (error) {
        if (controller.signal.aborted) throw controller.signal.reason ?? error;
        return;
      }
      if (read.done) return;
      buffer += decoder.decode(read.value, { stream: true });
      // The read transferred the buffer; take it back for the next read (its bytes are decoded),
      // or a larger one if this read filled it.
      if (byob) {
        const size = read.value.buffer.byteLength;
        scratch = read.value.byteLength === size && size < MAX_READ_BUFFER_BYTES
          ? new Uint8Array(size * 2)
          : new Uint8Array(read.value.buffer);
      }
      const batch: LlmChunk[] = [];
      if (buffer.includes("\r")) buffer = buffer.replaceAll("\r\n", "\n");
      let start = 0;
      let end: number;
      while ((end = buffer.indexOf("\n\n", start)) >= 0) {
        const event = buffer.slice(start, end);
        start = end + 2;
        let data = "";
        let name = "";
        for (const line of event.split("\n")) {
          if (line.startsWith("data:")) {
            const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
            data = data ? `${data}\n${value}` : value;
          } else if (line.startsWith("event:")) name = line.slice(6).trim();
        }
        if (!data) continue;
        if (data === "[DONE]") {
          done = true;
          break;
        }
        let parsed;
        try {
          parsed = JSON.parse(data);
        } catch {
          // What came before the failure is still delivered, as when chunks were yielded singly.
          if (batch.length) yield batch.splice(0);
          throw new SyntaxError("Error reading response: malformed server-sent event JSON.");
        }
        if (name === "error" || parsed?.error) {
          if (batch.length) yield batch.splice(0);
          throw new APIError(
            undefined,
            parsed?.error ?? parsed,
            undefined,
            response.headers,
          );
        }
        batch.push(parsed as LlmChunk);
      }
      buffer = buffer.slice(start);
      if (batch.length) yield batch;
    }
  } finally {
    if (!done) controller.abort();
    (byob ?? reader)!.cancel().catch(() => {});
  }
}
