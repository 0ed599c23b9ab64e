/**
 * A scriptable fake OpenAI-compatible upstream: a real HTTP server on 127.0.0.1 that answers
 * `POST /v1/chat/completions` (streamed or not), `POST /v1/embeddings` and `GET /v1/models`. Each test queues the
 * replies it wants — streamed text, tool calls split across deltas, usage, HTTP errors, a stream
 * that dies midway, slow or hanging streams — and inspects the requests it got.
 * @module
 */

/** A tool call the fake model makes. */
export interface FakeToolCall {
  name: string;
  /** JSON arguments; streamed in `argumentChunks` pieces. */
  arguments: string;
  id?: string;
}

/** What one upstream call answers. */
export interface FakeReply {
  /** Text, streamed as the given pieces (a string is split into ~4-character pieces). */
  text?: string | string[];
  /** Reasoning streamed as `reasoning_content` before the text. */
  reasoning?: string;
  toolCalls?: FakeToolCall[];
  /** How many pieces each tool call's arguments are split into (default 3). */
  argumentChunks?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
  /** Answer with this HTTP status and an OpenAI error body instead. */
  status?: number;
  errorMessage?: string;
  /** The `param` and `code` of that error body. */
  errorParam?: string;
  errorCode?: string;
  headers?: Record<string, string>;
  /** Milliseconds before the response headers. */
  delayMs?: number;
  /** Milliseconds between streamed chunks. */
  chunkDelayMs?: number;
  /** Close the stream abruptly after this many data chunks. */
  dieAfterChunks?: number;
  /** Send headers, then never send anything else (until the client leaves). */
  hang?: boolean;
  /** Stream this many extra chunks of "x" (for long replies). */
  /**
   * With `resume`: after this many data chunks (the first is the role chunk, then the text
   * pieces) the stream waits until `resume` resolves or the client leaves. Default 0.
   */
  pauseAfterChunks?: number;
  /** Resolves when a paused stream may go on (see `pauseAfterChunks`). */
  resume?: Promise<void>;
  /**
   * After this many data chunks, send nothing more until the client leaves (or the fake
   * closes): a stream that is certainly still running when the test acts, however slow the
   * machine, unlike a long stream with `chunkDelayMs`. A whole (non-streamed) answer stalls
   * as with `hang`.
   */
  stallAfterChunks?: number;
}

/** A request the fake received. */
export interface RecordedRequest {
  body: {
    model: string;
    // deno-lint-ignore no-explicit-any
    messages: any[];
    // deno-lint-ignore no-explicit-any
    tools?: any[];
    stream?: boolean;
    [key: string]: unknown;
  };
  headers: Headers;
}

/** Builds the reply for a request when nothing is queued. */
export type FakeResponder = (req: RecordedRequest, index: number) => FakeReply;

/** Options for {@link FakeLlm.start}. */
export interface FakeLlmOptions {
  /** Model ids `GET /v1/models` lists; default `["fake-model"]`. */
  models?: string[];
  /** Fallback when the queue is empty; default: echo the last user message. */
  responder?: FakeResponder;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === "object" && "text" in p ? p.text : "")).join("");
  }
  return "";
}

/**
 * Echoes the last user message: `echo: <text>`. Honours `response_format` as a model does:
 * `json_object` answers `{"echo": "<text>"}`, `json_schema` an instance of the schema (strings
 * echo the text, enums take their first value).
 */
export const echoResponder: FakeResponder = (req) => {
  const last = [...req.body.messages].reverse().find((m) => m.role === "user");
  const text = `echo: ${textOf(last?.content)}`;
  // deno-lint-ignore no-explicit-any
  const format = req.body.response_format as any;
  if (format?.type === "json_object") return { text: JSON.stringify({ echo: text }) };
  if (format?.type === "json_schema") {
    const schema = format.json_schema?.schema ?? {};
    return { text: JSON.stringify(sampleOf(schema, schema, text)) };
  }
  return { text };
};

/** A value that satisfies a JSON schema (the subset structured-output schemas use). */
// deno-lint-ignore no-explicit-any
export function sampleOf(schema: any, root: any, text: string): unknown {
  if (!schema || typeof schema !== "object") return text;
  if (schema.$ref) {
    const path = String(schema.$ref).replace(/^#\//, "").split("/");
    // deno-lint-ignore no-explicit-any
    return sampleOf(path.reduce((node: any, key) => node?.[key], root), root, text);
  }
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options)) {
    // deno-lint-ignore no-explicit-any
    const first = options.find((o: any) => o?.type !== "null") ?? options[0];
    return sampleOf(first, root, text);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) {
    return sampleOf(schema.allOf[0], root, text);
  }
  const type = Array.isArray(schema.type)
    ? schema.type.find((t: string) => t !== "null") ?? "null"
    : schema.type ?? (schema.properties ? "object" : "string");
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        out[key] = sampleOf(sub, root, text);
      }
      return out;
    }
    case "array": {
      const n = Math.max(1, schema.minItems ?? 1);
      return Array.from({ length: n }, () => sampleOf(schema.items, root, text));
    }
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return text;
  }
}

