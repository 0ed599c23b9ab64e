/**
 * The upstream LLM client: OpenAI-compatible Chat Completions through the `openai` SDK, streamed.
 * Retries 429/5xx/connection failures with backoff and jitter honouring Retry-After (bounded),
 * retries a stream that fails before its first token once without streaming, guards against
 * first-token and stale-stream stalls (agent/stream_watchdog.ts), and moves on to fallback models when the primary keeps
 * failing. Errors name the upstream URL and status, never the key.
 * @module
 */
import type OpenAI from "openai";
import type { UpstreamClient } from "./upstream_client.ts";
import { JsonBody, type RequestBody } from "./request_body.ts";
// The error classes are a small module of their own; the client (with every API resource) is
// imported on the first request, which keeps about 100 ms and 20 MB out of start-up.
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai/core/error";
import type { ChatCompletionChunk, ChatCompletionCreateParams } from "openai/resources/chat";
import { UpstreamError } from "./errors.ts";
import { redactUrl, StreamWatchdog } from "./stream_watchdog.ts";
import { abortableSleep, describeError, TimeoutList } from "../lib/mod.ts";

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
  client?: UpstreamClient;
  /** Whether this target has streamed an answer in this process (so it was reachable). */
  answered?: boolean;
}

let sdk: Promise<typeof import("./upstream_client.ts")> | undefined;

/**
 * The attempt's SDK client, importing the SDK the first time one is needed. It arms no timeout
 * of its own: every request runs under a signal that the stream watchdog (connect, first-token
 * and stale timeouts) or the whole-answer timer aborts.
 */
async function clientFor(attempt: Attempt): Promise<UpstreamClient> {
  if (attempt.client) return attempt.client;
  const { UpstreamClient } = await (sdk ??= import("./upstream_client.ts"));
  attempt.client ??= new UpstreamClient({
    baseURL: attempt.target.baseUrl,
    apiKey: attempt.target.apiKey || "not-needed",
    maxRetries: 0,
  });
  return attempt.client;
}

/** The body's content type, one object for every request (the SDK client keys its headers on it). */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
});

/**
 * Sends one Chat Completions request with a prebuilt body: the SDK's generic `request` (a
 * resource method would serialise an object body with a replacer that visits every key and
 * value, and wrap the answer for parsing Herald does not use), read as the raw response.
 */
function postCompletion(
  client: UpstreamClient,
  body: RequestBody,
  signal: AbortSignal,
): Promise<Response> {
  return client.request({
    method: "post",
    path: "/chat/completions",
    // Encoded as it is sent (see JsonBody).
    body: new JsonBody(body),
    headers: JSON_HEADERS,
    signal,
    stream: body.stream === true,
  }).asResponse();
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
    | (OpenAI.Chat.Completions.ChatCompletionMessage & {
      reasoning_content?: string;
      reasoning?: string;
    })
    | undefined;
  const delta: Record<string, unknown> = { role: "assistant", content: msg?.content ?? "" };
  // `reasoning` is what some upstreams (OpenRouter, Ollama) call it, as in their stream deltas.
  const reasoning = msg?.reasoning_content ?? msg?.reasoning;
  if (reasoning) delta.reasoning_content = reasoning;
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
  /** Every whole call's `requestTimeout`, on one timer. */
  #wholeTimeouts: TimeoutList;
  /** Every stream's first wait (`connectTimeout`, or `firstTokenTimeout` if shorter), on one timer. */
  #streamTimeouts: TimeoutList;

  constructor(options: LlmClientOptions) {
    if (options.targets.length === 0) throw new Error("LlmClient needs at least one target");
    this.options = options;
    this.#attempts = options.targets.map((target) => ({ target }));
    this.#wholeTimeouts = new TimeoutList(
      (options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT) * 1000,
    );
    this.#streamTimeouts = new TimeoutList(
      Math.min(options.connectTimeout, options.firstTokenTimeout) * 1000,
    );
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
   * array: on a fast stream that is one trip through the consumers per read instead of per
   * token.
   */
  streamBatches(
    request: LlmRequest,
    signal: AbortSignal,
    options: LlmCallOptions = {},
  ): AsyncGenerator<LlmChunk[]> & BatchDrain {
    return new UpstreamBatches(
      this.options,
      this.#attempts,
      request,
      signal,
      options.whole === true,
      { whole: this.#wholeTimeouts, stream: this.#streamTimeouts },
    );
  }
}

/** Batches that can also be pushed: see {@link UpstreamBatches.drain}. */
export interface BatchDrain {
  /**
   * Hands every batch to `onBatch` as it arrives and resolves at the end of the call; fails as
   * iterating would. Use this or the iterator, not both.
   */
  drain(onBatch: (batch: LlmChunk[]) => void): Promise<void>;
}

/** One upstream stream being read: its request, reader and stall watchdog. */
interface OpenStream {
  attempt: Attempt;
  local: AbortController;
  onAbort: () => void;
  reader: ChunkReader;
  watchdog: StreamWatchdog;
  /** Whether a chunk with a finish_reason came. */
  finished: boolean;
  timedOut: boolean;
}

/**
 * {@link LlmClient.streamBatches}: the retry loop until the first batch, then one network read
 * per `next()`. An iterator object rather than an async generator: every batch of every stream
 * passes through it, and while a stream waits for its next read an async generator holds a
 * suspended frame and a few promises, which under many open streams live long enough to be
 * promoted and die in the old generation. Its consumer awaits each `next()` before the next one
 * (as `for await` does).
 */
class UpstreamBatches implements AsyncGenerator<LlmChunk[]>, BatchDrain {
  #options: LlmClientOptions;
  #attempts: Attempt[];
  #request: LlmRequest;
  #signal: AbortSignal;
  #open?: OpenStream;
  #started = false;
  #done = false;
  /** Whole answers (`stream: false`), one batch each: see {@link LlmCallOptions.whole}. */
  #whole: boolean;
  /** The client's shared timeouts (see {@link LlmClient}). */
  #timeouts: { whole: TimeoutList; stream: TimeoutList };

  constructor(
    options: LlmClientOptions,
    attempts: Attempt[],
    request: LlmRequest,
    signal: AbortSignal,
    whole: boolean,
    timeouts: { whole: TimeoutList; stream: TimeoutList },
  ) {
    this.#options = options;
    this.#attempts = attempts;
    this.#request = request;
    this.#signal = signal;
    this.#whole = whole;
    this.#timeouts = timeouts;
  }

  next(): Promise<IteratorResult<LlmChunk[]>> {
    if (this.#open) return this.#read(this.#open);
    if (this.#done || this.#started) return Promise.resolve({ done: true, value: undefined });
    this.#started = true;
    return this.#first().catch((error) => {
      this.#done = true;
      throw error;
    });
  }