function splitText(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 4) out.push(text.slice(i, i + 4));
  return out.length ? out : [""];
}

function splitN(text: string, n: number): string[] {
  if (n <= 1 || text.length < n) return [text];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

const encoder = new TextEncoder();

/**
 * The fake upstream.
 *
 * @example
 * ```ts
 * await using llm = await FakeLlm.start();
 * llm.enqueue({ text: "Hello!" });
 * // point the agent at llm.baseUrl
 * ```
 */
export class FakeLlm {
  /** Every chat request, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Every embeddings request, in order. */
  readonly embeddingRequests: RecordedRequest[] = [];
  /** Streams the client closed before they ended. */
  cancelledStreams = 0;
  /** Streams currently open. */
  openStreams = 0;
  #queue: FakeReply[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #responder: FakeResponder;
  #models: string[];
  #closedWaiters: Array<() => void> = [];
  #requestWaiters: Array<{ n: number; resolve: () => void }> = [];
  #live = new Set<() => void>();

  private constructor(options: FakeLlmOptions) {
    this.#responder = options.responder ?? echoResponder;
    this.#models = options.models ?? ["fake-model"];
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  /** Starts a fake on a free port. */
  static start(options: FakeLlmOptions = {}): Promise<FakeLlm> {
    return Promise.resolve(new FakeLlm(options));
  }

  /** The OpenAI base URL, ending in `/v1`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/v1`;
  }

  /** Queues replies for the next calls, in order. */
  enqueue(...replies: FakeReply[]): this {
    this.#queue.push(...replies);
    return this;
  }

  /** Replaces the fallback responder. */
  respondWith(responder: FakeResponder): this {
    this.#responder = responder;
    return this;
  }

  /** Resolves once `n` chat requests have arrived in total. */
  waitForRequests(n: number): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#requestWaiters.push({ n, resolve }));
  }

  /** Resolves when a stream is next closed by the client (or at once if `count` were already). */
  waitForCancelledStreams(count = 1): Promise<void> {
    if (this.cancelledStreams >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.cancelledStreams >= count) resolve();
        else this.#closedWaiters.push(check);
      };
      this.#closedWaiters.push(check);
    });
  }

  /** Stops the server, ending any hanging streams. */
  async close(): Promise<void> {
    for (const end of this.#live) end();
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/v1/models") {
      return Response.json({
        object: "list",
        data: this.#models.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })),
      });
    }
    if (req.method === "POST" && url.pathname === "/v1/embeddings") {
      const body = await req.json();
      this.embeddingRequests.push({ body, headers: req.headers });
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return Response.json({
        object: "list",
        // A vector that depends on the text: its length, its first character code, then 0.5.
        data: inputs.map((text: string, index: number) => ({
          object: "embedding",
          index,
          embedding: [String(text).length, String(text).charCodeAt(0) || 0, 0.5],
        })),
        model: body.model,
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      });
    }
    if (req.method !== "POST" || url.pathname !== "/v1/chat/completions") {
      return Response.json({ error: { message: "not found", type: "invalid_request_error" } }, {
        status: 404,
      });
    }
    const body = await req.json();
    const recorded: RecordedRequest = { body, headers: req.headers };
    this.requests.push(recorded);
    const index = this.requests.length - 1;
    for (const w of this.#requestWaiters.splice(0)) {
      if (this.requests.length >= w.n) w.resolve();
      else this.#requestWaiters.push(w);
    }
    const reply = this.#queue.shift() ?? this.#responder(recorded, index);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.status && reply.status >= 400) {
      return Response.json({
        error: {
          message: reply.errorMessage ?? `fake upstream error ${reply.status}`,
          type: reply.status === 429 ? "rate_limit_error" : "server_error",
          param: reply.errorParam ?? null,
          code: reply.errorCode ?? null,
        },
      }, { status: reply.status, headers: reply.headers });
    }
    const model = body.model ?? "fake-model";
    return body.stream ? this.#stream(reply, model) : await this.#whole(reply, model);
  }

  /**
   * A non-streamed answer. `hang` sends the headers and then nothing until the client leaves
   * (counted with the cancelled streams) or the fake closes; `resume` holds the answer back
   * until it resolves; `chunkDelayMs` holds it back as long as streaming its pieces would take
   * (a model takes as long to write a whole answer), or until the fake closes;
   * `dieAfterChunks` sends the headers and part of the body, then breaks the connection;
   * `stallAfterChunks` stalls as `hang` does (a whole answer has no chunks to send first).
   */
  async #whole(reply: FakeReply, model: string): Promise<Response> {
    const headers = { "Content-Type": "application/json", ...reply.headers };
    if (reply.resume) await reply.resume;
    const stalls = reply.hang || reply.stallAfterChunks !== undefined;
    if (reply.chunkDelayMs && !stalls) {
      const pieces = Array.isArray(reply.text) ? reply.text : splitText(reply.text ?? "");
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          this.#live.delete(stop);
          resolve();
        };
        const timer = setTimeout(stop, pieces.length * reply.chunkDelayMs!);
        this.#live.add(stop);
      });
    }
    if (stalls) {
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => stop = resolve);
      this.#live.add(stop);
      this.openStreams++;
      const done = () => {
        this.openStreams--;
        this.#live.delete(stop);
      };
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          stopped.then(() => {
            done();
            try {
              controller.close();
            } catch { /* cancelled already */ }
          });
        },
        cancel: () => {
          this.cancelledStreams++;
          for (const w of this.#closedWaiters.splice(0)) w();
          stop();
        },
      });
      return new Response(body, { headers });
    }
    const json = JSON.stringify(this.#completion(reply, model));
    if (reply.dieAfterChunks === undefined) return new Response(json, { headers });
    const body = new ReadableStream<Uint8Array>({
      start: async (controller) => {
        controller.enqueue(encoder.encode(json.slice(0, Math.floor(json.length / 2))));
        await new Promise((r) => setTimeout(r, 30));
        controller.error(new Error("fake upstream died"));
      },
    });
    return new Response(body, { headers });
  }

  #toolCalls(reply: FakeReply) {
    return (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_fake_${this.requests.length}_${i}`,
      type: "function" as const,
      function: { name: c.name, arguments: c.arguments },
    }));
  }

  #usage(reply: FakeReply) {
    const u = reply.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
    return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
  }

  #finish(reply: FakeReply) {
    return reply.finishReason ?? (reply.toolCalls?.length ? "tool_calls" : "stop");
  }

  #completion(reply: FakeReply, model: string) {
    const text = Array.isArray(reply.text) ? reply.text.join("") : reply.text ?? null;
    const calls = this.#toolCalls(reply);
    return {
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{
        index: 0,
        message: {
          role: "assistant",
          content: text,
          ...(calls.length ? { tool_calls: calls } : {}),
          ...(reply.reasoning ? { reasoning_content: reply.reasoning } : {}),
        },
        finish_reason: this.#finish(reply),
      }],
      usage: this.#usage(reply),
    };
  }

  #stream(reply: FakeReply, model: string): Response {
    const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1, model };
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const chunks: unknown[] = [chunk({ role: "assistant", content: "" })];
    if (reply.reasoning) chunks.push(chunk({ reasoning_content: reply.reasoning }));
    if (reply.text !== undefined) {
      const pieces = Array.isArray(reply.text) ? reply.text : splitText(reply.text);
      for (const p of pieces) chunks.push(chunk({ content: p }));
    }
    this.#toolCalls(reply).forEach((call, index) => {
      chunks.push(chunk({
        tool_calls: [{
          index,
          id: call.id,
          type: "function",
          function: { name: call.function.name, arguments: "" },
        }],
      }));
      for (const piece of splitN(call.function.arguments, reply.argumentChunks ?? 3)) {
        chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    });
    chunks.push(chunk({}, this.#finish(reply)));
    chunks.push({ ...base, choices: [], usage: this.#usage(reply) });

    let cancelled = false;
    let ended = false;
    let wake: (() => void) | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    const stop = () => {
      ended = true;
      wake?.();
    };
    this.#live.add(stop);
    this.openStreams++;
    const onClientGone = () => {
      if (cancelled || ended) return;
      cancelled = true;
      this.cancelledStreams++;
      for (const w of this.#closedWaiters.splice(0)) w();
    };
    const done = () => {
      this.openStreams--;
      this.#live.delete(stop);
    };
    const body = new ReadableStream<Uint8Array>({
      start: async (controller) => {
        try {
          if (reply.hang) {
            controller.enqueue(encoder.encode(": waiting\n\n"));
            while (!cancelled && !ended) await sleep(60_000);
            return;
          }
          let sent = 0;
          for (const c of chunks) {
            if (reply.resume && sent === (reply.pauseAfterChunks ?? 0)) {
              await Promise.race([reply.resume, new Promise<void>((r) => wake = r)]);
            }
            if (sent === reply.stallAfterChunks) {
              while (!cancelled && !ended) await new Promise<void>((r) => wake = r);
            }
            if (cancelled || ended) return;
            if (reply.dieAfterChunks !== undefined && sent >= reply.dieAfterChunks) {
              // Let what was sent reach the client before the connection breaks.
              await sleep(30);
              controller.error(new Error("fake upstream died"));
              return;
            }
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(c)}\n\n`));
            sent++;
            if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
          }
          if (!cancelled) {
            controller.enqueue(encoder.encode("data: [DONE]\n\n"));
            ended = true;
            controller.close();
          }
        } catch {
          // the client went away while we wrote
          onClientGone();
        } finally {
          done();
        }
      },
      cancel: () => {
        onClientGone();
        wake?.();
      },
    });
    return new Response(body, {
      headers: { "Content-Type": "text/event-stream", ...reply.headers },
    });
  }
}