  /**
   * Retries happen only here, before the first batch: 429/5xx/connection failures with backoff,
   * a stream that broke before its first token once without streaming, then the next target.
   */
  async #first(): Promise<IteratorResult<LlmChunk[]>> {
    let lastError: UpstreamError | undefined;
    const signal = this.#signal;
    const { maxRetries } = this.#options;
    for (const attempt of this.#attempts) {
      let triedPlain = false;
      for (let retry = 0; retry <= maxRetries; retry++) {
        if (this.#whole) {
          try {
            return await this.#onlyBatch(attempt);
          } catch (error) {
            if (signal.aborted) throw signal.reason ?? error;
            lastError = describeUpstreamError(error, attempt.target, {
              answeredBefore: attempt.answered,
            });
            if (!isRetryable(error) || retry === maxRetries) break;
            await this.#backoff(error, retry);
            continue;
          }
        }
        const open = this.#connect(attempt);
        let batch: LlmChunk[] | undefined;
        try {
          batch = await this.#readFrom(open);
          if (batch) {
            this.#open = open;
            return { done: false, value: batch };
          }
          // Ended before any chunk.
          this.#close(open);
          if (signal.aborted) throw signal.reason;
          if (open.timedOut) return this.#end();
          throw new Error("the stream ended before the model finished its answer");
        } catch (error) {
          this.#close(open);
          if (signal.aborted) throw signal.reason ?? error;
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
              return await this.#onlyBatch(attempt);
            } catch (plainError) {
              if (signal.aborted) throw signal.reason ?? plainError;
              lastError = describeUpstreamError(plainError, attempt.target);
              if (!isRetryable(plainError)) break;
              continue;
            }
          }
          if (!isRetryable(error) || retry === maxRetries) break;
          await this.#backoff(error, retry);
        }
      }
    }
    throw lastError ?? new UpstreamError("LLM upstream failed");
  }

  /** The whole answer as the call's one and only batch. */
  async #onlyBatch(attempt: Attempt): Promise<IteratorResult<LlmChunk[]>> {
    const batch = await this.#wholeAnswer(attempt);
    this.#done = true;
    return { done: false, value: batch };
  }

  /** Waits before retry number `retry + 1` (Retry-After when the upstream said); throws if aborted. */
  async #backoff(error: unknown, retry: number): Promise<void> {
    const backoff = Math.min(30_000, 500 * 2 ** retry) * (0.5 + Math.random() * 0.5);
    if (!await abortableSleep(Math.min(60_000, retryAfterMs(error) ?? backoff), this.#signal)) {
      throw this.#signal.reason;
    }
  }

  /**
   * One non-streamed call: the completion as the chunks a stream would have carried. The whole
   * call, headers and body, runs against `requestTimeout`; a timeout aborts it with an
   * `upstream_timeout` UpstreamError naming the setting, as the stream timeouts do.
   */
  async #wholeAnswer(attempt: Attempt): Promise<LlmChunk[]> {
    const signal = this.#signal;
    const timeouts = this.#timeouts.whole;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const url = attempt.target.baseUrl;
    const timeout = timeouts.start(() => controller.abort(wholeTimeoutError(timeouts.ms, url)));
    try {
      const client = attempt.client ?? await clientFor(attempt);
      const body = { ...this.#request, model: attempt.target.model, stream: false };
      // A whole answer's headers come when it is complete: the timer above covers the call,
      // and `llm.connect_timeout` does not apply.
      const response = await postCompletion(client, body, controller.signal);
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
      attempt.answered = true;
      return completionToChunks(completion);
    } catch (error) {
      // Aborted by the timeout or the caller: fail with their reason, not the SDK's abort error.
      if (controller.signal.aborted) throw controller.signal.reason ?? error;
      throw error;
    } finally {
      timeout.cancel();
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Starts one attempt: the request is sent by the reader's first read. */
  #connect(attempt: Attempt): OpenStream {
    const signal = this.#signal;
    const local = new AbortController();
    const onAbort = () => local.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const request = this.#request;
    const send = async () => {
      const client = attempt.client ?? await clientFor(attempt);
      // The SDK sends the request and turns HTTP errors into APIErrors; the body is read by
      // ChunkReader, which costs a fraction of the SDK's per-event decoding on long streams.
      const body = {
        ...request,
        model: attempt.target.model,
        stream: true,
        stream_options: { include_usage: true },
      };
      const response = await postCompletion(client, body, local.signal);
      open.watchdog.connected();
      return response;
    };
    const open: OpenStream = {
      attempt,
      local,
      onAbort,
      reader: new ChunkReader(send, local),
      finished: false,
      timedOut: false,
      // The first-token window covers connecting too: a silent upstream is a silent upstream.
      // A timeout aborts the request with its error, which the read then throws. Headers that
      // do not come within `llm.connect_timeout` fail as the SDK's own timeout did (a
      // connection timeout, retried).
      watchdog: new StreamWatchdog({
        connectMs: this.#options.connectTimeout * 1000,
        firstItemMs: this.#options.firstTokenTimeout * 1000,
        idleMs: this.#options.staleTimeout * 1000,
        url: attempt.target.baseUrl,
        timeouts: this.#timeouts.stream,
        onTimeout: (error, kind) => {
          if (kind === "connect") {
            local.abort(new APIConnectionTimeoutError());
            return;
          }
          open.timedOut = true;
          local.abort(error);
        },
      }),
    };
    return open;
  }

  /** One network read's chunks under the watchdog, or undefined at the end of the stream. */
  async #readFrom(open: OpenStream): Promise<LlmChunk[] | undefined> {
    open.watchdog.waiting();
    const batch = await open.reader.read();
    return batch && this.#saw(open, batch);
  }

  #saw(open: OpenStream, batch: LlmChunk[]): LlmChunk[] {
    open.watchdog.sawItem();
    if (!open.finished) {
      for (let i = 0; i < batch.length && !open.finished; i++) {
        const choices = batch[i].choices;
        if (!choices) continue;
        for (let j = 0; j < choices.length; j++) {
          if (choices[j].finish_reason) open.finished = true;
        }
      }
    }
    open.attempt.answered = true;
    return batch;
  }

  /**
   * A read after the first batch: no retries; a failure is an UpstreamError. The reader is
   * awaited here directly (one async frame less per read of every open stream).
   */
  async #read(open: OpenStream): Promise<IteratorResult<LlmChunk[]>> {
    try {
      open.watchdog.waiting();
      const batch = await open.reader.read();
      if (batch) return { done: false, value: this.#saw(open, batch) };
      return this.#endOf(open);
    } catch (error) {
      throw this.#midStreamFailure(open, error);
    }
  }

  /**
   * The end of a stream after its first batch. An aborted or cut-off stream ends quietly; this
   * tells those cases apart (and throws for them).
   */
  #endOf(open: OpenStream): IteratorResult<LlmChunk[]> {
    if (this.#signal.aborted) throw this.#signal.reason;
    if (!open.finished && !open.timedOut) {
      throw new Error("the stream ended before the model finished its answer");
    }
    this.#close(open);
    return this.#end();
  }

  /** What to throw for a failure after the first batch (no retries): the stream is released. */
  #midStreamFailure(open: OpenStream, error: unknown): unknown {
    this.#close(open);
    this.#done = true;
    if (this.#signal.aborted) return this.#signal.reason ?? error;
    return describeUpstreamError(error, open.attempt.target, { midStream: true });
  }

  /**
   * Reads the whole call, handing each batch to `onBatch` as it arrives: the first one as
   * `next()` gets it (retries and all), then each network read's straight from the reader, so an
   * open stream waits on its network read alone instead of a promise per read at every layer.
   * Resolves at the end; fails as `next()` does. An exception from `onBatch` stops the read and is
   * thrown as it is. Use this or `next()`, not both.
   */
  async drain(onBatch: (batch: LlmChunk[]) => void): Promise<void> {
    const first = await this.next();
    if (first.done) return;
    onBatch(first.value);
    const open = this.#open;
    if (!open) {
      // A whole answer (one batch) or an ended stream: nothing to pump.
      for (let next = await this.next(); !next.done; next = await this.next()) onBatch(next.value);
      return;
    }
    let consumerFailure: { error: unknown } | undefined;
    try {
      open.watchdog.waiting();
      await open.reader.pump((batch) => {
        try {
          onBatch(this.#saw(open, batch));
        } catch (error) {
          consumerFailure = { error };
          throw error;
        }
        open.watchdog.waiting();
      });
      this.#endOf(open);
    } catch (error) {
      const failure = this.#midStreamFailure(open, error);
      throw consumerFailure ? consumerFailure.error : failure;
    }
  }

  #end(): IteratorResult<LlmChunk[]> {
    this.#done = true;
    return { done: true, value: undefined };
  }

  /** Stops the watchdog and releases the upstream connection (aborted unless it ended). */
  #close(open: OpenStream): void {
    if (this.#open === open) this.#open = undefined;
    open.watchdog.stop();
    open.reader.close();
    this.#signal.removeEventListener("abort", open.onAbort);
  }

  return(): Promise<IteratorResult<LlmChunk[]>> {
    // The consumer stopped early: release the upstream connection.
    if (this.#open) this.#close(this.#open);
    this.#started = true;
    return Promise.resolve(this.#end());
  }

  throw(error: unknown): Promise<IteratorResult<LlmChunk[]>> {
    this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/**
 * Bytes read from the upstream at a time. A default reader of a fetch body allocates a fresh
 * 64 KiB buffer for every read; with a BYOB reader one small buffer per stream is reused, which
 * cut the memory held per open stream and the garbage made per token several-fold. The buffer
 * starts small, since a paced stream (a model writing a few tokens at a time: a read carries one
 * or two chunks of a few hundred bytes) never fills even 1 KiB, and each open stream holds its
 * buffer while it waits (1,000 open streams hold 1 MB); a read that fills it doubles it, up to
 * {@link MAX_READ_BUFFER_BYTES}, so a fast stream still moves in large reads after a few.
 */
const READ_BUFFER_BYTES = 1024;
/** The most a stream's read buffer grows to. */
const MAX_READ_BUFFER_BYTES = 64 * 1024;

/** {@link ChunkReader.read}'s stop: the first read that carried chunks. */
const takeFirst = (): boolean => true;

/**
 * Sends the request (`send`) on its first read and parses its Chat Completions SSE body into
 * chunks, one network read's chunks per `read()`: stops at `data: [DONE]`, throws an APIError
 * for an error payload (as the SDK does), and ends quietly when the connection breaks (the caller
 * tells a cut-off stream from a finished one by its finish_reason). `read()` calls are awaited
 * one at a time.
 */
class ChunkReader {
  #send?: () => Promise<Response>;
  #controller: AbortController;
  #response?: Response;
  // One decoder per stream: `stream: true` keeps a split multi-byte character between reads.
  #decoder?: TextDecoder;
  #byob?: ReadableStreamBYOBReader;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;
  #scratch?: Uint8Array;
  #buffer = "";
  /** `[DONE]` came. */
  #sawDone = false;
  #ended = false;
  /** A failure found after some chunks of the same read, thrown by the next read. */
  #failure?: { error: unknown };

  constructor(send: () => Promise<Response>, controller: AbortController) {
    this.#send = send;
    this.#controller = controller;
  }

  /** The chunks of the next network read that carried any, or undefined at the end. */
  read(): Promise<LlmChunk[] | undefined> {
    return this.#readUntil(takeFirst);
  }

  /**
   * Reads to the end of the stream, handing each network read's chunks to `onBatch` as they are
   * parsed: what {@link read} does, with one pending network read per stream and no promise of
   * its own per read. Returns at the end (where `read()` gives undefined) and fails as `read()`
   * does; an exception from `onBatch` is thrown as it is, and the caller closes the stream (as
   * {@link UpstreamBatches.drain} does for every failure).
   */
  async pump(onBatch: (batch: LlmChunk[]) => void): Promise<void> {
    await this.#readUntil((batch) => {
      onBatch(batch);
      return false;
    });
  }

  /**
   * Reads until `done(batch)` says so for a read's chunks (and returns them) or the stream ends
   * (undefined). A failure found among a read's chunks is thrown on the next turn of the loop.
   */
  async #readUntil(done: (batch: LlmChunk[]) => boolean): Promise<LlmChunk[] | undefined> {
    if (this.#send) await this.#open(this.#send);
    for (;;) {
      if (this.#failure) {
        const { error } = this.#failure;
        this.#failure = undefined;
        this.close();
        throw error;
      }
      if (this.#ended || this.#sawDone) {
        this.close();
        return undefined;
      }
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = this.#byob ? await this.#byob.read(this.#scratch!) : await this.#reader!.read();
      } catch (error) {
        this.close();
        const signal = this.#controller.signal;
        if (signal.aborted) throw signal.reason ?? error;
        return undefined;
      }
      if (read.done) {
        this.close();
        return undefined;
      }
      this.#take(read.value);
      const batch = this.#parse();
      if (batch.length && done(batch)) return batch;
    }
  }

  /** Decodes a read's bytes into the buffer and takes its buffer back for the next read. */
  #take(bytes: Uint8Array): void {
    this.#buffer += this.#decoder!.decode(bytes, { stream: true });
    // The read transferred the buffer; take it back for the next read (its bytes are decoded),
    // or a larger one if this read filled it.
    if (this.#byob) {
      const size = bytes.buffer.byteLength;
      this.#scratch = bytes.byteLength === size && size < MAX_READ_BUFFER_BYTES
        ? new Uint8Array(size * 2)
        : new Uint8Array(bytes.buffer);
    }
  }

  async #open(send: () => Promise<Response>): Promise<void> {
    this.#send = undefined;
    let response: Response;
    try {
      response = await send();
    } catch (error) {
      // Aborted by a timeout or the caller: fail with their reason, not the SDK's abort error.
      const signal = this.#controller.signal;
      if (signal.aborted) throw signal.reason ?? error;
      throw error;
    }
    this.#response = response;
    if (!response.body) {
      this.#ended = true;
      return;
    }
    this.#decoder = new TextDecoder();
    try {
      this.#byob = response.body.getReader({ mode: "byob" });
      this.#scratch = new Uint8Array(READ_BUFFER_BYTES);
    } catch {
      // Not a byte stream (a body built in JavaScript): read it the ordinary way.
      this.#reader = response.body.getReader();
    }
  }

  /** The complete events in the buffer, as chunks; a failure among them is kept for later. */
  #parse(): LlmChunk[] {
    let buffer = this.#buffer;
    if (buffer.includes("\r")) buffer = buffer.replaceAll("\r\n", "\n");
    const batch: LlmChunk[] = [];
    let start = 0;
    let end: number;
    while ((end = buffer.indexOf("\n\n", start)) >= 0) {
      let data = "";
      let name = "";
      // The usual event is one `data: {…}` line.
      const line = buffer.indexOf("\n", start);
      if (line === end && buffer.startsWith("data:", start)) {
        data = buffer.slice(buffer.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end);
      } else {
        for (const line of buffer.slice(start, end).split("\n")) {
          if (line.startsWith("data:")) {
            const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
            data = data ? `${data}\n${value}` : value;
          } else if (line.startsWith("event:")) name = line.slice(6).trim();
        }
      }
      start = end + 2;
      if (!data) continue;
      if (data === "[DONE]") {
        this.#sawDone = true;
        break;
      }
      let parsed;
      try {
        parsed = JSON.parse(data);
      } catch {
        // What came before the failure is still delivered, as when chunks were yielded singly.
        this.#failure = {
          error: new SyntaxError("Error reading response: malformed server-sent event JSON."),
        };
        break;
      }
      if (name === "error" || parsed?.error) {
        this.#failure = {
          error: new APIError(
            undefined,
            parsed?.error ?? parsed,
            undefined,
            this.#response!.headers,
          ),
        };
        break;
      }
      batch.push(parsed as LlmChunk);
    }
    this.#buffer = this.#failure || this.#sawDone ? "" : buffer.slice(start);
    return batch;
  }

  /** Releases the body: the request is aborted unless the stream ended with `[DONE]`. */
  close(): void {
    if (this.#ended && !this.#send) return;
    this.#ended = true;
    this.#send = undefined;
    if (!this.#sawDone) this.#controller.abort();
    (this.#byob ?? this.#reader)?.cancel().catch(() => {});
    this.#byob = undefined;
    this.#reader = undefined;
    this.#scratch = undefined;
  }
}

/** A whole answer that took longer than `llm.request_timeout`. */
function wholeTimeoutError(ms: number, url: string): UpstreamError {
  const seconds = Math.round(ms / 100) / 10;
  return new UpstreamError(
    `The upstream at ${redactUrl(url)} sent no complete answer within ${seconds} s ` +
      "(llm.request_timeout).",
    { code: "upstream_timeout" },
  );
}
